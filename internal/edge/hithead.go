package edge

import (
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/store"
)

// fastHit is a stored response a fast path (HTTP/1.1's, fastpath.go;
// HTTP/2's, fasth2.go) answers from its bytes alone, without the stage
// chain.
type fastHit struct {
	b        *Behavior
	o        *store.Object
	m        *meta
	age, ttl time.Duration
	file     *os.File // a disk hit's cache file; the caller closes it
	chunks   [][]byte // a memory hit's body
}

// lookupFastHit decides whether a GET or HEAD of host, path and query
// (raw, as the request carries them; the path without escapes) is a hit
// the fast paths may answer: its behaviour's key needs nothing else and no
// stage before the cache acts on it (Behavior.fast), and its object is a
// fresh, complete, plain stored response. key is the caller's buffer for
// the cache key, vec its buffer for the body's chunks; disk false leaves
// hits on disk to the full path. The strings may be views of a read
// buffer: nothing here keeps them.
func (s *Server) lookupFastHit(host, path, query string, key *[]byte, vec [][]byte, disk bool) (fastHit, bool) {
	d := s.table.Load().Lookup(host)
	if d == nil {
		return fastHit{}, false
	}
	b := d.Match(path)
	if !b.fast {
		return fastHit{}, false
	}
	*key = httpcache.AppendKey((*key)[:0], host, path, query, nil, &b.keyPolicy)
	o := s.store.Get(*key)
	if o == nil {
		return fastHit{}, false
	}
	m := o.Meta().(*meta)
	if m.marker || m.sliced() || m.noCacheRevalidate() {
		return fastHit{}, false
	}
	age := m.age(s.now())
	state, ttl := httpcache.Freshness(m.decision(), age)
	if state != httpcache.Fresh {
		return fastHit{}, false
	}
	h := fastHit{b: b, o: o, m: m, age: age, ttl: ttl}
	if o.OnDisk() {
		if !disk {
			return fastHit{}, false
		}
		f, err := s.store.Open(o)
		if err != nil {
			return fastHit{}, false
		}
		h.file = f
		return h, true
	}
	chunks, inMemory := o.Chunks(vec)
	if !inMemory {
		return fastHit{}, false // still arriving: the full path streams it
	}
	h.chunks = chunks
	return h, true
}

// appendFastHead appends a fast hit's response head as every fast path
// sends it: the status line, the stored fields, Content-Length, the edge's
// fields, the response headers policy's rewrites, Age, Cache-Status and
// the request id, each line ending in CRLF; connection fields and the
// closing blank line are the caller's.
func (s *Server) appendFastHead(out []byte, h *fastHit) []byte {
	out = s.appendHitHead(out, h.m, hitBodySize(h.o, h.file, h.chunks))
	if h.b.respHeaders != nil {
		out = h.b.respHeaders.rewriteHit(out) // respheaders.go
	}
	out = append(out, "Age: "...)
	out = strconv.AppendInt(out, int64(h.age.Seconds()), 10)
	out = append(out, "\r\nCache-Status: pharos; hit; ttl="...)
	out = strconv.AppendInt(out, int64(h.ttl.Seconds()), 10)
	out = append(out, "\r\nX-Pharos-Request-Id: "...)
	out = append(out, s.idPrefix...)
	out = strconv.AppendUint(out, s.reqSeq.Add(1), 36)
	return append(out, "\r\n"...)
}

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
	b = append(b, m.fields().hit()...)
	if m.status != http.StatusNoContent && m.status != http.StatusNotModified {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, size, 10)
		b = append(b, "\r\n"...)
	}
	if m.status == http.StatusOK {
		b = append(b, "Accept-Ranges: bytes\r\n"...)
	}
	b = append(b, m.fields().via()...)
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
