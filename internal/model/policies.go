package model

import (
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
)

// NewPolicyID returns a random UUID (version 4), the form CloudFront gives
// cache, origin request and response headers policies and key groups.
func NewPolicyID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("model: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Managed origin request policies under CloudFront's real IDs
// (CLOUDFRONT.md §1.4). AllViewerAndCloudFrontHeaders-2022-06 and
// Elemental-MediaTailor-PersonalizedManifests are left out: they forward
// CloudFront-* headers Pharos does not all generate.
var managedOriginRequestPolicies = map[string]OriginRequestPolicy{
	"216adef6-5c7f-47e4-b989-5492eafa07d3": {
		ID: "216adef6-5c7f-47e4-b989-5492eafa07d3", Name: "Managed-AllViewer",
		Comment: "Policy to forward all parameters in viewer requests",
		Headers: ListConfig{Behavior: "allViewer"}, Cookies: ListConfig{Behavior: "all"},
		QueryStrings: ListConfig{Behavior: "all"},
	},
	"b689b0a8-53d0-40ab-baf2-68738e2966ac": {
		ID: "b689b0a8-53d0-40ab-baf2-68738e2966ac", Name: "Managed-AllViewerExceptHostHeader",
		Comment: "Policy to forward all parameters in viewer requests except for the Host header",
		Headers: ListConfig{Behavior: "allExcept", Items: []string{"host"}}, Cookies: ListConfig{Behavior: "all"},
		QueryStrings: ListConfig{Behavior: "all"},
	},
	"59781a5b-3903-41f3-afcb-af62929ccde1": {
		ID: "59781a5b-3903-41f3-afcb-af62929ccde1", Name: "Managed-CORS-CustomOrigin",
		Comment: "Policy for origins that return CORS headers",
		Headers: ListConfig{Behavior: "whitelist", Items: []string{"origin"}}, Cookies: ListConfig{Behavior: "none"},
		QueryStrings: ListConfig{Behavior: "none"},
	},
	"88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": {
		ID: "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf", Name: "Managed-CORS-S3Origin",
		Comment: "Policy for origins that return CORS headers",
		Headers: ListConfig{Behavior: "whitelist", Items: []string{
			"origin", "access-control-request-headers", "access-control-request-method"}},
		Cookies: ListConfig{Behavior: "none"}, QueryStrings: ListConfig{Behavior: "none"},
	},
	"acba4595-bd28-49b8-b9fe-13317c0390fa": {
		ID: "acba4595-bd28-49b8-b9fe-13317c0390fa", Name: "Managed-UserAgentRefererHeaders",
		Comment: "Policy to forward User-Agent and Referer headers to origin",
		Headers: ListConfig{Behavior: "whitelist", Items: []string{"user-agent", "referer"}},
		Cookies: ListConfig{Behavior: "none"}, QueryStrings: ListConfig{Behavior: "none"},
	},
}

// ManagedOriginRequestPolicy returns the managed origin request policy with id.
func ManagedOriginRequestPolicy(id string) (OriginRequestPolicy, bool) {
	p, ok := managedOriginRequestPolicies[id]
	p.Headers.Items = slices.Clone(p.Headers.Items) // callers may keep and change it
	return p, ok
}

// ManagedOriginRequestPolicies returns every managed origin request policy, by id.
func ManagedOriginRequestPolicies() []OriginRequestPolicy {
	out := make([]OriginRequestPolicy, 0, len(managedOriginRequestPolicies))
	for id := range managedOriginRequestPolicies {
		p, _ := ManagedOriginRequestPolicy(id)
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b OriginRequestPolicy) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ManagedCachePolicies returns every managed cache policy, by id.
func ManagedCachePolicies() []CachePolicy {
	out := make([]CachePolicy, 0, len(managedCachePolicies))
	for _, p := range managedCachePolicies {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b CachePolicy) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// IsManagedPolicy reports whether id is one of the managed policies of any kind.
func IsManagedPolicy(id string) bool {
	_, c := managedCachePolicies[id]
	_, o := managedOriginRequestPolicies[id]
	_, r := managedResponseHeadersPolicies[id]
	return c || o || r
}

// resolveManaged fills in the content of the managed origin request and
// response headers policies a behaviour names by id alone, so that an edge
// reading only the distribution document applies them.
func (b *Behavior) resolveManaged() {
	if b.OriginRequestPolicyID != "" && b.OriginRequest == nil {
		if p, ok := ManagedOriginRequestPolicy(b.OriginRequestPolicyID); ok {
			b.OriginRequest = &p
		}
	}
	if b.ResponseHeadersPolicyID != "" && b.ResponseHeaders == nil {
		if p, ok := ManagedResponseHeadersPolicy(b.ResponseHeadersPolicyID); ok {
			b.ResponseHeaders = &p
		}
	}
}

// validatePolicyRefs checks the behaviour's policies: each id names a
// managed policy or comes with the content the control plane resolved it
// to (same id), and each policy's content is valid.
func (b *Behavior) validatePolicyRefs(v *validator, f string) {
	switch {
	case b.CachePolicyID != "" && b.CachePolicy != nil && b.CachePolicy.ID != b.CachePolicyID:
		v.fail(f+".cachePolicyId", "give cachePolicyId or cachePolicy, not both")
	case b.CachePolicy != nil:
		b.CachePolicy.validate(v, f+".cachePolicy")
	case b.CachePolicyID != "":
		if _, ok := ManagedCachePolicy(b.CachePolicyID); !ok {
			v.fail(f+".cachePolicyId", "%q is not a known cache policy", b.CachePolicyID)
		}
	}
	if id := b.OriginRequestPolicyID; id != "" && (b.OriginRequest == nil || b.OriginRequest.ID != id) {
		v.fail(f+".originRequestPolicyId", "%q is not a known origin request policy", id)
	}
	if p := b.OriginRequest; p != nil {
		p.validateLists(v, f+".originRequestPolicy")
	}
	if id := b.ResponseHeadersPolicyID; id != "" && (b.ResponseHeaders == nil || b.ResponseHeaders.ID != id) {
		v.fail(f+".responseHeadersPolicyId", "%q is not a known response headers policy", id)
	}
	if p := b.ResponseHeaders; p != nil {
		p.validate(v, f+".responseHeadersPolicy")
	}
	if len(b.TrustedKeyGroups) > 0 && len(b.TrustedKeys) == 0 {
		v.fail(f+".trustedKeyGroups", "the key groups hold no public keys")
	}
	for i, k := range b.TrustedKeys {
		kf := fmt.Sprintf("%s.trustedKeys[%d]", f, i)
		if !ValidID(k.ID, 'K') {
			v.fail(kf+".id", "%q: must be K followed by 13 of [A-Z0-9]", k.ID)
		}
		if err := checkPublicKeyPEM(k.PEM); err != nil {
			v.fail(kf+".pem", "%v", err)
		}
	}
}

func (p *OriginRequestPolicy) validateLists(v *validator, f string) {
	checkList(v, f+".queryStrings", p.QueryStrings, "none", "whitelist", "allExcept", "all")
	if p.Headers.Behavior == "allViewerAndWhitelistCloudFront" {
		// Every viewer header plus the CloudFront-* headers the edge makes
		// that are listed (stage_viewerheaders.go in the edge).
		for i, n := range p.Headers.Items {
			if !slices.ContainsFunc(EdgeCloudFrontHeaders, func(h string) bool { return strings.EqualFold(h, n) }) {
				v.fail(fmt.Sprintf("%s.headers.items[%d]", f, i), "%q: not a CloudFront-* header the edge makes (%s)",
					n, strings.Join(EdgeCloudFrontHeaders, ", "))
			}
		}
		if len(p.Headers.Items) > 10 {
			v.fail(f+".headers.items", "at most 10 names")
		}
	} else {
		checkList(v, f+".headers", p.Headers, "none", "whitelist", "allViewer", "allExcept")
	}
	checkList(v, f+".cookies", p.Cookies, "none", "whitelist", "allExcept", "all")
}

// EdgeCloudFrontHeaders are the CloudFront-* request headers an edge makes
// (internal/edge/stage_viewerheaders.go): what
// allViewerAndWhitelistCloudFront may list.
var EdgeCloudFrontHeaders = []string{
	"CloudFront-Viewer-Country", "CloudFront-Viewer-Address", "CloudFront-Viewer-Latitude",
	"CloudFront-Viewer-Longitude", "CloudFront-Forwarded-Proto", "CloudFront-Viewer-Http-Version",
	"CloudFront-Is-Desktop-Viewer", "CloudFront-Is-Mobile-Viewer", "CloudFront-Is-Tablet-Viewer",
	"CloudFront-Is-SmartTV-Viewer", "CloudFront-Is-Android-Viewer", "CloudFront-Is-IOS-Viewer",
}

// ValidateStored checks a cache policy as a stand-alone resource: a name,
// a comment of at most 128 characters, and valid content.
func (p *CachePolicy) ValidateStored() error {
	v := &validator{}
	checkPolicyName(v, p.Name, p.Comment)
	p.validate(v, "cachePolicy")
	return v.err()
}

// ValidateStored checks an origin request policy as a stand-alone resource.
func (p *OriginRequestPolicy) ValidateStored() error {
	v := &validator{}
	checkPolicyName(v, p.Name, p.Comment)
	p.validateLists(v, "originRequestPolicy")
	return v.err()
}

// ValidateStored checks a response headers policy as a stand-alone resource.
func (p *ResponseHeadersPolicy) ValidateStored() error {
	v := &validator{}
	checkPolicyName(v, p.Name, p.Comment)
	p.validate(v, "responseHeadersPolicy")
	return v.err()
}

// ApplyDefaults sets the behaviours a user left empty to none.
func (p *CachePolicy) ApplyDefaults() {
	p.QueryStrings.defaultTo("none")
	p.Headers.defaultTo("none")
	p.Cookies.defaultTo("none")
}

// ApplyDefaults sets the behaviours a user left empty to none.
func (p *OriginRequestPolicy) ApplyDefaults() {
	p.QueryStrings.defaultTo("none")
	p.Headers.defaultTo("none")
	p.Cookies.defaultTo("none")
}

// checkPolicyName applies CloudFront's rules for resource names: 1-128 of
// letters, digits, '-' and '_'; comments at most 128 characters.
func checkPolicyName(v *validator, name, comment string) {
	if !validResourceName(name) {
		v.fail("name", "%q: must be 1 to 128 of A-Z a-z 0-9 - _", name)
	}
	if len(comment) > 128 {
		v.fail("comment", "at most 128 characters")
	}
}

func validResourceName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// StripResolved removes what the control plane fills in when it stores a
// distribution — policy content next to a policy id, the trusted keys of
// key groups — leaving what a user configures: two documents that differ
// only in resolved content compare equal afterwards.
func (d *Distribution) StripResolved() {
	strip := func(b *Behavior) {
		if b.CachePolicy != nil && b.CachePolicyID != "" && b.CachePolicy.ID == b.CachePolicyID {
			b.CachePolicy = nil
		}
		if b.OriginRequest != nil && b.OriginRequestPolicyID != "" && b.OriginRequest.ID == b.OriginRequestPolicyID {
			b.OriginRequest = nil
		}
		if b.ResponseHeaders != nil && b.ResponseHeadersPolicyID != "" && b.ResponseHeaders.ID == b.ResponseHeadersPolicyID {
			b.ResponseHeaders = nil
		}
		b.TrustedKeys = nil
	}
	strip(&d.DefaultBehavior)
	for i := range d.Behaviors {
		strip(&d.Behaviors[i])
	}
}
