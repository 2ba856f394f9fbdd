package edge

import (
	"net/http"
	"strings"

	"github.com/pharos-cdn/pharos/internal/h2"
)

// HTTP/2 over TLS is served by the edge's own HTTP/2 server (internal/h2)
// while the fast path is on. A request its read goroutine can answer from
// memory as a plain fresh hit is answered there, inline, with the same
// head an HTTP/1.1 fast-path hit gets (lookupFastHit, appendFastHead);
// everything else runs ServeHTTP on a goroutine of its own, as net/http's
// HTTP/2 server would.

// h2InlineMax is the largest body answered inline: the read goroutine
// writes what the peer's window allows before it reads on, so larger
// bodies stream from a handler goroutine instead of holding up the
// connection's other streams while the socket drains.
const h2InlineMax = 256 << 10

// newH2Server returns the HTTP/2 server for ServeTLS, with the limits of
// the edge's net/http server (HTTPServer).
func (ts *tlsServing) newH2Server() *h2.Server {
	hs := ts.s.HTTPServer()
	return &h2.Server{
		Handler: http.HandlerFunc(ts.serveHTTPS),
		Fast:    ts.fastH2,
		// CloudFront's 20,480 bytes of request head, plus HPACK's 32 bytes
		// of accounting per field for a typical request's ten: the edge's
		// own check (ServeHTTP) answers 431 past the former.
		MaxHeaderListSize: maxRequestHead + 320,
		IdleTimeout:       hs.IdleTimeout,
		ReadHeaderTimeout: hs.ReadHeaderTimeout,
		ReadBodyTimeout:   hs.ReadTimeout,
		Logger:            ts.s.log,
	}
}

// fastH2 is the HTTP/2 server's FastFunc: a GET or HEAD that the
// HTTP/1.1 fast path would answer, for an object in memory no larger than
// h2InlineMax, is answered with that path's head, plus Alt-Svc for a
// distribution offering HTTP/3 (as serveHTTPS adds it). Anything else is
// declined, having changed nothing, and ServeHTTP answers.
func (ts *tlsServing) fastH2(r *h2.FastRequest, w *h2.InlineResponse) bool {
	s := ts.s
	if r.Method != http.MethodGet && r.Method != http.MethodHead || !plainH2Request(r) {
		return false
	}
	path, query := r.Path, ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	h, ok := s.lookupFastHit(hostOnly(r.Authority), path, query, &w.Scratch, w.Body[:0], false)
	if !ok || hitBodySize(h.o, nil, h.chunks) > h2InlineMax {
		return false
	}
	w.Head = s.appendFastHead(w.Head[:0], &h)
	if ts.altSvc != "" && h.b.dist.Model.OffersHTTP3() {
		w.Head = appendField(w.Head, "Alt-Svc", ts.altSvc)
	}
	w.Body = h.chunks
	s.metrics.count(resultHit)
	return true
}

// plainH2Request reports whether a request is one the HTTP/1.1 fast path's
// parser would not punt (fastparse.go): a plain host, a target of plain
// characters without escapes or fragment, no conditional, range,
// expectation or credentials, and a head within CloudFront's limit
// (requestHeadSize's count), so ServeHTTP's checks would all pass.
func plainH2Request(r *h2.FastRequest) bool {
	if r.Authority == "" || r.Path == "" || r.Path[0] != '/' {
		return false
	}
	for i := 0; i < len(r.Authority); i++ {
		if c := r.Authority[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_') {
			return false // as isPlainHost
		}
	}
	path := r.Path
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	for i := 0; i < len(r.Path); i++ {
		if c := r.Path[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return false
		}
	}
	if strings.IndexByte(path, '%') >= 0 {
		return false // matched decoded on the full path
	}
	size := len(r.Method) + len(r.Path) + len("  HTTP/1.1\r\nHost: \r\n") + len(r.Authority)
	for _, f := range r.Fields {
		n := f.Name
		switch {
		case len(n) > 3 && n[:3] == "if-", n == "range", n == "expect", n == "authorization", n == "upgrade":
			return false
		case n == "content-length" && f.Value != "0":
			return false
		}
		size += len(n) + len(f.Value) + 4
	}
	return size <= maxRequestHead
}
