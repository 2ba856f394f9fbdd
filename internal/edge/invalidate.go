package edge

import (
	"slices"
	"strings"

	"github.com/pharos-cdn/pharos/internal/store"
)

// Purge says what an invalidation removes on this edge.
type Purge struct {
	DistributionID string
	// Paths: CloudFront's rules, an exact path or a prefix ending in *
	// ("/*" is everything); query strings are not part of the match;
	// case-sensitive.
	Paths []string
	// Tags match the origin's Surrogate-Key or Cache-Tag values.
	Tags []string
	// Soft marks matching objects stale instead of removing them, so that
	// stale-while-revalidate and stale-if-error still protect the origin.
	Soft bool
}

// Invalidate applies p to the store, in both tiers, Vary variants and
// slices included (their keys extend the object's). Fills in flight for a
// matching key are told, so they do not store what they fetched. It
// returns the number of objects dropped or marked.
func (s *Server) Invalidate(p Purge) int {
	t := s.table.Load()
	var doomed []string
	s.store.Range(func(key string, o *store.Object) bool {
		host, path, ok := keyHostPath(key)
		if !ok {
			return true
		}
		if d := t.Lookup(host); d == nil || d.Model.ID != p.DistributionID {
			return true
		}
		if matchesAny(p.Paths, path) || hasTag(o.Meta().(*meta), p.Tags) {
			if p.Soft {
				o.Meta().(*meta).softPurged.Store(true)
			} else {
				doomed = append(doomed, key)
			}
		}
		return true
	})
	for _, k := range doomed {
		s.store.Remove(k, nil)
	}
	return len(doomed)
}

func matchesAny(patterns []string, path string) bool {
	for _, p := range patterns {
		if pathMatches(p, path) {
			return true
		}
	}
	return false
}

// hasTag reports whether the stored response carries one of tags in its
// Surrogate-Key or Cache-Tag field (space or comma separated).
func hasTag(m *meta, tags []string) bool {
	if len(tags) == 0 {
		return false
	}
	found := false
	for _, field := range [...]string{"Surrogate-Key", "Cache-Tag"} {
		m.fields().values(field, func(v string) {
			for _, t := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' }) {
				if slices.Contains(tags, t) {
					found = true
				}
			}
		})
	}
	return found
}

// pathMatches applies one invalidation path to an object's path.
func pathMatches(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return path == pattern
}

// keyHostPath reads the host and path back out of a cache key (see
// httpcache.AppendKey: parts ended by 0x00, OPTIONS keys prefixed). Hosts
// and paths with escaped bytes never match a valid request's, so keys
// holding escapes are reported as they are.
func keyHostPath(key string) (host, path string, ok bool) {
	key = strings.TrimPrefix(key, "OPTIONS\x00")
	host, rest, ok := strings.Cut(key, "\x00")
	if !ok {
		return "", "", false
	}
	path, _, ok = strings.Cut(rest, "\x00")
	return host, path, ok
}

// InvalidationSeq is the sequence of the last invalidation applied.
func (s *Server) InvalidationSeq() uint64 { return s.invalSeq.Load() }

// SetInvalidationSeq records that invalidations up to seq are applied.
func (s *Server) SetInvalidationSeq(seq uint64) { s.invalSeq.Store(seq) }

// CachedObjects is the number of objects in both tiers.
func (s *Server) CachedObjects() int64 {
	n := s.store.Len()
	if d := s.store.Disk(); d != nil {
		n += d.Len()
	}
	return n
}

// DropCache removes every stored object from both tiers.
func (s *Server) DropCache() int {
	var keys []string
	s.store.Range(func(key string, _ *store.Object) bool {
		keys = append(keys, key)
		return true
	})
	for _, k := range keys {
		s.store.Remove(k, nil)
	}
	return len(keys)
}
