package edge

import (
	"net/http"
	"os"
	"strconv"

	"github.com/pharos-cdn/pharos/internal/store"
)

// fastSkip are the stored fields a hit does not repeat as stored: the edge
// writes its own (or none, for connection-level ones).
var fastSkip = map[string]bool{
	"Age": true, "Via": true, "X-Cache": true, "Cache-Status": true, "Content-Length": true,
	"X-Pharos-Pop": true, "X-Pharos-Request-Id": true, "Connection": true, "Keep-Alive": true,
	"Transfer-Encoding": true,
}

// appendHitHead appends the part of a hit's response head that is the same
// for every hit on a stored response of size body bytes: the status line,
// the stored fields (sorted, as net/http writes them), Content-Length, Via
// and the edge's own fields. Age, Cache-Status and the request id follow
// per hit. It writes from the stored field block (fieldblock.go), which is
// laid out for this, so it neither allocates nor keeps a copy per object.
func (s *Server) appendHitHead(b []byte, m *meta, size int64) []byte {
	if int(m.status) < len(statusLines) && statusLines[m.status] != "" {
		b = append(b, statusLines[m.status]...)
	} else {
		b = appendStatusLine(b, int(m.status))
	}
	b = append(b, m.fields.lines[:m.fields.hitEnd]...)
	if m.status != http.StatusNoContent && m.status != http.StatusNotModified {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, size, 10)
		b = append(b, "\r\n"...)
	}
	if m.status == http.StatusOK {
		b = append(b, "Accept-Ranges: bytes\r\n"...)
	}
	b = append(b, m.fields.lines[m.fields.viaStart:]...)
	return append(b, s.hitTail...)
}

// hitTail is what follows the stored Via lines on every hit: the edge's
// own Via, X-Cache and X-Pharos-Pop.
func hitTail(via, pop string) string {
	b := appendField(nil, "Via", via)
	b = append(b, "X-Cache: Hit from pharos\r\n"...)
	return string(appendField(b, "X-Pharos-Pop", pop))
}

// statusLines holds the status line of every status code below 600, built
// once: a hit appends one string instead of formatting it.
var statusLines = func() (lines [600]string) {
	for code := 100; code < len(lines); code++ {
		lines[code] = string(appendStatusLine(nil, code))
	}
	return lines
}()

func appendStatusLine(b []byte, code int) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(code)...)
	return append(b, "\r\n"...)
}

// hitBodySize is the length of a hit's body: the file's, or the chunks'.
func hitBodySize(o *store.Object, file *os.File, chunks [][]byte) int64 {
	if file != nil {
		return o.BodyLen()
	}
	var n int64
	for _, c := range chunks {
		n += int64(len(c))
	}
	return n
}

func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}
