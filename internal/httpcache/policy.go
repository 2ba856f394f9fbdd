package httpcache

import "time"

// DefaultErrorCachingMinTTL is CloudFront's default error caching minimum TTL
// (CLOUDFRONT.md 1.6).
const DefaultErrorCachingMinTTL = 10 * time.Second

// Policy is a cache behaviour's TTL settings (a CloudFront cache policy, CLOUDFRONT.md 1.3).
// The zero Policy is CloudFront's CachingDisabled: MaxTTL 0 stores nothing.
type Policy struct {
	MinTTL, DefaultTTL, MaxTTL time.Duration
	ErrorCachingMinTTL         time.Duration // CloudFront default 10s (DefaultErrorCachingMinTTL)

	// CacheOPTIONS is set when the behaviour's CachedMethods include OPTIONS (CLOUDFRONT.md
	// 1.2); the edge then keys OPTIONS separately from GET and HEAD.
	CacheOPTIONS bool
}

// LegacyDefaultPolicy returns the TTLs CloudFront uses for a behaviour without a cache policy:
// MinTTL 0, DefaultTTL 24 h, MaxTTL one year, errors cached for 10 s (CLOUDFRONT.md 1.2, 1.6).
func LegacyDefaultPolicy() Policy {
	return Policy{
		DefaultTTL:         24 * time.Hour,
		MaxTTL:             365 * 24 * time.Hour,
		ErrorCachingMinTTL: DefaultErrorCachingMinTTL,
	}
}

// clamp puts a lifetime into [MinTTL, MaxTTL] (CLOUDFRONT.md 1.3). MaxTTL wins should a
// misconfigured policy have MinTTL above it.
func (p Policy) clamp(d time.Duration) time.Duration {
	return min(max(d, p.MinTTL), p.MaxTTL)
}
