package httpcache

import "net/http"

// statusClass groups status codes by how CloudFront and RFC 9111 let a cache store them.
type statusClass uint8

const (
	// classNever is never stored: interim (1xx) and unknown codes, 304 (it updates a stored
	// response, RFC 9111 §4.3.4, it is not one), and 416 (CloudFront never caches it).
	classNever statusClass = iota
	// classHeuristic is "heuristically cacheable" (RFC 9110 §15.1), so stored with DefaultTTL
	// when the origin gives no lifetime. RFC 9110 also lists 404, 405, 414 and 501, which
	// CloudFront's error rules below govern instead.
	classHeuristic
	// classErrorAlways is an error CloudFront always caches, for
	// max(ErrorCachingMinTTL, origin lifetime) capped by MaxTTL (CLOUDFRONT.md 1.6).
	classErrorAlways
	// classErrorExplicit is an error CloudFront caches only when the origin sends max-age or
	// s-maxage (CLOUDFRONT.md 1.6).
	classErrorExplicit
	// classExplicit is any other final code: stored only with explicit freshness or public
	// (RFC 9111 §3).
	classExplicit
)

// classify returns the storage class of a status code.
func classify(status int) statusClass {
	switch status {
	case 200, 203, 204, 206, 300, 301, 308, 410:
		return classHeuristic
	case 404, 414, 500, 501, 502, 503, 504:
		return classErrorAlways
	case 400, 403, 405, 412, 415:
		return classErrorExplicit
	case 304, 416:
		return classNever
	}
	if status < 200 || status > 599 {
		return classNever
	}
	return classExplicit
}

// understood reports whether this cache knows the caching requirements of a status code, for
// must-understand (RFC 9111 §5.2.2.3): the codes registered in Go's table, which covers
// RFC 9110 and the common extensions.
func understood(status int) bool {
	return status >= 200 && http.StatusText(status) != ""
}
