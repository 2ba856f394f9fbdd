package h2

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// The response header encoder. Fields are written as HPACK literals
// without indexing (RFC 7541 §6.2.2), their names by static-table index
// where the table has them, values as raw octets: no dynamic table, so a
// block depends on no connection state, needs no lock to keep blocks in
// order, and costs little more than copying its bytes. The peer's
// SETTINGS_HEADER_TABLE_SIZE is honoured trivially (nothing is indexed);
// after the peer changes it, the next block starts with a table size
// update to 0, which decoders that insist on one (nghttp2) expect.

// appendInt appends an HPACK integer with an n-bit prefix whose high bits
// are first (RFC 7541 §5.1).
func appendInt(b []byte, first byte, n uint, v uint64) []byte {
	max := uint64(1)<<n - 1
	if v < max {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(max))
	v -= max
	for v >= 128 {
		b = append(b, byte(v&0x7f)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// appendString appends a string literal without Huffman coding.
func appendString(b []byte, s []byte) []byte {
	b = appendInt(b, 0, 7, uint64(len(s)))
	return append(b, s...)
}

// appendStatus appends the :status field: fully indexed for the codes the
// static table holds, else a literal with the indexed name :status.
func appendStatus(b []byte, code int) []byte {
	switch code {
	case 200:
		return append(b, 0x80|8)
	case 204:
		return append(b, 0x80|9)
	case 206:
		return append(b, 0x80|10)
	case 304:
		return append(b, 0x80|11)
	case 400:
		return append(b, 0x80|12)
	case 404:
		return append(b, 0x80|13)
	case 500:
		return append(b, 0x80|14)
	}
	var digits [3]byte
	d := strconv.AppendInt(digits[:0], int64(code), 10)
	b = append(b, 8) // literal without indexing, name :status (index 8)
	return appendString(b, d)
}

// appendField appends one field. name must be lower case already;
// callers drop connection-specific fields before.
func appendField(b []byte, name, value []byte) []byte {
	if i := staticName(name); i > 0 {
		b = appendInt(b, 0, 4, uint64(i))
	} else {
		b = append(b, 0)
		b = appendString(b, name)
	}
	return appendString(b, value)
}

// lowerName copies name into dst in lower case and reports whether the
// field is connection-specific (RFC 9113 §8.2.2), which HTTP/2 forbids.
func lowerName(dst []byte, name []byte) ([]byte, bool) {
	dst = dst[:0]
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	switch string(dst) {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return dst, true
	}
	return dst, false
}

// staticName is the static table index of a lower-case field name
// (RFC 7541 Appendix A), or 0.
func staticName(name []byte) int {
	switch string(name) {
	case "accept-charset":
		return 15
	case "accept-encoding":
		return 16
	case "accept-language":
		return 17
	case "accept-ranges":
		return 18
	case "accept":
		return 19
	case "access-control-allow-origin":
		return 20
	case "age":
		return 21
	case "allow":
		return 22
	case "authorization":
		return 23
	case "cache-control":
		return 24
	case "content-disposition":
		return 25
	case "content-encoding":
		return 26
	case "content-language":
		return 27
	case "content-length":
		return 28
	case "content-location":
		return 29
	case "content-range":
		return 30
	case "content-type":
		return 31
	case "cookie":
		return 32
	case "date":
		return 33
	case "etag":
		return 34
	case "expect":
		return 35
	case "expires":
		return 36
	case "from":
		return 37
	case "host":
		return 38
	case "if-match":
		return 39
	case "if-modified-since":
		return 40
	case "if-none-match":
		return 41
	case "if-range":
		return 42
	case "if-unmodified-since":
		return 43
	case "last-modified":
		return 44
	case "link":
		return 45
	case "location":
		return 46
	case "max-forwards":
		return 47
	case "proxy-authenticate":
		return 48
	case "proxy-authorization":
		return 49
	case "range":
		return 50
	case "referer":
		return 51
	case "refresh":
		return 52
	case "retry-after":
		return 53
	case "server":
		return 54
	case "set-cookie":
		return 55
	case "strict-transport-security":
		return 56
	case "transfer-encoding":
		return 57
	case "user-agent":
		return 58
	case "vary":
		return 59
	case "via":
		return 60
	case "www-authenticate":
		return 61
	}
	return 0
}

// blockEncoder builds one header block.
type blockEncoder struct {
	b    []byte
	name [64]byte // scratch for lower-casing short names
	long []byte   // scratch for longer ones
	// The last head http1Head encoded, its encoding, and where each of its
	// lines ends in both: a head that starts as the last one did (another
	// hit on the same object: only Age, Cache-Status and the request id
	// differ) reuses the encoding of the lines they share. A line's
	// encoding depends on nothing but its bytes, there being no dynamic
	// table.
	prevHead  []byte
	prevEnc   []byte
	prevMarks []lineMark
}

type lineMark struct{ head, enc int }

func (e *blockEncoder) reset(sizeUpdate bool) {
	e.b = e.b[:0]
	if sizeUpdate {
		e.b = append(e.b, 0x20) // dynamic table size update: 0
	}
}

// field appends name (any case) and value, dropping connection-specific
// fields.
func (e *blockEncoder) field(name, value []byte) {
	var lower []byte
	var conn bool
	if len(name) <= len(e.name) {
		lower, conn = lowerName(e.name[:0], name)
	} else {
		e.long, conn = lowerName(e.long, name)
		lower = e.long
	}
	if !conn {
		e.b = appendField(e.b, lower, value)
	}
}

// http1Head appends the fields of an HTTP/1.1 response head: a status
// line, then "Name: value\r\n" lines (the form the edge's hit path keeps
// stored responses in). It returns the status, or 0 for a head it cannot
// read. Names in their canonical form ("Content-Type") are looked up in
// the static table as they are; others are lower-cased.
func (e *blockEncoder) http1Head(head []byte) int {
	// "HTTP/1.1 200 OK\r\n"
	if len(head) < 14 || head[8] != ' ' {
		return 0
	}
	code := 0
	for _, c := range head[9:12] {
		if c < '0' || c > '9' {
			return 0
		}
		code = code*10 + int(c-'0')
	}
	start := len(e.b) // after a size update, if any
	same := commonPrefix(head, e.prevHead)
	k := 0
	for k < len(e.prevMarks) && e.prevMarks[k].head <= same {
		k++
	}
	var rest []byte
	marks := e.prevMarks[:k]
	if k > 0 {
		m := e.prevMarks[k-1]
		e.b = append(e.b, e.prevEnc[:m.enc]...)
		rest = head[m.head:]
	} else {
		e.b = appendStatus(e.b, code)
		rest = head[12:]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			rest = rest[i+1:]
			marks = append(marks, lineMark{len(head) - len(rest), len(e.b) - start})
		} else {
			rest = nil
		}
	}
	for len(rest) > 0 {
		line, ended := rest, false
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest, ended = rest[:i], rest[i+1:], true
		} else {
			rest = nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		e.line(line)
		if ended { // a line without its end may be a longer one's start
			marks = append(marks, lineMark{len(head) - len(rest), len(e.b) - start})
		}
	}
	e.prevHead = append(e.prevHead[:0], head...)
	e.prevEnc = append(e.prevEnc[:0], e.b[start:]...)
	e.prevMarks = marks
	return code
}

// line appends one "Name: value" line's field.
func (e *blockEncoder) line(line []byte) {
	c := bytes.IndexByte(line, ':')
	if c <= 0 {
		return
	}
	v := line[c+1:]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	if i := canonicalStatic(line[:c]); i > 0 {
		e.b = appendInt(e.b, 0, 4, uint64(i))
		e.b = appendString(e.b, v)
		return
	}
	e.field(line[:c], v)
}

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if binary.LittleEndian.Uint64(a[i:]) != binary.LittleEndian.Uint64(b[i:]) {
			break
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// canonicalStatic is the static table index of a field name written in
// its canonical form, for the names stored responses and the edge's own
// fields most often carry; 0 for anything else (then looked up lower-cased).
func canonicalStatic(name []byte) int {
	switch string(name) {
	case "Accept-Ranges":
		return 18
	case "Age":
		return 21
	case "Cache-Control":
		return 24
	case "Content-Encoding":
		return 26
	case "Content-Length":
		return 28
	case "Content-Type":
		return 31
	case "Date":
		return 33
	case "Etag":
		return 34
	case "Expires":
		return 36
	case "Last-Modified":
		return 44
	case "Link":
		return 45
	case "Location":
		return 46
	case "Server":
		return 54
	case "Set-Cookie":
		return 55
	case "Vary":
		return 59
	case "Via":
		return 60
	}
	return 0
}
