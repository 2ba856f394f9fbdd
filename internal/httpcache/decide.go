package httpcache

import (
	"net/http"
	"time"
)

// Request is the viewer request as sent to the origin.
type Request struct {
	Method string
	Header http.Header
}

// Decision is what a cache may do with one origin response.
type Decision struct {
	Store          bool          // may be stored and reused
	TTL            time.Duration // freshness lifetime after CloudFront clamping; compare with CurrentAge
	SWR, SIE       time.Duration // stale-while-revalidate / stale-if-error windows
	MustRevalidate bool          // must-revalidate, proxy-revalidate or s-maxage: no stale without success (RFC 9111 §4.2.4)
	// NoCacheRevalidate: stored, but every reuse needs a successful revalidation (no-cache).
	NoCacheRevalidate bool
	Reason            string // why Store is false: one of the Reason* constants

	// HasSIE is set when the origin sent stale-if-error; without it UsableOnError follows
	// CloudFront's default of serving stale when the origin fails.
	HasSIE bool
	// StripFields are header fields that must not be stored or served from the cache: those
	// named by a qualified private (RFC 9111 §5.2.2.7: "MUST NOT store the specified field
	// names") or no-cache (§5.2.2.4: not to be sent "without successful revalidation"; dropping
	// them is the simple way to honour that).
	StripFields []string
}

// Reasons for not storing a response.
const (
	ReasonMethod         = "method"          // not GET or HEAD (or OPTIONS when the policy caches it)
	ReasonPolicy         = "policy"          // MaxTTL is 0: caching disabled
	ReasonStatus         = "status"          // status code not storable (here, or without explicit freshness)
	ReasonNoStore        = "no-store"        // no-store with MinTTL 0
	ReasonPrivate        = "private"         // unqualified private with MinTTL 0
	ReasonAuthorization  = "authorization"   // request had Authorization; response did not allow sharing (§3.5)
	ReasonVaryStar       = "vary-star"       // Vary: * can never match a later request (§4.1)
	ReasonMustUnderstand = "must-understand" // must-understand on a status code this cache does not know (§5.2.2.3)
	ReasonErrorTTL       = "error-ttl"       // an error response whose computed TTL is 0
)

// Decide says whether and how long a response to req may be stored, combining RFC 9111 §3
// with CloudFront's TTL rules (CLOUDFRONT.md 1.3, 1.6):
//
//   - Only GET and HEAD are stored (and OPTIONS when pol.CacheOPTIONS). Method names are
//     case-sensitive (RFC 9110 §9.1); an empty method is GET, as in net/http.
//   - The directives come from Pharos-CDN-Cache-Control, else CDN-Cache-Control, else
//     Cache-Control (RFC 9213, see EffectiveDirectives).
//   - The origin lifetime L is s-maxage, else max-age, else Expires − Date (see
//     explicitLifetime); TTL = clamp(L, MinTTL, MaxTTL). Without L, heuristically cacheable
//     statuses (and any status marked public, RFC 9111 §3) get clamp(DefaultTTL); other
//     statuses are not stored.
//   - Errors: 404, 414, 500, 501, 502, 503 and 504 are stored for
//     min(max(ErrorCachingMinTTL, L), MaxTTL); 400, 403, 405, 412 and 415 likewise but only
//     when the origin sent max-age or s-maxage; 416 never.
//   - no-store and unqualified private prevent storing when MinTTL is 0; unqualified no-cache
//     stores with NoCacheRevalidate. When MinTTL > 0, CloudFront caches for MinTTL anyway.
//   - A request with Authorization is stored only if the response has public, must-revalidate
//     or s-maxage (RFC 9111 §3.5); MinTTL does not override this.
//   - Vary: * is not stored (RFC 9111 §4.1: it always fails to match).
//
// Request cache directives (no-store, no-cache, Pragma) are ignored, as CloudFront ignores them
// (CLOUDFRONT.md 1.3): one viewer must not be able to stop an object being shared.
func Decide(req Request, status int, h http.Header, pol Policy, now time.Time) Decision {
	if !storableMethod(req.Method, pol) {
		return Decision{Reason: ReasonMethod}
	}
	if pol.MaxTTL <= 0 {
		return Decision{Reason: ReasonPolicy}
	}
	class := classify(status)
	if class == classNever {
		return Decision{Reason: ReasonStatus}
	}
	d, field := EffectiveDirectives(h)
	targeted := field != FieldCacheControl
	if d.MustUnderstand {
		if !understood(status) {
			return Decision{Reason: ReasonMustUnderstand}
		}
		d.NoStore = false // §5.2.2.3: a cache that understands the status "SHOULD ignore the no-store"
	}
	// CloudFront: no-store, no-cache and private are honoured only when MinTTL is 0.
	forced := pol.MinTTL > 0 && (d.NoStore || d.Private || d.NoCache)
	switch {
	case forced:
	case d.NoStore:
		return Decision{Reason: ReasonNoStore}
	case d.Private:
		return Decision{Reason: ReasonPrivate}
	}
	if hasAuthorization(req.Header) && !d.Public && !d.MustRevalidate && (targeted || !d.HasSMaxAge) {
		return Decision{Reason: ReasonAuthorization}
	}
	if _, star := VaryFields(h); star {
		return Decision{Reason: ReasonVaryStar}
	}
	ttl, reason := statusTTL(class, d, targeted, h, pol, now)
	if reason != "" {
		return Decision{Reason: reason}
	}
	if forced {
		ttl = min(pol.MinTTL, pol.MaxTTL)
	}
	return withStaleRules(Decision{
		Store:             true,
		TTL:               ttl,
		NoCacheRevalidate: d.NoCache && !forced,
		StripFields:       stripFields(d),
	}, d, targeted)
}

// statusTTL computes the TTL for a status class, or the reason it cannot be stored.
func statusTTL(class statusClass, d Directives, targeted bool, h http.Header, pol Policy, now time.Time) (time.Duration, string) {
	life, src := explicitLifetime(d, targeted, h, now)
	switch class {
	case classErrorExplicit, classErrorAlways:
		if class == classErrorExplicit && src != lifetimeDirective {
			return 0, ReasonStatus
		}
		ttl := min(max(pol.ErrorCachingMinTTL, life), pol.MaxTTL)
		if ttl <= 0 {
			return 0, ReasonErrorTTL
		}
		return ttl, ""
	case classHeuristic:
		if src == lifetimeNone {
			return pol.clamp(pol.DefaultTTL), ""
		}
	default: // classExplicit
		if src == lifetimeNone {
			if !d.Public {
				return 0, ReasonStatus
			}
			return pol.clamp(pol.DefaultTTL), ""
		}
	}
	return pol.clamp(life), ""
}

// withStaleRules fills in the revalidation and stale-serving fields.
//
// must-revalidate and proxy-revalidate forbid serving stale (RFC 9111 §4.2.4), so they cancel
// stale-while-revalidate and stale-if-error (the most restrictive directive wins, §4.2.1).
// s-maxage carries proxy-revalidate's meaning for a shared cache (§5.2.2.10) and sets
// MustRevalidate too, but explicit stale-* windows sent with it are kept: §4.2.4 lets a cache
// serve stale where the origin "explicitly permitted" it (RFC 5861), and
// "s-maxage=60, stale-while-revalidate=30" is how origins ask a CDN for exactly that.
func withStaleRules(dec Decision, d Directives, targeted bool) Decision {
	dec.MustRevalidate = d.MustRevalidate || d.ProxyRevalidate || (!targeted && d.HasSMaxAge)
	if d.MustRevalidate || d.ProxyRevalidate {
		return dec
	}
	dec.SWR, dec.SIE, dec.HasSIE = d.StaleWhileRevalidate, d.StaleIfError, d.HasSIE
	return dec
}

// storableMethod reports whether responses to method may be stored.
func storableMethod(method string, pol Policy) bool {
	switch method {
	case http.MethodGet, http.MethodHead, "":
		return true
	case http.MethodOptions:
		return pol.CacheOPTIONS
	}
	return false
}

// hasAuthorization reports whether a request carries credentials for the origin (RFC 9111
// §3.5 names the Authorization field).
func hasAuthorization(h http.Header) bool {
	return len(h["Authorization"]) > 0
}

// stripFields joins the field names of qualified no-cache and private.
func stripFields(d Directives) []string {
	if len(d.NoCacheFields) == 0 {
		return d.PrivateFields
	}
	if len(d.PrivateFields) == 0 {
		return d.NoCacheFields
	}
	return append(append([]string(nil), d.PrivateFields...), d.NoCacheFields...)
}
