package edge

import (
	"net/http"
	"slices"
	"strconv"
)

// fastSkip are the stored fields a hit does not repeat as stored: the edge
// writes its own (or none, for connection-level ones).
var fastSkip = map[string]bool{
	"Age": true, "Via": true, "X-Cache": true, "Cache-Status": true, "Content-Length": true,
	"X-Pharos-Pop": true, "X-Pharos-Request-Id": true, "Connection": true, "Keep-Alive": true,
	"Transfer-Encoding": true,
}

// encodeHitHead pre-encodes the part of a hit's response head that is the
// same for every hit on a stored response: the status line, the stored
// fields (sorted, as net/http writes them), Content-Length, Via and the
// edge's own fields. Age, Cache-Status and the request id follow per hit.
func encodeHitHead(m *meta, size int64, via, pop string) []byte {
	b := make([]byte, 0, 512)
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(m.status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(m.status)...)
	b = append(b, "\r\n"...)
	keys := make([]string, 0, len(m.header))
	for k := range m.header {
		if !fastSkip[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "Accept-Ranges" && m.status == http.StatusOK {
			continue // a 200 gets the edge's own below, as on the full path
		}
		for _, v := range m.header[k] {
			b = appendField(b, k, v)
		}
	}
	if m.status != http.StatusNoContent && m.status != http.StatusNotModified {
		b = appendField(b, "Content-Length", strconv.FormatInt(size, 10))
	}
	if m.status == http.StatusOK {
		b = appendField(b, "Accept-Ranges", "bytes")
	}
	for _, v := range m.header["Via"] {
		b = appendField(b, "Via", v)
	}
	b = appendField(b, "Via", via)
	b = appendField(b, "X-Cache", "Hit from pharos")
	return appendField(b, "X-Pharos-Pop", pop)
}

func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}
