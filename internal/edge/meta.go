package edge

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/pharos-cdn/pharos/internal/httpcache"
)

// meta is what the edge keeps with a stored response besides its body.
// It is immutable once stored: a revalidation makes a new one.
type meta struct {
	status       int
	header       http.Header // as sent to viewers, before the edge's own fields
	requestTime  time.Time   // when the origin request was sent (RFC 9111 §4.2.3)
	responseTime time.Time   // when its response arrived
	decision     httpcache.Decision
	varyFields   []string // the response's Vary, normalised; nil without one
	varyKey      string   // the secondary key this variant answers
	marker       bool     // a Vary marker: no response, only varyFields
	// A slice marker stands for an object cached in slices (slice.go).
	sliced     bool
	sliceSize  int64
	totalSize  int64
	generation string // names this set of slices; a new set gets a new one
	// initialAge is RFC 9111 §4.2.3's corrected_initial_age, computed once
	// when the response arrives so that a hit does not parse Date and Age.
	initialAge time.Duration
	// hitHead caches the pre-encoded head of a fast-path hit (hithead.go).
	hitHead atomic.Pointer[[]byte]
	// softPurged marks a response a soft purge made stale.
	softPurged atomic.Bool
}

// newMeta describes a response that arrived at responseTime.
func newMeta(status int, header http.Header, requestTime, responseTime time.Time) *meta {
	if _, ok := header["Date"]; !ok && status != 0 {
		// RFC 9110 §6.6.1: a cache that receives a response without Date
		// records when it arrived and adds it.
		header["Date"] = []string{responseTime.UTC().Format(http.TimeFormat)}
	}
	return &meta{
		status: status, header: header, requestTime: requestTime, responseTime: responseTime,
		initialAge: httpcache.CurrentAge(header, requestTime, responseTime, responseTime),
	}
}

// withHeader returns a copy of m with another header (and no cached
// pre-encoded head, which depends on the header).
func (m *meta) withHeader(h http.Header) *meta {
	return &meta{
		status: m.status, header: h, requestTime: m.requestTime, responseTime: m.responseTime,
		decision: m.decision, varyFields: m.varyFields, varyKey: m.varyKey, marker: m.marker,
		sliced: m.sliced, sliceSize: m.sliceSize, totalSize: m.totalSize, generation: m.generation,
		initialAge: m.initialAge,
	}
}

// age is the response's current_age: its initial age plus the time it has
// been resident in the cache.
func (m *meta) age(now time.Time) time.Duration {
	age := m.initialAge + max(now.Sub(m.responseTime), 0)
	if m.softPurged.Load() && age <= m.decision.TTL {
		// A soft purge ages the response just past its freshness: the
		// next request revalidates it, while its stale-while-revalidate
		// and stale-if-error windows still apply.
		age = m.decision.TTL + time.Second
	}
	return age
}

// size estimates the bytes m holds, for the store's accounting.
func (m *meta) size() int {
	n := 256
	for k, vs := range m.header {
		n += len(k) + 16
		for _, v := range vs {
			n += len(v) + 16
		}
	}
	return n + len(m.varyKey)
}

// storedHeader returns the header to keep from an origin response: no
// hop-by-hop fields and no Set-Cookie (one viewer's cookie must never be
// served to another; CloudFront strips it from cached responses too).
func storedHeader(h http.Header) http.Header {
	out := h.Clone()
	removeHopByHop(out)
	delete(out, "Set-Cookie")
	delete(out, "Pharos-Cdn-Cache-Control") // addressed to us alone (RFC 9213 §2)
	return out
}

// sharableWithAuthorization says whether a stored response may answer a
// request that carries Authorization (RFC 9111 §3.5): only when it said
// public, s-maxage or must-revalidate.
func (m *meta) sharableWithAuthorization() bool {
	d, _ := httpcache.EffectiveDirectives(m.header)
	return d.Public || d.HasSMaxAge || d.MustRevalidate
}
