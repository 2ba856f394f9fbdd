package httpcache

import "time"

// State is what to do with a stored response before reusing it.
type State int

const (
	// Fresh may be served as is (RFC 9111 §4.2).
	Fresh State = iota
	// StaleRevalidateAsync may be served now while a revalidation runs in the background
	// (stale-while-revalidate, RFC 5861 §3).
	StaleRevalidateAsync
	// StaleNeedsRevalidate must be revalidated with the origin before it is served.
	StaleNeedsRevalidate
)

// String names the state for logs.
func (s State) String() string {
	switch s {
	case Fresh:
		return "fresh"
	case StaleRevalidateAsync:
		return "stale-while-revalidate"
	case StaleNeedsRevalidate:
		return "stale"
	}
	return "unknown"
}

// Freshness says what to do with a stored response whose current age (CurrentAge) is age,
// given its Decision, and returns the remaining TTL, negative once stale.
//
// A response is fresh while its age is below its lifetime (RFC 9111 §4.2: fresh when
// freshness_lifetime > current_age), so a TTL of 0 is stale at once. Once stale it may be
// served while revalidating for SWR more (RFC 5861 §3: "for up to N seconds after it becomes
// stale"). A no-cache response is never reused without revalidation (§5.2.2.4), fresh or not.
func Freshness(d Decision, age time.Duration) (State, time.Duration) {
	remaining := d.TTL - age
	switch {
	case d.NoCacheRevalidate:
		return StaleNeedsRevalidate, remaining
	case remaining > 0:
		return Fresh, remaining
	case d.SWR > 0 && -remaining <= d.SWR:
		return StaleRevalidateAsync, remaining
	}
	return StaleNeedsRevalidate, remaining
}

// UsableOnError says whether a stored response of current age age may be served when the
// origin fails (a 5xx or no answer; 4xx responses are passed on, CLOUDFRONT.md 1.6).
//
//   - no-cache never allows it, must-revalidate and proxy-revalidate do not either (RFC 9111
//     §4.2.4; Decide has already cancelled their stale-* windows).
//   - With stale-if-error=N it may be served up to N seconds stale (RFC 5861 §4), even with
//     s-maxage; "stale-if-error=0" is how an origin stops CloudFront serving a MinTTL-forced
//     copy stale (CLOUDFRONT.md 1.3).
//   - Otherwise s-maxage forbids it (§4.2.4), and without any of these CloudFront serves the
//     stale object when the origin fails (CLOUDFRONT.md 1.6), which RFC 9111 §4.2.4 allows a
//     cache "disconnected" from the origin.
func UsableOnError(d Decision, age time.Duration) bool {
	staleness := age - d.TTL
	switch {
	case d.NoCacheRevalidate:
		return false
	case staleness < 0:
		return true
	case d.HasSIE:
		return staleness <= d.SIE
	}
	return !d.MustRevalidate
}
