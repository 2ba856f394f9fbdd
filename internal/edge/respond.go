package edge

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/origin"
	"github.com/pharos-cdn/pharos/internal/store"
)

// result is the X-Cache outcome (DESIGN.md contracts).
type result int

const (
	resultHit result = iota
	resultRefreshHit
	resultMiss
	resultStaleHit
	resultError
)

// xCacheValues are allocated once: a hit assigns the slice, not a copy.
var xCacheValues = [...][]string{
	resultHit:        {"Hit from pharos"},
	resultRefreshHit: {"RefreshHit from pharos"},
	resultMiss:       {"Miss from pharos"},
	resultStaleHit:   {"StaleHit from pharos"},
	resultError:      {"Error from pharos"},
}

// serveObject answers x from a stored (or being-stored) object: from
// memory, or from its cache file, whole or the single range the viewer
// asked for.
func (s *Server) serveObject(x *Exchange, o *store.Object, m *meta, res result, cs httpcache.CacheStatus) {
	if x.background {
		s.metrics.count(res)
		return
	}
	var src bodySource
	if err := s.openSource(o, &src); err != nil {
		if errors.Is(err, store.ErrDetached) {
			// Too large to share and already past its start: fetch alone.
			s.fetch(x, nil, nil, nil)
			return
		}
		// Corrupt or gone: the store has dropped it. Fetch it afresh.
		s.miss(x, nil, nil)
		return
	}
	defer src.close()
	s.metrics.count(res)
	h := x.W.Header()
	m.fields().copyTo(h) // shared, never modified: only whole values are assigned below
	if _, ok := m.fields().get("Content-Type"); !ok {
		h["Content-Type"] = nil // pass the origin's absence on: no sniffing
	}
	s.edgeHeaders(x, h, h["Via"], res)
	if res != resultMiss {
		age := m.age(x.Now)
		h["Age"] = []string{strconv.FormatInt(int64(age.Seconds()), 10)}
		_, cs.TTL = httpcache.Freshness(m.decision(), age)
		cs.HasTTL = true
	}
	h["Cache-Status"] = []string{string(httpcache.AppendCacheStatus(nil, cs))}
	if s.answerConditional(x, h, m) {
		return
	}
	x.status = int(m.status)
	noBody := m.status == http.StatusNoContent || m.status == http.StatusNotModified
	size, known := objectSize(o, m)
	if known && !noBody {
		if _, ok := h["Content-Length"]; !ok {
			h["Content-Length"] = []string{strconv.FormatInt(size, 10)}
		}
	}
	off, n := int64(0), int64(-1)
	if known && m.status == http.StatusOK {
		var ok bool
		if off, n, ok = s.answerRange(x, h, m, size); !ok {
			return
		}
	}
	x.W.WriteHeader(x.status)
	if x.R.Method == http.MethodHead || noBody {
		return
	}
	if err := src.copyTo(x, off, n); err != nil && x.R.Context().Err() == nil {
		// The origin broke off or a file failed: the viewer must see a
		// broken response, never a short body that looks complete.
		panic(http.ErrAbortHandler)
	}
}

// answerConditional answers a viewer's conditional request from the stored
// header (RFC 9110 §13.2.2; only for stored 2xx, §13.2.1). It reports
// whether it answered.
func (s *Server) answerConditional(x *Exchange, h http.Header, m *meta) bool {
	if m.status < 200 || m.status > 299 || !isConditional(x.R.Header) {
		return false
	}
	stored := m.header()
	switch httpcache.EvaluateConditional(x.R.Method, x.R.Header, stored) {
	case http.StatusNotModified:
		nm := httpcache.NotModifiedHeader(stored)
		for k := range stored {
			if _, keep := nm[k]; !keep {
				delete(h, k)
			}
		}
		x.status = http.StatusNotModified
	case http.StatusPreconditionFailed:
		for k := range stored {
			delete(h, k)
		}
		x.status = http.StatusPreconditionFailed
	default:
		return false
	}
	x.W.WriteHeader(x.status)
	return true
}

// isConditional reports whether a request carries a precondition
// (RFC 9110 §13.1), so that a hit without one decodes no stored header.
func isConditional(h http.Header) bool {
	return len(h["If-Match"]) > 0 || len(h["If-None-Match"]) > 0 ||
		len(h["If-Modified-Since"]) > 0 || len(h["If-Unmodified-Since"]) > 0
}

// answerRange applies the viewer's Range to a 200 of size bytes: it sets
// the headers and x.status, and returns the span to send. ok is false when
// it has answered already (416).
func (s *Server) answerRange(x *Exchange, h http.Header, m *meta, size int64) (off, n int64, ok bool) {
	h["Accept-Ranges"] = acceptRangesBytes
	_, asked := x.R.Header["Range"]
	if !asked || len(x.R.Header["If-Range"]) > 0 && !httpcache.IfRangeMatches(x.R.Header, m.header()) {
		return 0, -1, true
	}
	switch rr, br := httpcache.EvaluateRange(x.R.Method, x.R.Header, size); rr {
	case httpcache.RangeOK:
		h["Content-Range"] = []string{br.ContentRange(size)}
		h["Content-Length"] = []string{strconv.FormatInt(br.Length(), 10)}
		x.status = http.StatusPartialContent
		return br.Start, br.Length(), true
	case httpcache.RangeUnsatisfiable:
		h["Content-Range"] = []string{httpcache.UnsatisfiedContentRange(size)}
		h["Content-Length"] = zeroLength
		x.status = http.StatusRequestedRangeNotSatisfiable
		x.W.WriteHeader(x.status)
		return 0, 0, false
	}
	return 0, -1, true
}

var (
	acceptRangesBytes = []string{"bytes"}
	zeroLength        = []string{"0"}
)

// objectSize is the body's full length when it is known: complete, on
// disk, or announced by the origin's Content-Length while still arriving.
func objectSize(o *store.Object, m *meta) (int64, bool) {
	if o.OnDisk() {
		return o.BodyLen(), true
	}
	if size, done, err := o.State(); done && err == nil {
		return size, true
	}
	if v, _ := m.fields().get("Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return n, true
		}
	}
	return 0, false
}

// streamResponse relays an origin response that is not stored.
func (s *Server) streamResponse(x *Exchange, resp *http.Response, res result, cs httpcache.CacheStatus) {
	s.metrics.count(res)
	x.respHeader = resp.Header
	if x.background {
		return
	}
	h := x.W.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	removeHopByHop(h)
	delete(h, "Pharos-Cdn-Cache-Control")
	if !x.B.forward.allCookies && x.B.forward.cookies.empty() {
		// The origin never saw the viewer's cookies; CloudFront drops
		// Set-Cookie then too.
		delete(h, "Set-Cookie")
	}
	s.edgeHeaders(x, h, resp.Header["Via"], res)
	h["Cache-Status"] = []string{string(httpcache.AppendCacheStatus(nil, cs))}
	x.W.WriteHeader(resp.StatusCode)
	if x.R.Method == http.MethodHead {
		return
	}
	bufp := s.bufPool.Get().(*[]byte)
	defer s.bufPool.Put(bufp)
	buf := *bufp
	flusher, _ := x.W.(http.Flusher)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := x.W.Write(buf[:n]); werr != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				panic(http.ErrAbortHandler)
			}
			return
		}
	}
}

// edgeHeaders sets the fields every edge answer carries.
func (s *Server) edgeHeaders(x *Exchange, h http.Header, via []string, res result) {
	h["X-Cache"] = xCacheValues[res]
	h["Via"] = append(via[:len(via):len(via)], s.via)
	h["X-Pharos-Pop"] = s.popValue
	h["X-Pharos-Request-Id"] = []string{x.ReqID}
	if x.B != nil && x.B.respHeaders != nil {
		x.B.respHeaders.apply(s, x, h, res) // respheaders.go
	}
}

// edgeError answers with a short plain-text error the edge itself made.
func (s *Server) edgeError(x *Exchange, status int, msg string) {
	s.metrics.count(resultError)
	x.status = status
	if x.background {
		return
	}
	h := x.W.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(msg)+1))
	s.edgeHeaders(x, h, nil, resultError)
	x.W.WriteHeader(status)
	x.W.Write([]byte(msg + "\n"))
}

// originError answers 502 for an unreachable origin and 504 for a slow one.
func (s *Server) originError(x *Exchange, err error) {
	s.metrics.originErrors.Add(1)
	if errors.Is(err, origin.ErrTimeout) {
		s.log.Warn("origin timed out", "request", x.ReqID, "err", err)
		s.edgeError(x, http.StatusGatewayTimeout, "504 Gateway Timeout: the origin did not answer in time")
		return
	}
	s.log.Warn("origin unreachable", "request", x.ReqID, "err", err)
	s.edgeError(x, http.StatusBadGateway, "502 Bad Gateway: the origin could not be reached")
}
