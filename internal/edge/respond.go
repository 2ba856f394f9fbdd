package edge

import (
	"errors"
	"io"
	"net/http"
	"os"
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
// memory, or from its cache file (sent with sendfile on plain HTTP/1.1),
// whole or the single range the viewer asked for.
func (s *Server) serveObject(x *Exchange, o *store.Object, m *meta, res result, cs httpcache.CacheStatus) {
	if x.background {
		s.metrics.count(res)
		return
	}
	var file *os.File
	if o.OnDisk() {
		f, err := s.store.Open(o)
		if err != nil {
			// Corrupt or gone: the store has dropped it. Fetch it afresh.
			s.miss(x, nil, nil)
			return
		}
		defer f.Close()
		file = f
	}
	s.metrics.count(res)
	h := x.W.Header()
	for k, v := range m.header {
		h[k] = v // shared, never modified: only whole values are assigned below
	}
	s.edgeHeaders(x, h, m.header["Via"], res)
	if res != resultMiss {
		age := m.age(x.Now)
		h["Age"] = []string{strconv.FormatInt(int64(age.Seconds()), 10)}
		_, cs.TTL = httpcache.Freshness(m.decision, age)
		cs.HasTTL = true
	}
	h["Cache-Status"] = []string{string(httpcache.AppendCacheStatus(nil, cs))}

	cond := 0
	if m.status >= 200 && m.status < 300 { // RFC 9110 §13.2.1
		cond = httpcache.EvaluateConditional(x.R.Method, x.R.Header, m.header)
	}
	switch cond {
	case http.StatusNotModified:
		nm := httpcache.NotModifiedHeader(m.header)
		for k := range m.header {
			if _, keep := nm[k]; !keep {
				delete(h, k)
			}
		}
		x.status = http.StatusNotModified
		x.W.WriteHeader(http.StatusNotModified)
		return
	case http.StatusPreconditionFailed:
		for k := range m.header {
			delete(h, k)
		}
		x.status = http.StatusPreconditionFailed
		x.W.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	x.status = m.status
	noBody := m.status == http.StatusNoContent || m.status == http.StatusNotModified
	size, known := objectSize(o, m)
	if known && !noBody {
		if _, ok := h["Content-Length"]; !ok {
			h["Content-Length"] = []string{strconv.FormatInt(size, 10)}
		}
	}
	start, n := int64(0), size
	if known && m.status == http.StatusOK {
		h["Accept-Ranges"] = acceptRangesBytes
		if _, asked := x.R.Header["Range"]; asked && httpcache.IfRangeMatches(x.R.Header, m.header) {
			switch rr, br := httpcache.EvaluateRange(x.R.Method, x.R.Header, size); rr {
			case httpcache.RangeOK:
				h["Content-Range"] = []string{br.ContentRange(size)}
				h["Content-Length"] = []string{strconv.FormatInt(br.Length(), 10)}
				x.status, start, n = http.StatusPartialContent, br.Start, br.Length()
			case httpcache.RangeUnsatisfiable:
				h["Content-Range"] = []string{httpcache.UnsatisfiedContentRange(size)}
				h["Content-Length"] = zeroLength
				x.status = http.StatusRequestedRangeNotSatisfiable
				x.W.WriteHeader(x.status)
				return
			}
		}
	}
	if x.R.Method == http.MethodHead || noBody {
		x.W.WriteHeader(x.status)
		return
	}
	if file != nil {
		if start > 0 {
			if _, err := file.Seek(start, io.SeekCurrent); err != nil {
				s.edgeError(x, http.StatusInternalServerError, "cache file unreadable")
				return
			}
		}
		x.W.WriteHeader(x.status)
		// A LimitedReader around an *os.File lets net/http hand the copy to
		// sendfile(2): the body never passes through user space.
		if _, err := io.CopyN(x.W, file, n); err != nil && x.R.Context().Err() == nil {
			panic(http.ErrAbortHandler)
		}
		return
	}
	var vec [16][]byte
	if chunks, ok := o.Body.Chunks(vec[:0]); ok {
		x.W.WriteHeader(x.status)
		writeSpan(x.W, chunks, start, n, known)
		return
	}
	s.streamBody(x, o.Body, x.status, start, n, known)
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
	if size, done, err := o.Body.State(); done && err == nil {
		return size, true
	}
	if v := m.header.Get("Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			return n, true
		}
	}
	return 0, false
}

// writeSpan writes bytes [start, start+n) of a body made of chunks (all of
// it when the size is unknown).
func writeSpan(w io.Writer, chunks [][]byte, start, n int64, bounded bool) error {
	for _, c := range chunks {
		if start >= int64(len(c)) {
			start -= int64(len(c))
			continue
		}
		c = c[start:]
		start = 0
		if bounded && int64(len(c)) > n {
			c = c[:n]
		}
		if _, err := w.Write(c); err != nil {
			return err
		}
		if bounded {
			if n -= int64(len(c)); n == 0 {
				return nil
			}
		}
	}
	return nil
}

// streamBody follows a body that is still arriving, flushing each piece to
// the viewer as soon as the origin sends it (only bytes [start, start+n)
// when bounded).
func (s *Server) streamBody(x *Exchange, b *store.Body, status int, start, n int64, bounded bool) {
	r, err := b.NewReader()
	if err != nil {
		// Detached before we got to it: too large to share, fetch alone.
		clear(x.W.Header())
		x.status = 0
		s.fetch(x, nil, nil, nil)
		return
	}
	defer r.Close()
	x.W.WriteHeader(status)
	flusher, _ := x.W.(http.Flusher)
	for {
		p, err := r.Next(x.R.Context())
		if len(p) > 0 {
			skip := min(start, int64(len(p)))
			start -= skip
			if int64(len(p)) > skip {
				part := p[skip:]
				if bounded && int64(len(part)) > n {
					part = part[:n]
				}
				if _, werr := x.W.Write(part); werr != nil {
					return
				}
				if flusher != nil {
					flusher.Flush()
				}
				if bounded {
					if n -= int64(len(part)); n == 0 {
						return
					}
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && x.R.Context().Err() == nil {
				// The origin broke off: the viewer must see a broken
				// response, never a short body that looks complete.
				panic(http.ErrAbortHandler)
			}
			return
		}
	}
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
