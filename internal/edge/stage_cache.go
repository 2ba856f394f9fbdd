package edge

import (
	"net/http"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/store"
)

// cacheStage answers cached methods from the store: a fresh object is a
// Hit; a stale one is revalidated (or served stale while it is, within
// stale-while-revalidate); a missing one is filled once however many
// viewers ask (fill.go). Other methods go on to the origin.
func cacheStage(s *Server, b *Behavior) Stage {
	return func(next Handler) Handler {
		return func(x *Exchange) {
			if !b.cached.has(x.R.Method) {
				next(x)
				s.invalidateAfterUnsafe(x)
				return
			}
			s.computeKey(x)
			o, m := s.lookup(x)
			if o != nil && !m.marker && len(x.R.Header["Authorization"]) > 0 && !m.sharableWithAuthorization() {
				// RFC 9111 §3.5: this viewer gets its own answer, fetched
				// alone (the stored one may not be given to it).
				s.fetch(x, nil, nil, nil)
				return
			}
			if o != nil && m.sliced() {
				if state, _ := httpcache.Freshness(m.decision(), m.age(x.Now)); state == httpcache.Fresh && !m.noCacheRevalidate() {
					s.serveSlices(x, m, resultHit)
					return
				}
				// A stale set of slices is dropped and a new one started:
				// revalidating each slice would cost as much.
				s.store.Remove(string(x.key[:x.primaryLen]), nil)
				o = nil
			}
			if o == nil {
				if wantsSlices(x) {
					s.sliceMiss(x)
					return
				}
				s.miss(x, nil, nil)
				return
			}
			state, _ := httpcache.Freshness(m.decision(), m.age(x.Now))
			switch {
			case state == httpcache.Fresh && !m.noCacheRevalidate():
				s.serveObject(x, o, m, resultHit, httpcache.CacheStatus{Hit: true})
			case state == httpcache.StaleRevalidateAsync && !m.noCacheRevalidate():
				s.serveObject(x, o, m, resultStaleHit, httpcache.CacheStatus{Hit: true, Detail: "stale-while-revalidate"})
				s.refreshInBackground(x)
			default:
				s.miss(x, o, m)
			}
		}
	}
}

// computeKey writes the primary cache key into the exchange's buffer.
func (s *Server) computeKey(x *Exchange) {
	r := x.R
	key := x.keyBuf[:0]
	if r.Method == http.MethodOptions {
		key = append(key, "OPTIONS\x00"...) // cached apart (CLOUDFRONT.md §1.2)
	}
	key = httpcache.AppendKey(key, hostOnly(r.Host), r.URL.EscapedPath(), r.URL.RawQuery, r.Header, &x.B.keyPolicy)
	x.key = key
	x.primaryLen = len(key)
}

// lookup finds the stored response for the exchange, following a Vary
// marker to the variant that matches this request's header values.
func (s *Server) lookup(x *Exchange) (*store.Object, *meta) {
	o := s.store.Get(x.key)
	if o == nil {
		return nil, nil
	}
	m := o.Meta().(*meta)
	if !m.marker {
		return o, m
	}
	s.setVariantKey(x, m.varyFields())
	if o = s.store.Get(x.key); o == nil {
		return nil, nil
	}
	return o, o.Meta().(*meta)
}

// setVariantKey extends the primary key with the request's values of the
// Vary fields (RFC 9111 §4.1).
func (s *Server) setVariantKey(x *Exchange, fields []string) {
	x.key = append(x.key[:x.primaryLen], 0x01)
	x.key = httpcache.AppendVaryKey(x.key, fields, x.R.Header)
}

func hostOnly(host string) string {
	// Cut a port, leaving IPv6 brackets alone: "[::1]:80" → "[::1]".
	for i := len(host) - 1; i >= 0; i-- {
		switch host[i] {
		case ':':
			return host[:i]
		case ']':
			return host
		}
	}
	return host
}
