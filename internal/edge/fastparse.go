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
// Every field is looked at whatever the method, so that Content-Length with
// Transfer-Encoding is refused on any request.
func parseHead(head []byte, r *fastRequest) {
	*r = fastRequest{}
	// CR only before LF, LF only after CR; other controls except HTAB (and
	// DEL) are for net/http to refuse.
	for i, c := range head {
		switch {
		case c == '\r' && (i+1 >= len(head) || head[i+1] != '\n'),
			c == '\n' && (i == 0 || head[i-1] != '\r'),
			c < 0x20 && c != '\r' && c != '\n' && c != '\t', c == 0x7f:
			r.punt = true
			return
		}
	}
	line, rest, ok := cutLine(head)
	if !ok {
		line, rest = head, nil
	}
	r.parseRequestLine(line)
	var hasCL, hasTE, sawClose bool
	hosts := 0
	for len(rest) > 0 {
		line, rest, _ = cutLine(rest)
		colon := bytes.IndexByte(line, ':')
		// A field name is a token: no obs-fold, no whitespace before the
		// colon (RFC 9112 §5.1, §5.2); anything else goes to net/http.
		if colon <= 0 || !isToken(line[:colon]) {
			r.punt = true
			continue
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		switch {
		case equalFold(name, "host"):
			hosts++
			r.host = value
			if !isPlainHost(value) {
				r.punt = true
			}
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
				r.close, sawClose = true, true
			} else if r.http10 && !sawClose && containsTokenFold(value, "keep-alive") {
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
		return
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

// parseRequestLine reads method SP request-target SP HTTP-version (RFC 9112
// §3); anything but a GET or HEAD in origin form over HTTP/1.0 or 1.1 punts.
func (r *fastRequest) parseRequestLine(line []byte) {
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
	}
	for _, c := range r.target {
		if c <= ' ' || c >= 0x7f {
			r.punt = true
		}
	}
}

// isToken reports whether b is an RFC 9110 token (a field name).
func isToken(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte("\"(),/:;<=>?@[\\]{}"), c) >= 0 {
			return false
		}
	}
	return len(b) > 0
}

// isPlainHost reports whether a Host value is a name or address with an
// optional port, in the characters such a value needs.
func isPlainHost(b []byte) bool {
	for _, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_') {
			return false
		}
	}
	return len(b) > 0
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
