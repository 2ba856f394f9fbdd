package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/store"
)

// Slices. A range request for an object that is not cached does not wait
// for the whole object (nginx's slice module does the same): the edge asks
// the origin for the slice holding the range's start, learns the object's
// size from Content-Range, and stores a slice marker under the object's key
// (its headers, size, slice size and a generation) and each slice under a
// key of its own. Later ranges and whole-object requests are assembled from
// slices, fetching missing ones. Slices live and die with their marker:
// invalidating the key removes the marker, the next set gets a new
// generation, and the old slices are never found again and age out.

// wantsSlices reports whether a miss for x should start a set of slices.
func wantsSlices(x *Exchange) bool {
	return x.R.Method == http.MethodGet && len(x.R.Header["Range"]) == 1 && x.B.sliceSize > 0
}

func sliceKey(x *Exchange, m *meta, i int64) []byte {
	k := make([]byte, 0, x.primaryLen+len(m.sliceSet().generation)+24)
	k = append(k, x.key[:x.primaryLen]...)
	k = append(k, 0x02)
	k = append(k, m.sliceSet().generation...)
	k = append(k, ':')
	return strconv.AppendInt(k, i, 10)
}

// rangeStart is the first byte a Range asks for (0 for a suffix range,
// whose start needs the size, which the first slice tells).
func rangeStart(h http.Header) int64 {
	v, ok := strings.CutPrefix(strings.TrimSpace(h.Get("Range")), "bytes=")
	if !ok {
		return 0
	}
	a, _, _ := strings.Cut(v, "-")
	n, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// sliceMiss answers a range request for an object that is not cached by
// fetching the slice that holds the range's start and setting up the set.
func (s *Server) sliceMiss(x *Exchange) {
	f, leader := s.store.Begin(x.key)
	if !leader {
		// Another viewer is setting the object up: wait, then look again.
		f.Wait(x.R.Context())
		if o, m := s.lookup(x); o != nil {
			if m.sliced() {
				s.serveSlices(x, m, resultHit)
				return
			}
			s.serveObject(x, o, m, resultHit, httpcache.CacheStatus{Fwd: "miss", Collapsed: true})
			return
		}
		s.miss(x, nil, nil)
		return
	}
	size := x.B.sliceSize
	first := rangeStart(x.R.Header) / size
	want := httpcache.ByteRange{Start: first * size, End: first*size + size - 1}
	req, err := s.originRequest(x, http.MethodGet, http.Header{"Range": {"bytes=" + strconv.FormatInt(want.Start, 10) + "-" + strconv.FormatInt(want.End, 10)}})
	if err != nil {
		s.store.Finish(f)
		s.edgeError(x, http.StatusBadRequest, "bad request")
		return
	}
	reqTime := s.now()
	resp, err := x.B.origin.Do(context.WithoutCancel(x.R.Context()), req)
	a := originAnswer{method: http.MethodGet, resp: resp, err: err, reqTime: reqTime, respTime: s.now()}
	if err != nil || resp.StatusCode != http.StatusPartialContent {
		// The origin ignores ranges (a 200 is the whole object) or failed:
		// the ordinary path stores and answers it.
		s.handleOrigin(x, nil, nil, f, a)
		return
	}
	got, total, ok := httpcache.ParseContentRange(resp.Header.Get("Content-Range"))
	stored := storedHeader(resp.Header)
	delete(stored, "Content-Range")
	delete(stored, "Content-Length")
	m := newMeta(http.StatusOK, stored, a.reqTime, a.respTime)
	decision := httpcache.Decide(httpcache.Request{Method: http.MethodGet, Header: x.R.Header}, http.StatusOK, resp.Header, x.B.policyFor(http.StatusOK), a.respTime)
	m.setDecision(decision)
	fields, star := httpcache.VaryFields(resp.Header)
	if !ok || total < 0 || got.Start != want.Start || !decision.Store || star || len(fields) > 0 {
		// Not something to slice (an odd Content-Range, not storable, or
		// varying): pass the viewer's own range through.
		resp.Body.Close()
		s.store.Finish(f)
		s.passRange(x)
		return
	}
	m.more = &metaMore{sliced: true, slices: sliceSet{sliceSize: size, totalSize: total, generation: newGeneration()}}
	s.putSliceMarker(string(x.key[:x.primaryLen]), m)
	s.startSlice(x, m, first, resp)
	s.store.Finish(f)
	s.serveSlices(x, m, resultMiss)
}

func newGeneration() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// putSliceMarker stores the marker in memory and on disk.
func (s *Server) putSliceMarker(primary string, m *meta) {
	obj := store.NewObject(m, m.size())
	obj.Body().Close(nil)
	s.store.Put(primary, obj)
	if dw, err := s.store.NewDiskWriter(primary, m, m.size()); err == nil && dw != nil {
		dw.Commit()
	}
}

// startSlice stores slice i from resp, a 206 for exactly that slice, as it
// streams in.
func (s *Server) startSlice(x *Exchange, m *meta, i int64, resp *http.Response) {
	key := sliceKey(x, m, i)
	f, _ := s.store.Begin(key)
	sm := newMeta(http.StatusPartialContent, http.Header{}, m.requestTime(), m.responseTime())
	sm.rule, sm.ruleFlags = m.rule, m.ruleFlags
	obj := store.NewObject(sm, sm.size())
	s.store.Publish(f, obj, nil)
	go s.fillBody(resp, obj, f, string(key), string(key))
}

// slice returns slice i of a sliced object, from the cache or the origin.
func (s *Server) slice(x *Exchange, m *meta, i int64) (*store.Object, error) {
	key := sliceKey(x, m, i)
	if o := s.store.Get(key); o != nil {
		return o, nil
	}
	f, leader := s.store.Begin(key)
	if !leader {
		if o, err := f.Wait(x.R.Context()); o != nil {
			return o, nil
		} else if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("edge: slice %d could not be fetched", i)
	}
	want := httpcache.SliceRange(i, m.sliceSet().sliceSize, m.sliceSet().totalSize)
	cond := http.Header{"Range": {"bytes=" + strconv.FormatInt(want.Start, 10) + "-" + strconv.FormatInt(want.End, 10)}}
	if etag, _ := m.fields().get("Etag"); etag != "" && !strings.HasPrefix(etag, "W/") {
		cond.Set("If-Match", etag) // every slice must come from the same version
	}
	req, err := s.originRequest(x, http.MethodGet, cond)
	if err != nil {
		s.store.Finish(f)
		return nil, err
	}
	resp, err := x.B.origin.Do(context.WithoutCancel(x.R.Context()), req)
	s.metrics.originFetches.Add(1)
	if err != nil {
		s.store.Publish(f, nil, err)
		s.store.Finish(f)
		return nil, err
	}
	got, total, ok := httpcache.ParseContentRange(resp.Header.Get("Content-Range"))
	if resp.StatusCode != http.StatusPartialContent || !ok || got != want || total != m.sliceSet().totalSize {
		// The object changed at the origin: this set of slices is void.
		resp.Body.Close()
		s.store.Finish(f)
		s.store.Remove(string(x.key[:x.primaryLen]), nil)
		return nil, fmt.Errorf("edge: slice %d: origin answered %d %q", i, resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	sm := newMeta(http.StatusPartialContent, http.Header{}, m.requestTime(), m.responseTime())
	sm.rule, sm.ruleFlags = m.rule, m.ruleFlags
	obj := store.NewObject(sm, sm.size())
	s.store.Publish(f, obj, nil)
	go s.fillBody(resp, obj, f, string(key), string(key))
	return obj, nil
}

// serveSlices answers x from a sliced object: the range asked for (or the
// whole object), slice by slice, each streamed as it arrives.
func (s *Server) serveSlices(x *Exchange, m *meta, res result) {
	s.metrics.count(res)
	if x.background {
		return
	}
	h := x.W.Header()
	m.fields().copyTo(h)
	s.edgeHeaders(x, h, h["Via"], res)
	cs := httpcache.CacheStatus{Hit: res != resultMiss, Fwd: "uri-miss", FwdStatus: http.StatusPartialContent, Stored: true, Detail: "slice"}
	if res != resultMiss {
		age := m.age(x.Now)
		h["Age"] = []string{strconv.FormatInt(int64(age.Seconds()), 10)}
		cs = httpcache.CacheStatus{Hit: true, HasTTL: true, Detail: "slice"}
		_, cs.TTL = httpcache.Freshness(m.decision(), age)
	}
	h["Cache-Status"] = []string{string(httpcache.AppendCacheStatus(nil, cs))}
	if s.answerConditional(x, h, m) {
		return
	}
	size := m.sliceSet().totalSize
	x.status = http.StatusOK
	h["Content-Length"] = []string{strconv.FormatInt(size, 10)}
	off, n, ok := s.answerRange(x, h, m, size)
	if !ok {
		return
	}
	if n < 0 {
		n = size - off
	}
	x.W.WriteHeader(x.status)
	if x.R.Method == http.MethodHead || n == 0 {
		return
	}
	first, last := httpcache.SlicesFor(httpcache.ByteRange{Start: off, End: off + n - 1}, m.sliceSet().sliceSize)
	for i := first; i <= last; i++ {
		o, err := s.slice(x, m, i)
		if err != nil {
			s.log.Warn("slice fetch failed", "request", x.ReqID, "slice", i, "err", err)
			panic(http.ErrAbortHandler) // headers are out: break the response
		}
		sr := httpcache.SliceRange(i, m.sliceSet().sliceSize, size)
		from := max(off, sr.Start)
		to := min(off+n-1, sr.End)
		var src bodySource
		if err := s.openSource(o, &src); err != nil {
			panic(http.ErrAbortHandler)
		}
		err = src.copyTo(x, from-sr.Start, to-from+1)
		src.close()
		if err != nil {
			if x.R.Context().Err() != nil {
				return
			}
			panic(http.ErrAbortHandler)
		}
	}
}

// passRange sends the viewer's range request to the origin as it is, for
// objects that are not sliced, and streams the answer back.
func (s *Server) passRange(x *Exchange) {
	req, err := s.originRequest(x, http.MethodGet, http.Header{"Range": x.R.Header["Range"]})
	if err != nil {
		s.edgeError(x, http.StatusBadRequest, "bad request")
		return
	}
	if ir := x.R.Header["If-Range"]; len(ir) > 0 {
		req.Header["If-Range"] = ir
	}
	resp, err := x.B.origin.Do(x.R.Context(), req)
	if err != nil {
		s.originError(x, err)
		return
	}
	defer resp.Body.Close()
	x.status = resp.StatusCode
	s.streamResponse(x, resp, resultMiss, httpcache.CacheStatus{Fwd: "uri-miss", FwdStatus: resp.StatusCode, Detail: "range-not-stored"})
}
