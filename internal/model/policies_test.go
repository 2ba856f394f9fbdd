package model

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"regexp"
	"slices"
	"testing"
)

func TestManagedPoliciesUnderCloudFrontIDs(t *testing.T) {
	for id, name := range map[string]string{
		"216adef6-5c7f-47e4-b989-5492eafa07d3": "Managed-AllViewer",
		"88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": "Managed-CORS-S3Origin",
		"acba4595-bd28-49b8-b9fe-13317c0390fa": "Managed-UserAgentRefererHeaders",
		"b689b0a8-53d0-40ab-baf2-68738e2966ac": "Managed-AllViewerExceptHostHeader",
		"59781a5b-3903-41f3-afcb-af62929ccde1": "Managed-CORS-CustomOrigin",
	} {
		p, ok := ManagedOriginRequestPolicy(id)
		if !ok || p.Name != name {
			t.Errorf("origin request policy %s = %q, %v; want %s", id, p.Name, ok, name)
		}
		if err := p.ValidateStored(); err != nil {
			t.Errorf("managed %s does not validate: %v", name, err)
		}
	}
	for id, name := range map[string]string{
		"60669652-455b-4ae9-85a4-c4c02393f86c": "Managed-SimpleCORS",
		"5cc3b908-e619-4b99-88e5-2cf7f45965bd": "Managed-CORS-With-Preflight",
		"67f7725c-6f97-4210-82d7-5512b31e9d03": "Managed-SecurityHeadersPolicy",
		"e61eb60c-9c35-4d20-a928-2b84e02af89c": "Managed-CORS-and-SecurityHeadersPolicy",
		"eaab4381-ed33-4a86-88ca-d9558dc6cd63": "Managed-CORS-with-preflight-and-SecurityHeadersPolicy",
	} {
		p, ok := ManagedResponseHeadersPolicy(id)
		if !ok || p.Name != name {
			t.Errorf("response headers policy %s = %q, %v; want %s", id, p.Name, ok, name)
		}
		if err := p.ValidateStored(); err != nil {
			t.Errorf("managed %s does not validate: %v", name, err)
		}
	}
	for _, p := range ManagedCachePolicies() {
		if !IsManagedPolicy(p.ID) {
			t.Errorf("IsManagedPolicy(%s) = false", p.ID)
		}
	}
	// Copies: changing one must not change the table.
	p, _ := ManagedResponseHeadersPolicy("5cc3b908-e619-4b99-88e5-2cf7f45965bd")
	p.CorsConfig.AllowOrigins[0] = "https://changed.example"
	q, _ := ManagedResponseHeadersPolicy("5cc3b908-e619-4b99-88e5-2cf7f45965bd")
	if q.CorsConfig.AllowOrigins[0] != "*" {
		t.Error("ManagedResponseHeadersPolicy returned a shared slice")
	}
}

func TestNewPolicyIDIsUUIDv4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if id := NewPolicyID(); !re.MatchString(id) || id == NewPolicyID() {
		t.Errorf("NewPolicyID() = %q", id)
	}
}

func TestStoredPolicyValidation(t *testing.T) {
	good := CachePolicy{Name: "short-ttl", MinTTL: 0, DefaultTTL: 2, MaxTTL: 10}
	good.ApplyDefaults()
	if err := good.ValidateStored(); err != nil {
		t.Fatalf("good policy: %v", err)
	}
	cases := map[string]struct {
		err  error
		want string
	}{
		"no name":       {func() error { p := good; p.Name = ""; return p.ValidateStored() }(), "name"},
		"space in name": {func() error { p := good; p.Name = "a b"; return p.ValidateStored() }(), "name"},
		"TTL order":     {func() error { p := good; p.MinTTL = 20; return p.ValidateStored() }(), "cachePolicy.minTTL"},
		"header allExcp": {func() error {
			p := good
			p.Headers = ListConfig{Behavior: "allExcept", Items: []string{"a"}}
			return p.ValidateStored()
		}(), "cachePolicy.headers.behavior"},
		"orp cloudfront": {func() error {
			p := OriginRequestPolicy{Name: "x", Headers: ListConfig{Behavior: "allViewerAndWhitelistCloudFront", Items: []string{"CloudFront-Viewer-Country", "X-Other"}}}
			p.ApplyDefaults()
			return p.ValidateStored()
		}(), "originRequestPolicy.headers.items[1]"},
		"orp behavior": {func() error {
			p := OriginRequestPolicy{Name: "x", Headers: ListConfig{Behavior: "everything"}}
			p.ApplyDefaults()
			return p.ValidateStored()
		}(), "originRequestPolicy.headers.behavior"},
	}
	for name, c := range cases {
		if got := fieldsOf(t, c.err); !slices.Contains(got, c.want) {
			t.Errorf("%s: fields %v, want %s", name, got, c.want)
		}
	}
}

func TestResponseHeadersPolicyValidation(t *testing.T) {
	good := ResponseHeadersPolicy{Name: "rh",
		CorsConfig: &CorsConfig{AllowOrigins: []string{"https://*.example.com", "http://a.test:8080"},
			AllowHeaders: []string{"*"}, AllowMethods: []string{"GET", "ALL"}, AllowCredentials: true},
		SecurityHeadersConfig: &SecurityHeaders{FrameOptions: &ValueHeader{Value: "DENY"},
			ContentSecurityPolicy: &ValueHeader{Value: "default-src 'self'"}},
		CustomHeadersConfig:       []ResponseHeader{{Header: "X-Team", Value: "edge"}},
		RemoveHeadersConfig:       []string{"Server"},
		ServerTimingHeadersConfig: &ServerTimingHeaders{Enabled: true, SamplingRate: 12.5},
	}
	if err := good.ValidateStored(); err != nil {
		t.Fatalf("good policy: %v", err)
	}
	mod := func(f func(p *ResponseHeadersPolicy)) error {
		p := good.clone()
		f(&p)
		return p.ValidateStored()
	}
	cases := map[string]struct {
		err  error
		want string
	}{
		"bad method":       {mod(func(p *ResponseHeadersPolicy) { p.CorsConfig.AllowMethods = []string{"TRACE"} }), "responseHeadersPolicy.corsConfig.allowMethods[0]"},
		"star creds":       {mod(func(p *ResponseHeadersPolicy) { p.CorsConfig.AllowOrigins = []string{"*"} }), "responseHeadersPolicy.corsConfig.allowCredentials"},
		"bad origin":       {mod(func(p *ResponseHeadersPolicy) { p.CorsConfig.AllowOrigins = []string{"example.com"} }), "responseHeadersPolicy.corsConfig.allowOrigins[0]"},
		"frame":            {mod(func(p *ResponseHeadersPolicy) { p.SecurityHeadersConfig.FrameOptions = &ValueHeader{Value: "ALLOW"} }), "responseHeadersPolicy.securityHeadersConfig.frameOptions.value"},
		"remove length":    {mod(func(p *ResponseHeadersPolicy) { p.RemoveHeadersConfig = []string{"Content-Length"} }), "responseHeadersPolicy.removeHeadersConfig[0]"},
		"custom CRLF":      {mod(func(p *ResponseHeadersPolicy) { p.CustomHeadersConfig[0].Value = "a\r\nb" }), "responseHeadersPolicy.customHeadersConfig[0].value"},
		"add and remove":   {mod(func(p *ResponseHeadersPolicy) { p.RemoveHeadersConfig = []string{"x-team"} }), "responseHeadersPolicy.removeHeadersConfig[0]"},
		"sampling":         {mod(func(p *ResponseHeadersPolicy) { p.ServerTimingHeadersConfig.SamplingRate = 101 }), "responseHeadersPolicy.serverTimingHeadersConfig.samplingRate"},
		"too many headers": {mod(func(p *ResponseHeadersPolicy) { p.CustomHeadersConfig = make([]ResponseHeader, 11) }), "responseHeadersPolicy.customHeadersConfig"},
	}
	for name, c := range cases {
		if got := fieldsOf(t, c.err); !slices.Contains(got, c.want) {
			t.Errorf("%s: fields %v, want %s", name, got, c.want)
		}
	}
}

func TestBehaviorPolicyReferences(t *testing.T) {
	d := validDist()
	d.DefaultBehavior.OriginRequestPolicyID = "216adef6-5c7f-47e4-b989-5492eafa07d3"
	d.DefaultBehavior.ResponseHeadersPolicyID = "67f7725c-6f97-4210-82d7-5512b31e9d03"
	d.ApplyDefaults() // resolves managed ids to their content
	if err := d.Validate(); err != nil {
		t.Fatalf("managed references: %v", err)
	}
	if p := d.DefaultBehavior.OriginRequest; p == nil || p.Headers.Behavior != "allViewer" {
		t.Fatalf("managed origin request policy not resolved: %+v", p)
	}
	if p := d.DefaultBehavior.ResponseHeaders; p == nil || p.SecurityHeadersConfig == nil {
		t.Fatalf("managed response headers policy not resolved: %+v", p)
	}

	// A stored policy's id comes with its content; an id without it is refused.
	d = validDist()
	id := NewPolicyID()
	d.DefaultBehavior.CachePolicyID = id
	d.DefaultBehavior.CachePolicy = &CachePolicy{ID: id, Name: "c", DefaultTTL: 5, MaxTTL: 10,
		QueryStrings: ListConfig{Behavior: "none"}, Headers: ListConfig{Behavior: "none"}, Cookies: ListConfig{Behavior: "none"}}
	if err := d.Validate(); err != nil {
		t.Fatalf("resolved stored cache policy: %v", err)
	}
	if cp, _ := d.DefaultBehavior.EffectiveCachePolicy(); cp.DefaultTTL != 5 {
		t.Errorf("EffectiveCachePolicy DefaultTTL = %d, want the stored 5", cp.DefaultTTL)
	}
	d.DefaultBehavior.CachePolicy.ID = "other"
	d.DefaultBehavior.OriginRequestPolicyID = NewPolicyID()
	d.DefaultBehavior.ResponseHeadersPolicyID = NewPolicyID()
	d.DefaultBehavior.TrustedKeyGroups = []string{NewPolicyID()}
	got := fieldsOf(t, d.Validate())
	for _, want := range []string{"defaultBehavior.cachePolicyId", "defaultBehavior.originRequestPolicyId",
		"defaultBehavior.responseHeadersPolicyId", "defaultBehavior.trustedKeyGroups"} {
		if !slices.Contains(got, want) {
			t.Errorf("fields %v lack %s", got, want)
		}
	}
}

func pemOf(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestPublicKeyValidation(t *testing.T) {
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, c := range map[string]struct {
		pem string
		ok  bool
	}{
		"rsa2048": {pemOf(t, &rsa2048.PublicKey), true},
		"p256":    {pemOf(t, &p256.PublicKey), true},
		"rsa1024": {pemOf(t, &rsa1024.PublicKey), false},
		"p384":    {pemOf(t, &p384.PublicKey), false},
		"garbage": {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", false},
		"two":     {pemOf(t, &p256.PublicKey) + pemOf(t, &p256.PublicKey), false},
		"empty":   {"", false},
	} {
		k := PublicKey{CallerReference: "r1", Name: "k1", EncodedKey: c.pem}
		err := k.Validate()
		if (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", name, err, c.ok)
		}
		if !c.ok && !slices.Contains(fieldsOf(t, err), "encodedKey") {
			t.Errorf("%s: error does not name encodedKey: %v", name, err)
		}
	}
	if id := NewPublicKeyID(); !ValidID(id, 'K') {
		t.Errorf("NewPublicKeyID() = %q", id)
	}
}

func TestKeyGroupValidation(t *testing.T) {
	g := KeyGroup{Name: "signers", Items: []string{NewPublicKeyID()}}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := KeyGroup{Name: "signers", Items: []string{"K1", g.Items[0], g.Items[0]}}
	got := fieldsOf(t, bad.Validate())
	if !slices.Equal(got, []string{"items[0]", "items[2]"}) {
		t.Errorf("fields %v", got)
	}
	if got := fieldsOf(t, (&KeyGroup{Name: "x"}).Validate()); !slices.Equal(got, []string{"items"}) {
		t.Errorf("empty group: fields %v", got)
	}
}

func TestTags(t *testing.T) {
	if err := ValidateTags([]Tag{{Key: "team", Value: "edge ops"}, {Key: "aws:x/y=z+@", Value: ""}}); err != nil {
		t.Fatal(err)
	}
	if got := fieldsOf(t, ValidateTags([]Tag{{Key: ""}, {Key: "a", Value: "bad;value"}})); !slices.Equal(got, []string{"tags[0].key", "tags[1].value"}) {
		t.Errorf("fields %v", got)
	}
	cur := MergeTags([]Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}, []Tag{{Key: "b", Value: "3"}, {Key: "c"}})
	if !slices.Equal(cur, []Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "3"}, {Key: "c"}}) {
		t.Errorf("MergeTags = %v", cur)
	}
	if got := RemoveTags(cur, []string{"a", "zz"}); !slices.Equal(got, []Tag{{Key: "b", Value: "3"}, {Key: "c"}}) {
		t.Errorf("RemoveTags = %v", got)
	}
	for arn, want := range map[string][2]string{
		"arn:aws:cloudfront::123456789012:distribution/E1ABCDEFGHIJKL": {"distribution", "E1ABCDEFGHIJKL"},
		"arn:aws:cloudfront::000000000000:cache-policy/abc":            {"cache-policy", "abc"},
		"arn:aws:s3:::bucket/key":                                      {},
		"arn:aws:cloudfront::1:distribution":                           {},
	} {
		k, id, ok := ParseARN(arn)
		if ok != (want[0] != "") || k != want[0] || id != want[1] {
			t.Errorf("ParseARN(%q) = %q, %q, %v", arn, k, id, ok)
		}
	}
}

func TestStripResolved(t *testing.T) {
	user := validDist()
	user.DefaultBehavior.CachePolicy = nil
	user.DefaultBehavior.CachePolicyID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	user.DefaultBehavior.ResponseHeadersPolicyID = "67f7725c-6f97-4210-82d7-5512b31e9d03"
	stored := *user
	stored.DefaultBehavior.ResponseHeaders = nil
	stored.ApplyDefaults()
	cp, _ := ManagedCachePolicy(stored.DefaultBehavior.CachePolicyID)
	stored.DefaultBehavior.CachePolicy = &cp
	stored.DefaultBehavior.TrustedKeys = []TrustedKey{{ID: "K1"}}
	user.ApplyDefaults()
	user.StripResolved()
	stored.StripResolved()
	a, _ := json.Marshal(user)
	b, _ := json.Marshal(stored)
	if string(a) != string(b) {
		t.Errorf("after StripResolved:\n%s\n%s", a, b)
	}
}
