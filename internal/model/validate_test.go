package model

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// validDist returns a distribution that passes Validate once defaults are
// applied, with two origins, two behaviours and an inline cache policy.
func validDist() *Distribution {
	d := &Distribution{
		ID:         "E1U5RQF7T870K0",
		DomainName: "d111111abcdef8.cdn.example",
		Enabled:    true,
		Aliases:    []string{"www.example.com", "*.static.example.com"},
		Origins: []Origin{
			{ID: "web", DomainName: "origin.example.com", Protocol: "https-only", OriginPath: "/prod",
				CustomHeaders: []CustomHeader{{Name: "X-Origin-Secret", Value: "s3cr3t value"}}},
			{ID: "api", DomainName: "10.0.0.7", HTTPPort: 8080},
		},
		DefaultBehavior: Behavior{TargetOriginID: "web"},
		Behaviors: []Behavior{
			{PathPattern: "/api/*", TargetOriginID: "api", ViewerProtocolPolicy: "https-only",
				CachePolicyID: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
				OriginRequest: &OriginRequestPolicy{Headers: ListConfig{Behavior: "whitelist", Items: []string{"Authorization"}}}},
			{PathPattern: "images/*.jpg", TargetOriginID: "web", AllowedMethods: []string{"GET", "HEAD"},
				CachePolicy: &CachePolicy{MinTTL: 60, DefaultTTL: 3600, MaxTTL: 86400,
					QueryStrings: ListConfig{Behavior: "whitelist", Items: []string{"w", "h"}},
					Headers:      ListConfig{Behavior: "none"},
					Cookies:      ListConfig{Behavior: "allExcept", Items: []string{"session"}}}},
		},
		CustomErrorResponses: []CustomErrorResponse{{ErrorCode: 404, ErrorCachingMinTTL: ptr(int64(30))}},
	}
	d.ApplyDefaults()
	return d
}

func ptr[T any](v T) *T { return &v }

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate returned %T %v, want a ValidationError", err, err)
	}
	var fields []string
	for _, fe := range ve {
		if fe.Message == "" {
			t.Errorf("FieldError for %s has no message", fe.Field)
		}
		fields = append(fields, fe.Field)
	}
	return fields
}

func TestValidateValid(t *testing.T) {
	d := validDist()
	if err := d.Validate(); err != nil {
		t.Fatalf("valid distribution: %v", err)
	}
	// A minimal one: one origin, everything else defaulted.
	m := &Distribution{Origins: []Origin{{ID: "o", DomainName: "localhost"}}}
	m.ApplyDefaults()
	if err := m.Validate(); err != nil {
		t.Fatalf("minimal distribution: %v", err)
	}
	// One made by OriginFromURL.
	for _, u := range []string{"http://127.0.0.1:3000", "https://example.com/prefix/", "http://[::1]:8080/a"} {
		o, err := OriginFromURL(u)
		if err != nil {
			t.Fatalf("OriginFromURL(%q): %v", u, err)
		}
		d := &Distribution{Origins: []Origin{o}}
		d.ApplyDefaults()
		if err := d.Validate(); err != nil {
			t.Errorf("distribution for %q: %v", u, err)
		}
	}
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *Distribution)
		want   []string // the fields that fail, in order
	}{
		// Distribution.
		{"bad id", func(d *Distribution) { d.ID = "E123" }, []string{"id"}},
		{"lower-case id", func(d *Distribution) { d.ID = "e1u5rqf7t870k0" }, []string{"id"}},
		{"wrong id prefix", func(d *Distribution) { d.ID = "I1U5RQF7T870K0" }, []string{"id"}},
		{"no id is fine", func(d *Distribution) { d.ID = "" }, nil},
		{"no origins", func(d *Distribution) { d.Origins = nil },
			[]string{"origins", "defaultBehavior.targetOriginId", "behaviors[0].targetOriginId", "behaviors[1].targetOriginId"}},

		// Aliases.
		{"alias duplicate", func(d *Distribution) { d.Aliases = append(d.Aliases, "www.example.com") }, []string{"aliases[2]"}},
		{"alias duplicate differs in case", func(d *Distribution) { d.Aliases = append(d.Aliases, "WWW.Example.COM") }, []string{"aliases[2]"}},
		{"wildcard alias duplicate", func(d *Distribution) { d.Aliases = append(d.Aliases, "*.STATIC.example.com") }, []string{"aliases[2]"}},
		{"alias with scheme", func(d *Distribution) { d.Aliases[1] = "https://a.example.com" }, []string{"aliases[1]"}},
		{"alias with port", func(d *Distribution) { d.Aliases[0] = "a.example.com:8080" }, []string{"aliases[0]"}},
		{"alias with space", func(d *Distribution) { d.Aliases[0] = "a b.example.com" }, []string{"aliases[0]"}},
		{"alias empty", func(d *Distribution) { d.Aliases[0] = "" }, []string{"aliases[0]"}},
		{"alias empty label", func(d *Distribution) { d.Aliases[0] = "a..example.com" }, []string{"aliases[0]"}},
		{"alias label starts with -", func(d *Distribution) { d.Aliases[0] = "-a.example.com" }, []string{"aliases[0]"}},
		{"alias label ends with -", func(d *Distribution) { d.Aliases[0] = "a-.example.com" }, []string{"aliases[0]"}},
		{"alias label too long", func(d *Distribution) { d.Aliases[0] = strings.Repeat("a", 64) + ".example.com" }, []string{"aliases[0]"}},
		{"alias label of 63", func(d *Distribution) { d.Aliases[0] = strings.Repeat("a", 63) + ".example.com" }, nil},
		{"alias too long", func(d *Distribution) { d.Aliases[0] = strings.Repeat("abcdefghi.", 26) + "com" }, []string{"aliases[0]"}},
		{"alias wildcard in the middle", func(d *Distribution) { d.Aliases[0] = "a.*.example.com" }, []string{"aliases[0]"}},
		{"alias bare wildcard", func(d *Distribution) { d.Aliases[0] = "*" }, []string{"aliases[0]"}},
		{"alias partial wildcard", func(d *Distribution) { d.Aliases[0] = "*a.example.com" }, []string{"aliases[0]"}},
		{"alias with trailing dot", func(d *Distribution) { d.Aliases[0] = "a.example.com." }, nil},
		{"two bad aliases", func(d *Distribution) { d.Aliases = []string{"x y", "x y"} }, []string{"aliases[0]", "aliases[1]", "aliases[1]"}},

		// Origins.
		{"origin id missing", func(d *Distribution) { d.Origins[1].ID = ""; d.Behaviors[0].TargetOriginID = "web" }, []string{"origins[1].id"}},
		{"origin id duplicate", func(d *Distribution) { d.Origins[1].ID = "web"; d.Behaviors[0].TargetOriginID = "web" }, []string{"origins[1].id"}},
		{"domain name missing", func(d *Distribution) { d.Origins[0].DomainName = "" }, []string{"origins[0].domainName"}},
		{"domain name is a URL", func(d *Distribution) { d.Origins[0].DomainName = "https://origin.example.com" }, []string{"origins[0].domainName"}},
		{"domain name is a URL with path", func(d *Distribution) { d.Origins[1].DomainName = "http://10.0.0.7:8080/x" }, []string{"origins[1].domainName"}},
		{"domain name with port", func(d *Distribution) { d.Origins[0].DomainName = "origin.example.com:8443" }, []string{"origins[0].domainName"}},
		{"IPv4 with port", func(d *Distribution) { d.Origins[1].DomainName = "10.0.0.7:8080" }, []string{"origins[1].domainName"}},
		{"IPv6 with port", func(d *Distribution) { d.Origins[1].DomainName = "[::1]:8080" }, []string{"origins[1].domainName"}},
		{"IPv6 is fine", func(d *Distribution) { d.Origins[1].DomainName = "::1" }, nil},
		{"bracketed IPv6 is fine", func(d *Distribution) { d.Origins[1].DomainName = "[2001:db8::1]" }, nil},
		{"domain name with path", func(d *Distribution) { d.Origins[0].DomainName = "origin.example.com/x" }, []string{"origins[0].domainName"}},
		{"domain name with space", func(d *Distribution) { d.Origins[0].DomainName = "origin example.com" }, []string{"origins[0].domainName"}},
		{"single-label domain name is fine", func(d *Distribution) { d.Origins[0].DomainName = "localhost" }, nil},
		{"underscore domain name is fine", func(d *Distribution) { d.Origins[0].DomainName = "my_service.internal" }, nil},
		{"protocol unknown", func(d *Distribution) { d.Origins[0].Protocol = "https" }, []string{"origins[0].protocol"}},
		{"protocol empty", func(d *Distribution) { d.Origins[0].Protocol = "" }, []string{"origins[0].protocol"}},
		{"protocol match-viewer", func(d *Distribution) { d.Origins[0].Protocol = "match-viewer" }, nil},
		{"http port 0", func(d *Distribution) { d.Origins[0].HTTPPort = 0 }, []string{"origins[0].httpPort"}},
		{"http port negative", func(d *Distribution) { d.Origins[0].HTTPPort = -1 }, []string{"origins[0].httpPort"}},
		{"http port too big", func(d *Distribution) { d.Origins[0].HTTPPort = 65536 }, []string{"origins[0].httpPort"}},
		{"https port too big", func(d *Distribution) { d.Origins[1].HTTPSPort = 70000 }, []string{"origins[1].httpsPort"}},
		{"ports at the bounds", func(d *Distribution) { d.Origins[0].HTTPPort, d.Origins[0].HTTPSPort = 1, 65535 }, nil},
		{"origin path without slash", func(d *Distribution) { d.Origins[0].OriginPath = "prod" }, []string{"origins[0].originPath"}},
		{"origin path with trailing slash", func(d *Distribution) { d.Origins[0].OriginPath = "/prod/" }, []string{"origins[0].originPath"}},
		{"origin path slash only", func(d *Distribution) { d.Origins[0].OriginPath = "/" }, []string{"origins[0].originPath"}},
		{"origin path nested", func(d *Distribution) { d.Origins[0].OriginPath = "/a/b" }, nil},
		{"header name empty", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Name = "" }, []string{"origins[0].customHeaders[0].name"}},
		{"header name with space", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Name = "X Secret" }, []string{"origins[0].customHeaders[0].name"}},
		{"header name with colon", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Name = "X-Secret:" }, []string{"origins[0].customHeaders[0].name"}},
		{"header name with newline", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Name = "X-A\nB" }, []string{"origins[0].customHeaders[0].name"}},
		{"header name non-ASCII", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Name = "X-Größe" }, []string{"origins[0].customHeaders[0].name"}},
		{"header value with CR LF", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Value = "a\r\nX-Evil: 1" }, []string{"origins[0].customHeaders[0].value"}},
		{"header value with LF", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Value = "a\nb" }, []string{"origins[0].customHeaders[0].value"}},
		{"header value with NUL", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Value = "a\x00b" }, []string{"origins[0].customHeaders[0].value"}},
		{"header value empty is fine", func(d *Distribution) { d.Origins[0].CustomHeaders[0].Value = "" }, nil},
		{"second header bad", func(d *Distribution) {
			d.Origins[1].CustomHeaders = []CustomHeader{{Name: "X-A", Value: "1"}, {Name: "X(B)", Value: "2\r"}}
		}, []string{"origins[1].customHeaders[1].name", "origins[1].customHeaders[1].value"}},
		{"connection attempts 0", func(d *Distribution) { d.Origins[0].ConnectionAttempts = 0 }, []string{"origins[0].connectionAttempts"}},
		{"connection attempts 4", func(d *Distribution) { d.Origins[0].ConnectionAttempts = 4 }, []string{"origins[0].connectionAttempts"}},
		{"connection attempts 1", func(d *Distribution) { d.Origins[0].ConnectionAttempts = 1 }, nil},
		{"connection timeout 0", func(d *Distribution) { d.Origins[0].ConnectionTimeout = 0 }, []string{"origins[0].connectionTimeout"}},
		{"connection timeout 11", func(d *Distribution) { d.Origins[0].ConnectionTimeout = 11 }, []string{"origins[0].connectionTimeout"}},
		{"connection timeout 1", func(d *Distribution) { d.Origins[0].ConnectionTimeout = 1 }, nil},
		{"read timeout 0", func(d *Distribution) { d.Origins[1].ReadTimeout = 0 }, []string{"origins[1].readTimeout"}},
		{"read timeout 121", func(d *Distribution) { d.Origins[1].ReadTimeout = 121 }, []string{"origins[1].readTimeout"}},
		{"read timeout 120", func(d *Distribution) { d.Origins[1].ReadTimeout = 120 }, nil},
		{"keepalive timeout -5", func(d *Distribution) { d.Origins[1].KeepaliveTimeout = -5 }, []string{"origins[1].keepaliveTimeout"}},
		{"keepalive timeout 121", func(d *Distribution) { d.Origins[1].KeepaliveTimeout = 121 }, []string{"origins[1].keepaliveTimeout"}},
		{"keepalive timeout 120", func(d *Distribution) { d.Origins[1].KeepaliveTimeout = 120 }, nil},

		// Behaviours: path patterns and origins.
		{"path pattern missing", func(d *Distribution) { d.Behaviors[1].PathPattern = "" }, []string{"behaviors[1].pathPattern"}},
		{"path pattern with space", func(d *Distribution) { d.Behaviors[0].PathPattern = "/a b/*" }, []string{"behaviors[0].pathPattern"}},
		{"path pattern with percent", func(d *Distribution) { d.Behaviors[0].PathPattern = "/a%20b" }, []string{"behaviors[0].pathPattern"}},
		{"path pattern non-ASCII", func(d *Distribution) { d.Behaviors[0].PathPattern = "/é/*" }, []string{"behaviors[0].pathPattern"}},
		{"path pattern too long", func(d *Distribution) { d.Behaviors[0].PathPattern = "/" + strings.Repeat("a", 255) }, []string{"behaviors[0].pathPattern"}},
		{"path pattern of 255", func(d *Distribution) { d.Behaviors[0].PathPattern = "/" + strings.Repeat("a", 254) }, nil},
		{"path pattern all allowed characters", func(d *Distribution) { d.Behaviors[0].PathPattern = "/AZaz09_-.*$/~\"'@:+&?" }, nil},
		{"target origin unknown", func(d *Distribution) { d.Behaviors[0].TargetOriginID = "nope" }, []string{"behaviors[0].targetOriginId"}},
		{"target origin empty", func(d *Distribution) { d.Behaviors[1].TargetOriginID = "" }, []string{"behaviors[1].targetOriginId"}},
		{"default target origin unknown", func(d *Distribution) { d.DefaultBehavior.TargetOriginID = "WEB" }, []string{"defaultBehavior.targetOriginId"}},
		{"viewer protocol policy unknown", func(d *Distribution) { d.Behaviors[0].ViewerProtocolPolicy = "https" }, []string{"behaviors[0].viewerProtocolPolicy"}},
		{"viewer protocol policy empty", func(d *Distribution) { d.DefaultBehavior.ViewerProtocolPolicy = "" }, []string{"defaultBehavior.viewerProtocolPolicy"}},
		{"viewer protocol policy redirect", func(d *Distribution) { d.DefaultBehavior.ViewerProtocolPolicy = "redirect-to-https" }, nil},

		// Behaviours: methods.
		{"allowed GET only", func(d *Distribution) { d.Behaviors[0].AllowedMethods = []string{"GET"} },
			[]string{"behaviors[0].allowedMethods", "behaviors[0].cachedMethods"}},
		{"allowed empty", func(d *Distribution) { d.Behaviors[0].AllowedMethods = nil },
			[]string{"behaviors[0].allowedMethods", "behaviors[0].cachedMethods"}},
		{"allowed without PATCH", func(d *Distribution) {
			d.Behaviors[0].AllowedMethods = []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "DELETE"}
		}, []string{"behaviors[0].allowedMethods"}},
		{"allowed unknown method", func(d *Distribution) { d.Behaviors[0].AllowedMethods = []string{"GET", "HEAD", "TRACE"} },
			[]string{"behaviors[0].allowedMethods"}},
		{"allowed GET,HEAD,OPTIONS", func(d *Distribution) { d.Behaviors[0].AllowedMethods = []string{"OPTIONS", "HEAD", "GET"} }, nil},
		{"allowed lower case and repeated", func(d *Distribution) { d.Behaviors[0].AllowedMethods = []string{"get", "head", "GET"} }, nil},
		{"allowed all in any order", func(d *Distribution) {
			d.Behaviors[0].AllowedMethods = []string{"DELETE", "PATCH", "POST", "PUT", "OPTIONS", "HEAD", "GET"}
		}, nil},
		{"cached includes POST", func(d *Distribution) { d.Behaviors[0].CachedMethods = []string{"GET", "HEAD", "POST"} },
			[]string{"behaviors[0].cachedMethods"}},
		{"cached GET only", func(d *Distribution) { d.Behaviors[0].CachedMethods = []string{"GET"} },
			[]string{"behaviors[0].cachedMethods"}},
		{"cached empty", func(d *Distribution) { d.Behaviors[0].CachedMethods = nil },
			[]string{"behaviors[0].cachedMethods"}},
		{"cached OPTIONS but not allowed", func(d *Distribution) {
			d.Behaviors[1].CachedMethods = []string{"GET", "HEAD", "OPTIONS"} // allowed is GET,HEAD
		}, []string{"behaviors[1].cachedMethods"}},
		{"cached OPTIONS allowed", func(d *Distribution) {
			d.Behaviors[1].AllowedMethods = []string{"GET", "HEAD", "OPTIONS"}
			d.Behaviors[1].CachedMethods = []string{"GET", "HEAD", "OPTIONS"}
		}, nil},

		// Behaviours: cache policies.
		{"cache policy id unknown", func(d *Distribution) { d.Behaviors[0].CachePolicyID = "not-a-policy" }, []string{"behaviors[0].cachePolicyId"}},
		{"cache policy id and inline", func(d *Distribution) { d.DefaultBehavior.CachePolicyID = "658327ea-f89d-4fab-a63d-7e88639e58f6" },
			[]string{"defaultBehavior.cachePolicyId"}},
		{"cache policy id alone", func(d *Distribution) {
			d.DefaultBehavior.CachePolicy = nil
			d.DefaultBehavior.CachePolicyID = "b2884449-e4de-46a7-ac36-70bc7f1ddd6d"
		}, nil},
		{"neither id nor inline", func(d *Distribution) { d.DefaultBehavior.CachePolicy = nil }, nil},
		{"min TTL above max", func(d *Distribution) { d.Behaviors[1].CachePolicy.MinTTL = 100000 },
			[]string{"behaviors[1].cachePolicy.minTTL", "behaviors[1].cachePolicy.defaultTTL"}},
		{"default TTL below min", func(d *Distribution) { d.Behaviors[1].CachePolicy.DefaultTTL = 59 },
			[]string{"behaviors[1].cachePolicy.defaultTTL"}},
		{"default TTL above max", func(d *Distribution) { d.Behaviors[1].CachePolicy.DefaultTTL = 86401 },
			[]string{"behaviors[1].cachePolicy.defaultTTL"}},
		{"TTLs all equal", func(d *Distribution) {
			p := d.Behaviors[1].CachePolicy
			p.MinTTL, p.DefaultTTL, p.MaxTTL = 5, 5, 5
		}, nil},
		{"TTLs all zero", func(d *Distribution) {
			p := d.Behaviors[1].CachePolicy
			p.MinTTL, p.DefaultTTL, p.MaxTTL = 0, 0, 0
		}, nil},
		{"negative min TTL", func(d *Distribution) { d.Behaviors[1].CachePolicy.MinTTL = -1 },
			[]string{"behaviors[1].cachePolicy.minTTL"}},
		{"max TTL over 100 years", func(d *Distribution) { d.DefaultBehavior.CachePolicy.MaxTTL = maxTTLSeconds + 1 },
			[]string{"defaultBehavior.cachePolicy.maxTTL"}},
		{"max TTL 100 years", func(d *Distribution) { d.DefaultBehavior.CachePolicy.MaxTTL = maxTTLSeconds }, nil},
		{"query string behavior unknown", func(d *Distribution) { d.Behaviors[1].CachePolicy.QueryStrings = ListConfig{Behavior: "some"} },
			[]string{"behaviors[1].cachePolicy.queryStrings.behavior"}},
		{"query string behavior empty", func(d *Distribution) { d.Behaviors[1].CachePolicy.QueryStrings = ListConfig{} },
			[]string{"behaviors[1].cachePolicy.queryStrings.behavior"}},
		{"header behavior all is not for cache policies", func(d *Distribution) { d.Behaviors[1].CachePolicy.Headers = ListConfig{Behavior: "all"} },
			[]string{"behaviors[1].cachePolicy.headers.behavior"}},
		{"header behavior allExcept is not for cache policies", func(d *Distribution) {
			d.Behaviors[1].CachePolicy.Headers = ListConfig{Behavior: "allExcept", Items: []string{"a"}}
		}, []string{"behaviors[1].cachePolicy.headers.behavior"}},
		{"cookie behavior all", func(d *Distribution) { d.Behaviors[1].CachePolicy.Cookies = ListConfig{Behavior: "all"} }, nil},
		{"whitelist without items", func(d *Distribution) { d.Behaviors[1].CachePolicy.QueryStrings.Items = nil },
			[]string{"behaviors[1].cachePolicy.queryStrings.items"}},
		{"allExcept without items", func(d *Distribution) { d.Behaviors[1].CachePolicy.Cookies.Items = nil },
			[]string{"behaviors[1].cachePolicy.cookies.items"}},
		{"items with none", func(d *Distribution) { d.Behaviors[1].CachePolicy.Headers.Items = []string{"Accept"} },
			[]string{"behaviors[1].cachePolicy.headers.items"}},
		{"items with all", func(d *Distribution) {
			d.Behaviors[1].CachePolicy.Cookies = ListConfig{Behavior: "all", Items: []string{"a"}}
		},
			[]string{"behaviors[1].cachePolicy.cookies.items"}},
		{"ten items", func(d *Distribution) {
			d.Behaviors[1].CachePolicy.QueryStrings.Items = []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
		}, nil},
		{"eleven items", func(d *Distribution) {
			d.Behaviors[1].CachePolicy.QueryStrings.Items = []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}
		}, []string{"behaviors[1].cachePolicy.queryStrings.items"}},
		{"empty item", func(d *Distribution) { d.Behaviors[1].CachePolicy.QueryStrings.Items = []string{"w", ""} },
			[]string{"behaviors[1].cachePolicy.queryStrings.items[1]"}},
		{"item with newline", func(d *Distribution) { d.Behaviors[1].CachePolicy.Cookies.Items = []string{"a\nb"} },
			[]string{"behaviors[1].cachePolicy.cookies.items[0]"}},

		// Behaviours: origin request policies.
		{"origin request headers allViewer", func(d *Distribution) { d.Behaviors[0].OriginRequest.Headers = ListConfig{Behavior: "allViewer"} }, nil},
		{"origin request headers all", func(d *Distribution) { d.Behaviors[0].OriginRequest.Headers = ListConfig{Behavior: "all"} },
			[]string{"behaviors[0].originRequestPolicy.headers.behavior"}},
		{"origin request query strings unknown", func(d *Distribution) { d.Behaviors[0].OriginRequest.QueryStrings = ListConfig{Behavior: "allViewer"} },
			[]string{"behaviors[0].originRequestPolicy.queryStrings.behavior"}},
		{"origin request cookies whitelist without items", func(d *Distribution) {
			d.Behaviors[0].OriginRequest.Cookies = ListConfig{Behavior: "whitelist"}
		}, []string{"behaviors[0].originRequestPolicy.cookies.items"}},
		{"origin request header items", func(d *Distribution) {
			d.Behaviors[0].OriginRequest.Headers.Items = append(d.Behaviors[0].OriginRequest.Headers.Items, "a\r")
		}, []string{"behaviors[0].originRequestPolicy.headers.items[1]"}},

		// Custom error responses.
		{"error code 200", func(d *Distribution) { d.CustomErrorResponses[0].ErrorCode = 200 }, []string{"customErrorResponses[0].errorCode"}},
		{"error code 401", func(d *Distribution) { d.CustomErrorResponses[0].ErrorCode = 401 }, []string{"customErrorResponses[0].errorCode"}},
		{"error code 0", func(d *Distribution) { d.CustomErrorResponses[0].ErrorCode = 0 }, []string{"customErrorResponses[0].errorCode"}},
		{"error codes all CloudFront's", func(d *Distribution) {
			d.CustomErrorResponses = nil
			for _, c := range []int{400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504} {
				d.CustomErrorResponses = append(d.CustomErrorResponses, CustomErrorResponse{ErrorCode: c})
			}
		}, nil},
		{"error caching TTL negative", func(d *Distribution) { d.CustomErrorResponses[0].ErrorCachingMinTTL = ptr(int64(-1)) },
			[]string{"customErrorResponses[0].errorCachingMinTTL"}},
		{"error caching TTL zero", func(d *Distribution) { d.CustomErrorResponses[0].ErrorCachingMinTTL = ptr(int64(0)) }, nil},
		{"error page path without a code", func(d *Distribution) { d.CustomErrorResponses[0].ResponsePagePath = "/404.html" },
			[]string{"customErrorResponses[0].responseCode"}},
		{"error page", func(d *Distribution) {
			d.CustomErrorResponses[0].ResponsePagePath, d.CustomErrorResponses[0].ResponseCode = "/404.html", "404"
		}, nil},
		{"error page path relative", func(d *Distribution) {
			d.CustomErrorResponses[0].ResponsePagePath, d.CustomErrorResponses[0].ResponseCode = "404.html", "404"
		}, []string{"customErrorResponses[0].responsePagePath"}},
		{"error page code unknown", func(d *Distribution) {
			d.CustomErrorResponses[0].ResponsePagePath, d.CustomErrorResponses[0].ResponseCode = "/404.html", "302"
		}, []string{"customErrorResponses[0].responseCode"}},
		{"error code twice", func(d *Distribution) {
			d.CustomErrorResponses = append(d.CustomErrorResponses, d.CustomErrorResponses[0])
		}, []string{"customErrorResponses[1].errorCode"}},
		{"error response code", func(d *Distribution) { d.CustomErrorResponses[0].ResponseCode = "200" },
			[]string{"customErrorResponses[0].responsePagePath"}},
		{"second error response bad", func(d *Distribution) {
			d.CustomErrorResponses = append(d.CustomErrorResponses, CustomErrorResponse{ErrorCode: 418})
		}, []string{"customErrorResponses[1].errorCode"}},

		// Several at once are all reported, in order.
		{"many errors", func(d *Distribution) {
			d.ID = "x"
			d.Origins[0].Protocol = "ftp"
			d.Origins[1].HTTPPort = 0
			d.Behaviors[1].PathPattern = ""
			d.Behaviors[1].ViewerProtocolPolicy = "nope"
			d.CustomErrorResponses[0].ErrorCode = 999
		}, []string{"id", "origins[0].protocol", "origins[1].httpPort", "behaviors[1].pathPattern",
			"behaviors[1].viewerProtocolPolicy", "customErrorResponses[0].errorCode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDist()
			tt.mutate(d)
			err := d.Validate()
			got := fieldsOf(t, err)
			if !slices.Equal(got, tt.want) {
				t.Errorf("failing fields = %q, want %q\nerror: %v", got, tt.want, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "invalid configuration: ") {
				t.Errorf("error text %q", err)
			}
		})
	}
}

func TestValidationErrorText(t *testing.T) {
	err := ValidationError{
		{Field: "origins[0].domainName", Message: "bad"},
		{Field: "id", Message: "worse"},
	}
	if got, want := err.Error(), "invalid configuration: origins[0].domainName: bad; id: worse"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	d := validDist()
	d.Origins[0].DomainName = "origin.example.com:8443"
	var ve ValidationError
	if !errors.As(d.Validate(), &ve) || len(ve) != 1 {
		t.Fatalf("Validate() = %v", d.Validate())
	}
	if fe := ve[0]; !strings.HasPrefix(fe.Error(), "origins[0].domainName: ") || !strings.Contains(fe.Message, "8443") {
		t.Errorf("FieldError = %q", fe.Error())
	}
}

func TestApplyDefaults(t *testing.T) {
	d := &Distribution{
		Origins:         []Origin{{ID: "o", DomainName: "example.com"}},
		DefaultBehavior: Behavior{PathPattern: "/ignored"},
		Behaviors: []Behavior{{PathPattern: "/a/*", CachePolicyID: "658327ea-f89d-4fab-a63d-7e88639e58f6",
			OriginRequest: &OriginRequestPolicy{}}},
	}
	d.ApplyDefaults()
	o := d.Origins[0]
	want := Origin{ID: "o", DomainName: "example.com", Protocol: "http-only", HTTPPort: 80, HTTPSPort: 443,
		ConnectionAttempts: 3, ConnectionTimeout: 10, ReadTimeout: 30, KeepaliveTimeout: 5}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("origin = %+v, want %+v", o, want)
	}
	db := d.DefaultBehavior
	if db.PathPattern != "*" || db.TargetOriginID != "o" || db.ViewerProtocolPolicy != "allow-all" {
		t.Errorf("default behavior = %+v", db)
	}
	if !slices.Equal(db.AllowedMethods, methodsAll) || !slices.Equal(db.CachedMethods, methodsGetHead) {
		t.Errorf("methods = %v / %v", db.AllowedMethods, db.CachedMethods)
	}
	if db.CachePolicy == nil || !reflect.DeepEqual(*db.CachePolicy, DefaultCachePolicy()) || db.CachePolicyID != "" {
		t.Errorf("default cache policy = %+v", db.CachePolicy)
	}
	b := d.Behaviors[0]
	if b.CachePolicy != nil || b.TargetOriginID != "o" {
		t.Errorf("behavior = %+v", b)
	}
	if r := b.OriginRequest; r.QueryStrings.Behavior != "none" || r.Headers.Behavior != "none" || r.Cookies.Behavior != "none" {
		t.Errorf("origin request policy = %+v", r)
	}
	// The defaults are copies: changing one behaviour's methods must not
	// change another's, nor the package's sets.
	d.DefaultBehavior.AllowedMethods[0] = "X"
	d.DefaultBehavior.CachedMethods[0] = "X"
	if d.Behaviors[0].AllowedMethods[0] != "GET" || methodsAll[0] != "GET" || methodsGetHead[0] != "GET" {
		t.Error("default method lists are shared")
	}

	// Explicit values are kept.
	e := &Distribution{
		Origins: []Origin{{ID: "o", DomainName: "e", Protocol: "https-only", HTTPPort: 8080, HTTPSPort: 8443,
			ConnectionAttempts: 1, ConnectionTimeout: 2, ReadTimeout: 3, KeepaliveTimeout: 4}},
		DefaultBehavior: Behavior{ViewerProtocolPolicy: "https-only", AllowedMethods: []string{"GET", "HEAD"},
			CachedMethods: []string{"GET", "HEAD"}, CachePolicy: &CachePolicy{Headers: ListConfig{Behavior: "whitelist"}}},
	}
	before := e.Origins[0]
	e.ApplyDefaults()
	if !reflect.DeepEqual(e.Origins[0], before) {
		t.Errorf("origin changed: %+v", e.Origins[0])
	}
	if p := e.DefaultBehavior.CachePolicy; p.Headers.Behavior != "whitelist" || p.QueryStrings.Behavior != "none" || p.MaxTTL != 0 {
		t.Errorf("inline policy = %+v", p)
	}
	if e.DefaultBehavior.ViewerProtocolPolicy != "https-only" || len(e.DefaultBehavior.AllowedMethods) != 2 {
		t.Errorf("behavior = %+v", e.DefaultBehavior)
	}

	// With several origins the target is not guessed.
	f := &Distribution{Origins: []Origin{{ID: "a"}, {ID: "b"}}}
	f.ApplyDefaults()
	if f.DefaultBehavior.TargetOriginID != "" {
		t.Errorf("target = %q, want none", f.DefaultBehavior.TargetOriginID)
	}
}

func TestApplyDefaultsIdempotent(t *testing.T) {
	for name, d := range map[string]*Distribution{
		"valid":   validDist(),
		"minimal": {Origins: []Origin{{ID: "o", DomainName: "localhost"}}},
		"empty":   {},
		"partial": {Origins: []Origin{{ID: "a"}, {ID: "b", HTTPPort: 81}},
			Behaviors: []Behavior{{PathPattern: "/x", OriginRequest: &OriginRequestPolicy{}}}},
	} {
		d.ApplyDefaults()
		once, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		d.ApplyDefaults()
		twice, _ := json.Marshal(d)
		if string(once) != string(twice) {
			t.Errorf("%s: ApplyDefaults not idempotent:\n%s\n%s", name, once, twice)
		}
	}
}

func TestEffectiveCachePolicy(t *testing.T) {
	b := Behavior{CachePolicyID: "658327ea-f89d-4fab-a63d-7e88639e58f6"}
	p, ok := b.EffectiveCachePolicy()
	if !ok || p.Name != "Managed-CachingOptimized" || p.MinTTL != 1 || p.DefaultTTL != 86400 || p.MaxTTL != 31536000 ||
		!p.EnableAcceptEncoding.Gzip || !p.EnableAcceptEncoding.Brotli {
		t.Errorf("CachingOptimized = %+v, %v", p, ok)
	}
	b = Behavior{CachePolicyID: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}
	if p, ok := b.EffectiveCachePolicy(); !ok || p.MinTTL != 0 || p.DefaultTTL != 0 || p.MaxTTL != 0 {
		t.Errorf("CachingDisabled = %+v, %v", p, ok)
	}
	b = Behavior{CachePolicyID: "nope"}
	if _, ok := b.EffectiveCachePolicy(); ok {
		t.Error("unknown id resolved")
	}
	inline := &CachePolicy{MinTTL: 1, DefaultTTL: 2, MaxTTL: 3}
	b = Behavior{CachePolicy: inline}
	if p, ok := b.EffectiveCachePolicy(); !ok || !reflect.DeepEqual(p, *inline) {
		t.Errorf("inline = %+v, %v", p, ok)
	}
	if _, ok := (&Behavior{}).EffectiveCachePolicy(); ok {
		t.Error("no policy resolved")
	}
}

func TestManagedCachePolicies(t *testing.T) {
	for id, name := range map[string]string{
		"658327ea-f89d-4fab-a63d-7e88639e58f6": "Managed-CachingOptimized",
		"4135ea2d-6df8-44a3-9df3-4b5a84be39ad": "Managed-CachingDisabled",
		"b2884449-e4de-46a7-ac36-70bc7f1ddd6d": "Managed-CachingOptimizedForUncompressedObjects",
	} {
		p, ok := ManagedCachePolicy(id)
		if !ok || p.ID != id || p.Name != name {
			t.Errorf("ManagedCachePolicy(%s) = %+v, %v", id, p, ok)
			continue
		}
		// Each managed policy passes the inline-policy checks.
		v := &validator{}
		p.validate(v, "p")
		if len(v.errs) != 0 {
			t.Errorf("%s: %v", name, v.errs)
		}
	}
	if _, ok := ManagedCachePolicy("658327EA-F89D-4FAB-A63D-7E88639E58F6"); ok {
		t.Error("ids are case-sensitive")
	}
	d := DefaultCachePolicy()
	if d.MinTTL != 0 || d.DefaultTTL != 86400 || d.MaxTTL != 31536000 || d.QueryStrings.Behavior != "all" {
		t.Errorf("DefaultCachePolicy = %+v", d)
	}
}

func TestErrorCachingMinTTL(t *testing.T) {
	d := &Distribution{CustomErrorResponses: []CustomErrorResponse{
		{ErrorCode: 404, ErrorCachingMinTTL: ptr(int64(0))},
		{ErrorCode: 503, ErrorCachingMinTTL: ptr(int64(300))},
		{ErrorCode: 500},
	}}
	for code, want := range map[int]int64{404: 0, 503: 300, 500: DefaultErrorCachingMinTTL, 502: DefaultErrorCachingMinTTL} {
		if got := d.ErrorCachingMinTTL(code); got != want {
			t.Errorf("ErrorCachingMinTTL(%d) = %d, want %d", code, got, want)
		}
	}
}
