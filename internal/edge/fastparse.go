package edge

import "bytes"

// fastRequest is an HTTP/1.1 request head parsed in place: every field is
// a slice of the connection's read buffer, valid until the next read.
type fastRequest struct {
	method, target, host []byte
	http10               bool
	close                bool // the connection ends after this response
	// punt means the request is well formed as far as we looked but is not
	// a plain cache hit candidate: net/http takes the connection over.
	punt bool
	// bad means ambiguous framing that must be refused, never forwarded.
	bad bool
}

// parseHead parses a request head (request line and fields, up to but not
// including the blank line). It is strict: anything it does not fully
// understand sets punt, so that net/http, the reference parser, decides.
func parseHead(head []byte, r *fastRequest) {
	*r = fastRequest{}
	for _, c := range head {
		// Control characters other than CR, LF and HTAB (and a bare LF, caught
		// below as a malformed line) are for net/http to refuse.
		if c < 0x20 && c != '\r' && c != '\n' && c != '\t' || c == 0x7f {
			r.punt = true
			return
		}
	}
	if bytes.Count(head, []byte("\n")) != bytes.Count(head, crlf) {
		r.punt = true // a bare LF
		return
	}
	line, rest, ok := cutLine(head)
	if !ok && len(rest) == 0 {
		line, rest = head, nil
	}
	// request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 <= 0 {
		r.punt = true
		return
	}
	sp2 := bytes.IndexByte(line[sp1+1:], ' ')
	if sp2 <= 0 {
		r.punt = true
		return
	}
	r.method, r.target = line[:sp1], line[sp1+1:sp1+1+sp2]
	switch string(line[sp1+2+sp2:]) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		r.http10, r.close = true, true
	default:
		r.punt = true
		return
	}
	if string(r.method) != "GET" && string(r.method) != "HEAD" || len(r.target) == 0 || r.target[0] != '/' {
		r.punt = true
		return
	}
	var hasCL, hasTE bool
	hosts := 0
	for len(rest) > 0 {
		line, rest, ok = cutLine(rest)
		if !ok && len(rest) == 0 && len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		// No obs-fold, no whitespace before the colon, no empty name
		// (RFC 9112 §5.1, §5.2): leave such requests to net/http.
		if colon <= 0 || line[0] == ' ' || line[0] == '\t' || line[colon-1] == ' ' || line[colon-1] == '\t' {
			r.punt = true
			return
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		switch {
		case equalFold(name, "host"):
			hosts++
			r.host = value
		case equalFold(name, "content-length"):
			hasCL = true
			if string(value) != "0" {
				r.punt = true
			}
		case equalFold(name, "transfer-encoding"):
			hasTE = true
			r.punt = true
		case equalFold(name, "connection"):
			if containsTokenFold(value, "close") {
				r.close = true
			} else if r.http10 && containsTokenFold(value, "keep-alive") {
				r.close = false
			}
		case len(name) > 3 && equalFold(name[:3], "if-"), equalFold(name, "range"), equalFold(name, "expect"),
			equalFold(name, "upgrade"), equalFold(name, "authorization"):
			// Conditionals, ranges, 100-continue, upgrades and credentials
			// take the full path.
			r.punt = true
		}
	}
	if hasCL && hasTE {
		r.bad = true // RFC 9112 §6.3: a smuggling shape; refuse it
	}
	path := r.target
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	// The path is matched decoded (as net/http's URL.Path): an escaped one
	// takes the full path. The query is keyed raw, so escapes there are fine.
	if hosts != 1 && !r.http10 || hosts > 1 || bytes.IndexByte(path, '%') >= 0 || bytes.IndexByte(r.target, '#') >= 0 {
		r.punt = true
	}
}

// cutLine returns the line before the first CRLF and what follows; a bare
// LF is not a line end here (such requests are punted by the caller when
// they leave a stray LF inside a field).
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.Index(b, crlf)
	if i < 0 {
		return b, nil, false
	}
	return b[:i], b[i+2:], true
}

var crlf = []byte("\r\n")

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold compares an ASCII field name with a lower-case literal.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func containsTokenFold(v []byte, token string) bool {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		part := v
		if i >= 0 {
			part, v = v[:i], v[i+1:]
		} else {
			v = nil
		}
		if equalFold(trimOWS(part), token) {
			return true
		}
	}
	return false
}
