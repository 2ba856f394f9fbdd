package httpcache

import (
	"net/http"
	"time"
)

// lifetimeSource says where an explicit freshness lifetime came from.
type lifetimeSource uint8

const (
	lifetimeNone      lifetimeSource = iota // no explicit lifetime: heuristics or DefaultTTL apply
	lifetimeDirective                       // a valid s-maxage or max-age
	lifetimeOther                           // Expires, or invalid freshness information read as stale
)

// explicitLifetime computes the freshness lifetime the origin gave (RFC 9111 §4.2.1), in
// CloudFront's order (CLOUDFRONT.md 1.3): s-maxage, else max-age, else Expires − Date.
//
//   - Under a targeted field (RFC 9213) only its max-age counts, and Expires is ignored.
//   - A max-age or s-maxage with an invalid argument, and no valid one, makes the response
//     stale: RFC 9111 §4.2.1 encourages caches "to consider responses that have invalid
//     freshness information ... to be stale".
//   - An invalid Expires (such as "0") means already expired (§5.3); so do several Expires
//     lines that disagree (§4.2.1).
//   - Expires is measured from the origin's Date when it is valid (§4.2.1:
//     expires_value − date_value, which cancels clock skew), else from now.
func explicitLifetime(d Directives, targeted bool, h http.Header, now time.Time) (time.Duration, lifetimeSource) {
	switch {
	case !targeted && d.HasSMaxAge:
		return d.SMaxAge, lifetimeDirective
	case d.HasMaxAge:
		return d.MaxAge, lifetimeDirective
	case targeted:
		return 0, lifetimeNone
	case d.BadSMaxAge || d.BadMaxAge:
		return 0, lifetimeOther
	}
	expires := h["Expires"]
	if len(expires) == 0 {
		return 0, lifetimeNone
	}
	for _, v := range expires[1:] {
		if v != expires[0] {
			return 0, lifetimeOther
		}
	}
	exp, ok := ParseHTTPDateAt(trimOWS(expires[0]), now)
	if !ok {
		return 0, lifetimeOther
	}
	base := now
	if v := h["Date"]; len(v) > 0 {
		if date, ok := ParseHTTPDateAt(trimOWS(v[0]), now); ok {
			base = date
		}
	}
	return max(0, exp.Sub(base)), lifetimeOther
}
