package edge

import (
	"net/http"
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
}

// newMeta describes a response that arrived at responseTime.
func newMeta(status int, header http.Header, requestTime, responseTime time.Time) *meta {
	return &meta{
		status: status, header: header, requestTime: requestTime, responseTime: responseTime,
		initialAge: httpcache.CurrentAge(header, requestTime, responseTime, responseTime),
	}
}

// age is the response's current_age: its initial age plus the time it has
// been resident in the cache.
func (m *meta) age(now time.Time) time.Duration {
	return m.initialAge + max(now.Sub(m.responseTime), 0)
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
