package edge

import (
	"strings"

	"github.com/pharos-cdn/pharos/internal/store"
)

// Invalidate drops every stored object of distribution distID whose path
// matches one of paths, in both tiers, with their Vary variants and slices
// (their keys extend the object's). CloudFront's rules: a path is exact, or
// ends in * to match a prefix ("/*" is everything); query strings are not
// part of the match; matching is case-sensitive. Fills in flight for a
// matching key are told, so they do not store what they fetched. It
// returns the number of objects dropped.
func (s *Server) Invalidate(distID string, paths []string) int {
	t := s.table.Load()
	var doomed []string
	s.store.Range(func(key string, _ *store.Object) bool {
		host, path, ok := keyHostPath(key)
		if !ok {
			return true
		}
		if d := t.Lookup(host); d == nil || d.Model.ID != distID {
			return true
		}
		for _, p := range paths {
			if pathMatches(p, path) {
				doomed = append(doomed, key)
				break
			}
		}
		return true
	})
	for _, k := range doomed {
		s.store.Remove(k, nil)
	}
	return len(doomed)
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
