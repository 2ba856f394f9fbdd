package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/store"
)

// detachWindow is how far the origin may run ahead of the slowest viewer
// once an object is too large to keep: memory stays bounded by it.
const detachWindow = 4 << 20

// viewerStallTimeout ends a detached fill whose slowest viewer has read
// nothing for this long, so a stalled viewer cannot pin an origin fetch.
const viewerStallTimeout = 2 * time.Minute

// miss handles a request the cache cannot answer by itself: nothing stored,
// or stale (o, m) needing revalidation. Concurrent misses for one key join
// one fill; the first leads it.
func (s *Server) miss(x *Exchange, stale *store.Object, sm *meta) {
	f, leader := s.store.Begin(x.key)
	if !leader {
		s.metrics.collapsed.Add(1)
		if s.joinFill(x, f, stale, sm) {
			return
		}
		// The leader's response was not shareable with this request: fetch
		// for ourselves, outside the fill (Varnish's hit-for-miss).
		s.fetch(x, stale, sm, nil)
		return
	}
	// Re-check inside the flight: between our lookup and Begin, the previous
	// fill for this key may have finished and stored a fresh object, and
	// fetching again would be a needless origin request.
	if o := s.store.Get(x.key); o != nil && o != stale {
		m := o.Meta().(*meta)
		if st, _ := httpcache.Freshness(m.decision(), m.age(x.Now)); st == httpcache.Fresh && !m.marker && !m.noCacheRevalidate() {
			s.store.Finish(f)
			s.serveObject(x, o, m, resultHit, httpcache.CacheStatus{Hit: true})
			return
		}
	}
	s.fetch(x, stale, sm, f)
}

// joinFill waits for the leader and serves what it published; false means
// the caller must fetch for itself.
func (s *Server) joinFill(x *Exchange, f *store.Fill, stale *store.Object, sm *meta) bool {
	o, ferr := f.Wait(x.R.Context())
	if o == nil {
		return false
	}
	m := o.Meta().(*meta)
	if v := m.variance(); v != nil {
		// The leader's response varies: it suits us only if our values of
		// the Vary fields select the same variant.
		s.setVariantKey(x, v.fields)
		if string(x.key[x.primaryLen:]) != v.key {
			return false
		}
	}
	if ferr != nil || o == stale {
		// The leader served a stale copy because the origin failed; it is
		// ours to serve only on the same terms. Without an error, the fill
		// published the very object we found stale: it was not revalidated
		// for us, so we must ask the origin ourselves.
		if ferr == nil || !httpcache.UsableOnError(m.decision(), m.age(x.Now)) {
			return false
		}
		s.serveObject(x, o, m, resultStaleHit, httpcache.CacheStatus{Fwd: "stale", Collapsed: true, Detail: "origin-error"})
		return true
	}
	if _, done, err := o.State(); done && err == nil {
		// The whole body had arrived before we joined: the fill was only
		// moments from storing it, and to this viewer it is a plain hit.
		s.serveObject(x, o, m, resultHit, httpcache.CacheStatus{Hit: true})
		return true
	}
	s.serveObject(x, o, m, resultHit, httpcache.CacheStatus{Fwd: "miss", Collapsed: true})
	return true
}

// fetch gets the object from the origin for x, stores it when allowed, and
// answers the viewer. f is the fill it leads, or nil when it fetches alone.
func (s *Server) fetch(x *Exchange, stale *store.Object, sm *meta, f *store.Fill) {
	// A fill outlives its leader's viewer: others may be waiting on it, and
	// finishing it fills the cache. Origin timeouts still bound it.
	ctx := x.R.Context()
	if f != nil {
		ctx = context.WithoutCancel(ctx)
	}
	var cond http.Header
	if sm != nil {
		cond, _ = httpcache.RevalidationHeaders(sm.header())
	}
	// HEAD misses fetch with GET so that the body can be stored (nginx's
	// proxy_cache_convert_head); the HEAD viewer still gets no body.
	method := x.R.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	req, err := s.originRequest(x, method, cond)
	if err != nil {
		if f != nil {
			s.store.Finish(f) // waiters fetch for themselves
		}
		s.edgeError(x, http.StatusBadRequest, "bad request")
		return
	}
	reqTime := s.now()
	resp, err := x.B.origin.Do(ctx, req)
	s.handleOrigin(x, stale, sm, f, originAnswer{method: method, resp: resp, err: err, reqTime: reqTime, respTime: s.now()})
}

// originAnswer is what came back for one origin request.
type originAnswer struct {
	method            string // the method sent (GET for a HEAD miss)
	resp              *http.Response
	err               error
	reqTime, respTime time.Time
}

// handleOrigin turns an origin answer into the viewer's answer: a stale
// copy on failure where allowed, a RefreshHit on 304, else the response,
// stored when allowed while it streams to every waiter. f is the fill it
// leads, or nil.
func (s *Server) handleOrigin(x *Exchange, stale *store.Object, sm *meta, f *store.Fill, a originAnswer) {
	publish := func(o *store.Object, err error) {
		if f != nil {
			s.store.Publish(f, o, err)
		}
	}
	finish := func() {
		if f != nil {
			s.store.Finish(f)
		}
	}
	resp, err, method, reqTime, respTime := a.resp, a.err, a.method, a.reqTime, a.respTime
	s.metrics.originFetches.Add(1)
	if err != nil {
		if stale != nil && httpcache.UsableOnError(sm.decision(), sm.age(respTime)) {
			publish(stale, err)
			finish()
			s.serveObject(x, stale, sm, resultStaleHit, httpcache.CacheStatus{Fwd: "stale", Detail: "origin-error"})
			return
		}
		publish(nil, err)
		finish()
		s.originError(x, err)
		return
	}
	if stale != nil && resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		s.refreshed(x, stale, sm, resp, reqTime, respTime, publish, finish)
		return
	}
	if stale != nil && resp.StatusCode >= 500 && httpcache.UsableOnError(sm.decision(), sm.age(respTime)) {
		resp.Body.Close()
		err := fmt.Errorf("origin answered %d", resp.StatusCode)
		publish(stale, err)
		finish()
		s.serveObject(x, stale, sm, resultStaleHit, httpcache.CacheStatus{Fwd: "stale", FwdStatus: resp.StatusCode, Detail: "origin-error"})
		return
	}

	fwd := "uri-miss"
	if stale != nil {
		fwd = "stale"
	}
	decision := httpcache.Decide(httpcache.Request{Method: method, Header: x.R.Header}, resp.StatusCode, resp.Header, x.B.policyFor(resp.StatusCode), respTime)
	stored := storedHeader(resp.Header)
	for _, f := range decision.StripFields {
		// no-cache="F" / private="F": F must not be served from the cache.
		stored.Del(f)
	}
	m := newMeta(resp.StatusCode, stored, reqTime, respTime)
	m.setDecision(decision)
	fields, star := httpcache.VaryFields(resp.Header)
	if !decision.Store || star || f == nil && resp.ContentLength > s.maxStored() {
		publish(nil, nil)
		finish()
		defer resp.Body.Close()
		x.status = resp.StatusCode
		detail := decision.Reason
		if star {
			detail = httpcache.ReasonVaryStar
		}
		s.streamResponse(x, resp, resultMiss, httpcache.CacheStatus{Fwd: fwd, FwdStatus: resp.StatusCode, Detail: detail})
		return
	}
	if len(fields) > 0 {
		s.setVariantKey(x, fields)
		m.more = &metaMore{varies: true, vary: variance{fields: fields, key: string(x.key[x.primaryLen:])}}
	} else {
		x.key = x.key[:x.primaryLen]
	}
	if sc := resp.Header["Set-Cookie"]; len(sc) > 0 && (x.B.forward.allCookies || !x.B.forward.cookies.empty()) && !x.background {
		// The cookie was set for this viewer's request: it gets it, and no
		// one else does (the stored copy never has it).
		x.W.Header()["Set-Cookie"] = sc
	}
	obj := store.NewObject(m, m.size())
	publish(obj, nil)
	go s.fillBody(resp, obj, f, string(x.key), string(x.key[:x.primaryLen]))
	s.serveObject(x, obj, m, resultMiss, httpcache.CacheStatus{Fwd: fwd, FwdStatus: resp.StatusCode, Stored: true})
}

// refreshed handles a 304 to a revalidation: the stored body lives on under
// the merged header (RFC 9111 §4.3.4) and the viewer gets a RefreshHit.
func (s *Server) refreshed(x *Exchange, stale *store.Object, sm *meta, resp *http.Response,
	reqTime, respTime time.Time, publish func(*store.Object, error), finish func()) {
	header := httpcache.MergeNotModified(sm.header(), storedHeader(resp.Header))
	status := int(sm.status)
	nm := newMeta(status, header, reqTime, respTime)
	nm.more = sm.more
	d := httpcache.Decide(httpcache.Request{Method: http.MethodGet, Header: x.R.Header}, status, header, x.B.policyFor(status), respTime)
	nm.setDecision(d)
	no := stale.WithMeta(nm, nm.size())
	if d.Store {
		s.store.Put(stale.Key(), no)
	} else {
		s.store.Remove(stale.Key(), stale)
	}
	publish(no, nil)
	finish()
	s.serveObject(x, no, nm, resultRefreshHit, httpcache.CacheStatus{Fwd: "stale", FwdStatus: http.StatusNotModified, Stored: d.Store})
}

// fillBody copies the origin's body into obj while viewers read it, then
// stores obj under key (and a Vary marker under primary when it varies).
// It runs on its own goroutine so that no viewer's pace limits the fill.
func (s *Server) fillBody(resp *http.Response, obj *store.Object, f *store.Fill, key, primary string) {
	defer resp.Body.Close()
	fill := f // kept to ask, at the end, whether the key was invalidated meanwhile
	finish := func() {
		if f != nil {
			s.store.Finish(f)
			f = nil
		}
	}
	defer finish()
	m := obj.Meta().(*meta)
	body := obj.Body()
	// Write through to the disk tier as the bytes arrive, so large objects
	// need no second pass and a crash right after the fill loses nothing.
	dw, err := s.store.NewDiskWriter(key, m, m.size())
	if err != nil {
		dw = nil // logged by the store; this object is served without disk
	}
	defer func() {
		if dw != nil {
			dw.Abort()
		}
	}()
	bufp := s.bufPool.Get().(*[]byte)
	defer s.bufPool.Put(bufp)
	buf := *bufp
	detached := false
	unread := false // detached, and no viewer is reading any more
	var written int64
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if !detached && written+int64(n) > s.store.MaxObject() {
				// Too large to keep: stream it through. Later requests lead
				// fills of their own instead of joining this one.
				detached = true
				body.Detach()
				finish()
			}
			if detached && !unread {
				wctx, cancel := context.WithTimeout(context.Background(), viewerStallTimeout)
				werr := body.WaitRoom(wctx, detachWindow)
				cancel()
				switch {
				case errors.Is(werr, store.ErrNoReaders) && dw != nil:
					// Every viewer left, but the disk copy is worth
					// finishing: carry on for the disk alone.
					unread = true
					body.Close(werr)
				case werr != nil:
					body.Close(werr)
					return
				}
			}
			if !unread {
				body.Write(buf[:n])
			}
			written += int64(n)
			if dw != nil && dw.Write(buf[:n]) != nil {
				dw = nil // aborted by the failed write
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			s.log.Warn("origin body failed", "key", key, "err", err)
			// Unregister the fill before the viewers see the failure, so
			// that a request sent after theirs goes to the origin afresh
			// instead of joining this broken one.
			finish()
			body.Close(err)
			return
		}
	}
	if resp.ContentLength >= 0 && written != resp.ContentLength {
		finish()
		body.Close(fmt.Errorf("origin body truncated: %d of %d bytes", written, resp.ContentLength))
		return
	}
	body.Close(nil) // a no-op when it was closed for lack of readers
	if fill != nil && fill.Invalidated() {
		return // the viewers got it, but it predates an invalidation
	}
	if dw != nil {
		_, err := dw.Commit()
		dw = nil
		if err != nil {
			s.log.Debug("disk tier commit failed", "key", key, "err", err)
		}
	}
	if detached {
		if fill != nil && fill.Invalidated() {
			s.store.Remove(key, nil)
		}
		return
	}
	if _, ok := m.fields().get("Content-Length"); !ok && m.status != http.StatusNoContent && m.status != http.StatusNotModified {
		// The origin sent it chunked; now that the size is known, hits carry it.
		h := m.header()
		h["Content-Length"] = []string{strconv.FormatInt(written, 10)}
		nm := m.withHeader(h)
		obj = obj.WithMeta(nm, nm.size())
	}
	// The variant before its marker: a lookup that finds the marker must
	// find the variant too.
	s.store.Put(key, obj)
	if m.variance() != nil {
		s.putMarker(primary, m)
	}
	// An invalidation marks the fill before it removes anything, so one
	// that raced with the stores above is seen here: undo them.
	if fill != nil && fill.Invalidated() {
		s.store.Remove(key, nil)
	}
}

// putMarker stores, under the primary key, the Vary marker that sends
// lookups on to the variants (in memory, and on disk so restarts keep
// varying objects reachable).
func (s *Server) putMarker(primary string, m *meta) {
	marker := newMeta(0, http.Header{}, m.requestTime(), m.responseTime())
	marker.marker, marker.rule, marker.ruleFlags = true, m.rule, m.ruleFlags
	marker.more = &metaMore{varies: true, vary: variance{fields: slices.Clone(m.varyFields())}}
	obj := store.NewObject(marker, marker.size())
	obj.Body().Close(nil)
	s.store.Put(primary, obj)
	if dw, err := s.store.NewDiskWriter(primary, marker, marker.size()); err == nil && dw != nil {
		dw.Commit()
	}
}

// maxStored is the largest body any tier keeps.
func (s *Server) maxStored() int64 {
	if d := s.store.Disk(); d != nil {
		return max(d.MaxBytes(), s.store.MaxObject())
	}
	return s.store.MaxObject()
}

// refreshInBackground revalidates a stale object while the viewer has
// already been answered from it (stale-while-revalidate, RFC 5861 §3).
func (s *Server) refreshInBackground(x *Exchange) {
	f, leader := s.store.Begin(x.key)
	if !leader {
		return // someone is already refreshing it
	}
	o, m := s.lookup(x)
	if o == nil {
		s.store.Finish(f)
		return
	}
	// The fill needs its own exchange: the viewer's is done once we return.
	bx := &Exchange{
		W: discardWriter{h: http.Header{}}, R: x.R.Clone(context.WithoutCancel(x.R.Context())),
		B: x.B, Now: x.Now, ReqID: x.ReqID, HTTPS: x.HTTPS, primaryLen: x.primaryLen, background: true,
	}
	bx.key = append(bx.keyBuf[:0], x.key...)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.fetch(bx, o, m, f)
	}()
}

// discardWriter is the viewer of a background refresh: nobody.
type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}
