package model

// Managed cache policies under CloudFront's real IDs (CLOUDFRONT.md §1.3).
var managedCachePolicies = map[string]CachePolicy{
	"658327ea-f89d-4fab-a63d-7e88639e58f6": {
		ID: "658327ea-f89d-4fab-a63d-7e88639e58f6", Name: "Managed-CachingOptimized",
		MinTTL: 1, DefaultTTL: 86400, MaxTTL: 31536000,
		QueryStrings: ListConfig{Behavior: "none"}, Headers: ListConfig{Behavior: "none"},
		Cookies:              ListConfig{Behavior: "none"},
		EnableAcceptEncoding: AcceptEncoding{Gzip: true, Brotli: true},
	},
	"4135ea2d-6df8-44a3-9df3-4b5a84be39ad": {
		ID: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", Name: "Managed-CachingDisabled",
		QueryStrings: ListConfig{Behavior: "none"}, Headers: ListConfig{Behavior: "none"},
		Cookies: ListConfig{Behavior: "none"},
	},
	"b2884449-e4de-46a7-ac36-70bc7f1ddd6d": {
		ID: "b2884449-e4de-46a7-ac36-70bc7f1ddd6d", Name: "Managed-CachingOptimizedForUncompressedObjects",
		MinTTL: 1, DefaultTTL: 86400, MaxTTL: 31536000,
		QueryStrings: ListConfig{Behavior: "none"}, Headers: ListConfig{Behavior: "none"},
		Cookies: ListConfig{Behavior: "none"},
	},
}

// ManagedCachePolicy returns the managed cache policy with id.
func ManagedCachePolicy(id string) (CachePolicy, bool) {
	p, ok := managedCachePolicies[id]
	return p, ok
}

// DefaultCachePolicy is what a behaviour without a policy gets: CloudFront's
// legacy TTLs (0 / 1 day / 1 year) and, like nginx and Varnish, the whole
// path and query string in the key, so no query string is ever dropped on
// its way to the origin nor shared between different URLs.
func DefaultCachePolicy() CachePolicy {
	return CachePolicy{
		Name: "pharos-default", MinTTL: 0, DefaultTTL: 86400, MaxTTL: 31536000,
		QueryStrings: ListConfig{Behavior: "all"}, Headers: ListConfig{Behavior: "none"},
		Cookies: ListConfig{Behavior: "none"},
	}
}
