package edge

import (
	"net/http"

	"github.com/pharos-cdn/pharos/internal/httpcache"
)

// passStage sends a request that is not cached (POST, PUT, …, or a method
// the behaviour does not cache) to the origin and streams the answer back.
func passStage(s *Server, b *Behavior) Handler {
	return func(x *Exchange) {
		req, err := s.originRequest(x, x.R.Method, nil)
		if err != nil {
			s.edgeError(x, http.StatusBadRequest, "bad request")
			return
		}
		resp, err := b.origin.Do(x.R.Context(), req)
		if err != nil {
			s.originError(x, err)
			return
		}
		defer resp.Body.Close()
		x.status = resp.StatusCode
		s.streamResponse(x, resp, resultMiss, httpcache.CacheStatus{Fwd: "request", FwdStatus: resp.StatusCode})
	}
}

// invalidateAfterUnsafe drops stored responses for the target URI (and the
// same-host URIs in Location and Content-Location) after an unsafe request
// succeeded (RFC 9111 §4.4).
func (s *Server) invalidateAfterUnsafe(x *Exchange) {
	if !httpcache.InvalidatesOnUnsafe(x.R.Method, x.status) {
		return
	}
	host := hostOnly(x.R.Host)
	s.invalidateURI(x, host, x.R.URL.EscapedPath(), x.R.URL.RawQuery)
	for _, target := range httpcache.InvalidationTargets(host, x.respHeader) {
		path, query, _ := cutQuery(target)
		s.invalidateURI(x, host, path, query)
	}
}

// invalidateURI removes what a GET of path?query would find: the stored
// response or Vary marker, and the variant this request's headers select.
func (s *Server) invalidateURI(x *Exchange, host, path, query string) {
	key := httpcache.AppendKey(nil, host, path, query, x.R.Header, &x.B.keyPolicy)
	if o := s.store.Get(key); o != nil {
		if m := o.Meta().(*meta); m.marker {
			vk := httpcache.AppendVaryKey(append(key, 0x01), m.varyFields(), x.R.Header)
			s.store.Remove(string(vk), nil)
		}
	}
	// Even with nothing stored yet: a fill in flight must not store what it
	// fetched before this change.
	s.store.Remove(string(key), nil)
}

func cutQuery(target string) (path, query string, ok bool) {
	for i := 0; i < len(target); i++ {
		if target[i] == '?' {
			return target[:i], target[i+1:], true
		}
	}
	return target, "", false
}
