package model

import "time"

// Distribution is a site Pharos delivers: the hosts it answers for, where it
// fetches from, and how each path is cached. Field names follow CloudFront's
// DistributionConfig so both APIs map onto one model.
type Distribution struct {
	ID         string `json:"id"`
	DomainName string `json:"domainName"`
	Comment    string `json:"comment,omitempty"`
	Enabled    bool   `json:"enabled"`
	// Aliases are alternate domain names (CNAMEs); "*.example.com" matches
	// one label or more in front of example.com.
	Aliases []string `json:"aliases,omitempty"`
	// Default makes this distribution answer every Host no other claims
	// (the quick-start distribution of `pharos up --origin`).
	Default bool `json:"default,omitempty"`

	Origins         []Origin   `json:"origins"`
	DefaultBehavior Behavior   `json:"defaultBehavior"`
	Behaviors       []Behavior `json:"behaviors,omitempty"` // ordered, first match wins

	CustomErrorResponses []CustomErrorResponse `json:"customErrorResponses,omitempty"`

	// GeoRestriction limits which viewer countries are served.
	GeoRestriction GeoRestriction `json:"geoRestriction,omitempty"`
	// HTTPVersion is CloudFront's HttpVersion: http1.1, http2, http3 or
	// http2and3 ("" means http2).
	HTTPVersion string `json:"httpVersion,omitempty"`
	// ViewerCertificate chooses the HTTPS certificate and minimum TLS
	// version (viewercert.go).
	ViewerCertificate ViewerCertificate `json:"viewerCertificate,omitzero"`

	CallerReference string    `json:"callerReference,omitempty"`
	LastModified    time.Time `json:"lastModified"`
}

// Origin is where a distribution fetches what it lacks.
type Origin struct {
	ID string `json:"id"`
	// DomainName is the origin's host name or address, without scheme.
	DomainName string `json:"domainName"`
	// Protocol is CloudFront's OriginProtocolPolicy: http-only, https-only
	// or match-viewer.
	Protocol      string         `json:"protocol,omitempty"`
	HTTPPort      int            `json:"httpPort,omitempty"`
	HTTPSPort     int            `json:"httpsPort,omitempty"`
	OriginPath    string         `json:"originPath,omitempty"`
	CustomHeaders []CustomHeader `json:"customHeaders,omitempty"`
	// Timeouts in seconds, with CloudFront's ranges and defaults.
	ConnectionAttempts int `json:"connectionAttempts,omitempty"`
	ConnectionTimeout  int `json:"connectionTimeout,omitempty"`
	ReadTimeout        int `json:"readTimeout,omitempty"`
	KeepaliveTimeout   int `json:"keepaliveTimeout,omitempty"`
}

// CustomHeader is a header the edge adds to every request to an origin.
type CustomHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Behavior says how requests whose path matches PathPattern are handled.
type Behavior struct {
	PathPattern    string `json:"pathPattern,omitempty"` // "" / "*" for the default
	TargetOriginID string `json:"targetOriginId"`
	// ViewerProtocolPolicy: allow-all, redirect-to-https, https-only.
	ViewerProtocolPolicy string   `json:"viewerProtocolPolicy,omitempty"`
	AllowedMethods       []string `json:"allowedMethods,omitempty"`
	CachedMethods        []string `json:"cachedMethods,omitempty"`
	Compress             bool     `json:"compress,omitempty"`
	// CachePolicyID names a managed policy; CachePolicy gives one inline.
	// Exactly one is set after defaults are applied.
	CachePolicyID string       `json:"cachePolicyId,omitempty"`
	CachePolicy   *CachePolicy `json:"cachePolicy,omitempty"`
	// OriginRequestPolicyID names a managed or stored origin request
	// policy; OriginRequest is its content (filled in on store) or an
	// inline one.
	OriginRequestPolicyID string               `json:"originRequestPolicyId,omitempty"`
	OriginRequest         *OriginRequestPolicy `json:"originRequestPolicy,omitempty"`
	// SliceSize is the size, in bytes, of the pieces in which a range
	// request for an uncached object is fetched and cached (nginx's slice
	// module); 0 means DefaultSliceSize.
	SliceSize int64 `json:"sliceSize,omitempty"`
	// TrustedKeyGroups are the key group ids whose keys may sign URLs and
	// cookies for this behaviour; when any is set, every request must be
	// signed. TrustedKeys is filled in by the control plane when it stores
	// the distribution: the public keys of those groups, so that an edge
	// needs nothing but the distribution document.
	TrustedKeyGroups []string     `json:"trustedKeyGroups,omitempty"`
	TrustedKeys      []TrustedKey `json:"trustedKeys,omitempty"`
	// ResponseHeadersPolicyID names a response headers policy (managed or
	// stored); ResponseHeaders is its content, filled in on store.
	ResponseHeadersPolicyID string                 `json:"responseHeadersPolicyId,omitempty"`
	ResponseHeaders         *ResponseHeadersPolicy `json:"responseHeadersPolicy,omitempty"`
}

// TrustedKey is a public key that may sign requests: its id (K + 13) and
// its PEM-encoded SubjectPublicKeyInfo (RSA-2048 or ECDSA P-256).
type TrustedKey struct {
	ID  string `json:"id"`
	PEM string `json:"pem"`
}

// GeoRestriction is CloudFront's: Type none, whitelist (only Locations are
// served) or blacklist (Locations are refused); Locations are ISO 3166-1
// alpha-2 country codes.
type GeoRestriction struct {
	Type      string   `json:"type,omitempty"`
	Locations []string `json:"locations,omitempty"`
}

// CachePolicy is CloudFront's cache policy: TTL bounds and the cache key.
type CachePolicy struct {
	ID           string    `json:"id,omitempty"`
	Name         string    `json:"name,omitempty"`
	Comment      string    `json:"comment,omitempty"`
	LastModified time.Time `json:"lastModified,omitzero"`
	MinTTL       int64     `json:"minTTL"`
	DefaultTTL   int64     `json:"defaultTTL"`
	MaxTTL       int64     `json:"maxTTL"`
	// Parts of the viewer request in the cache key (and so sent to origin).
	QueryStrings         ListConfig     `json:"queryStrings"`
	Headers              ListConfig     `json:"headers"`
	Cookies              ListConfig     `json:"cookies"`
	EnableAcceptEncoding AcceptEncoding `json:"enableAcceptEncoding"`
}

// AcceptEncoding says which compressed variants a cache policy keys on.
type AcceptEncoding struct {
	Gzip   bool `json:"gzip,omitempty"`
	Brotli bool `json:"brotli,omitempty"`
}

// OriginRequestPolicy names viewer values sent to the origin without being
// part of the cache key.
type OriginRequestPolicy struct {
	ID           string     `json:"id,omitempty"`
	Name         string     `json:"name,omitempty"`
	Comment      string     `json:"comment,omitempty"`
	LastModified time.Time  `json:"lastModified,omitzero"`
	QueryStrings ListConfig `json:"queryStrings"`
	Headers      ListConfig `json:"headers"`
	Cookies      ListConfig `json:"cookies"`
}

// ListConfig selects names from a list: Behavior is none, whitelist,
// allExcept or all (CloudFront's QueryStringBehavior and friends).
type ListConfig struct {
	Behavior string   `json:"behavior,omitempty"`
	Items    []string `json:"items,omitempty"`
}

// CustomErrorResponse sets how long an origin error status is cached.
type CustomErrorResponse struct {
	ErrorCode          int    `json:"errorCode"`
	ErrorCachingMinTTL *int64 `json:"errorCachingMinTTL,omitempty"`
	// ResponsePagePath is a page (fetched through the behaviour matching
	// it) the viewer gets instead of the error, with status ResponseCode.
	ResponsePagePath string `json:"responsePagePath,omitempty"`
	ResponseCode     string `json:"responseCode,omitempty"`
}
