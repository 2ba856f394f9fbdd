package httpcache

import (
	"bytes"
	"net/http"
	"testing"
)

type keyReq struct {
	host, path, query string
	h                 http.Header
}

func (r keyReq) key(p *KeyPolicy) []byte { return AppendKey(nil, r.host, r.path, r.query, r.h, p) }

// CLOUDFRONT.md 1.3: the default cache key is the distribution host and the URL path, nothing
// else; hosts are case-insensitive, paths case-sensitive.
func TestCloudFront_DefaultKey(t *testing.T) {
	base := keyReq{"example.com", "/a/b.jpg", "", nil}
	same := []keyReq{
		{"EXAMPLE.com", "/a/b.jpg", "", nil},
		{"example.com", "/a/b.jpg", "v=2", hdr("Cookie", "s=1", "Accept-Encoding", "gzip")},
	}
	for _, r := range same {
		if !bytes.Equal(r.key(nil), base.key(nil)) {
			t.Errorf("%+v: key differs from the default key", r)
		}
	}
	for _, r := range []keyReq{{"example.com", "/A/b.jpg", "", nil}, {"example.org", "/a/b.jpg", "", nil}} {
		if bytes.Equal(r.key(nil), base.key(nil)) {
			t.Errorf("%+v: key equals the default key", r)
		}
	}
	if got := string(base.key(nil)); got != "example.com\x00/a/b.jpg\x00" {
		t.Errorf("default key %q", got)
	}
}

// CLOUDFRONT.md 1.3: query strings in the key are case-sensitive and order-sensitive; a
// whitelist keeps only the named parameters, allExcept all but them.
func TestCloudFront_KeyQueryStrings(t *testing.T) {
	tests := []struct {
		name   string
		p      KeyPolicy
		a, b   string
		sameAs bool
	}{
		{"all: order matters", KeyPolicy{QueryStrings: ListAll}, "a=1&b=2", "b=2&a=1", false},
		{"all: case matters", KeyPolicy{QueryStrings: ListAll}, "a=1", "A=1", false},
		{"all: raw kept", KeyPolicy{QueryStrings: ListAll}, "a=%41", "a=A", false},
		{"none: ignored", KeyPolicy{}, "a=1", "a=2", true},
		{"whitelist: other names ignored", KeyPolicy{QueryStrings: ListWhitelist, QueryStringNames: []string{"a"}}, "a=1&utm=x", "utm=y&a=1", true},
		{"whitelist: value matters", KeyPolicy{QueryStrings: ListWhitelist, QueryStringNames: []string{"a"}}, "a=1", "a=2", false},
		{"whitelist: absent differs from empty", KeyPolicy{QueryStrings: ListWhitelist, QueryStringNames: []string{"a"}}, "", "a=", false},
		{"whitelist: encoded name is the name", KeyPolicy{QueryStrings: ListWhitelist, QueryStringNames: []string{"a"}}, "%61=1", "", false},
		{"whitelist: order of kept names matters", KeyPolicy{QueryStrings: ListWhitelist, QueryStringNames: []string{"a", "b"}}, "a=1&b=2", "b=2&a=1", false},
		{"allExcept: listed ignored", KeyPolicy{QueryStrings: ListAllExcept, QueryStringNames: []string{"utm"}}, "a=1&utm=x", "a=1&utm=y", true},
		{"allExcept: others kept", KeyPolicy{QueryStrings: ListAllExcept, QueryStringNames: []string{"utm"}}, "a=1", "a=2", false},
		{"allExcept: empty segments ignored", KeyPolicy{QueryStrings: ListAllExcept}, "a=1&&b=2", "a=1&b=2", true},
	}
	for _, tt := range tests {
		ka := keyReq{"h", "/", tt.a, nil}.key(&tt.p)
		kb := keyReq{"h", "/", tt.b, nil}.key(&tt.p)
		if bytes.Equal(ka, kb) != tt.sameAs {
			t.Errorf("%s: %q vs %q: same=%v, want %v", tt.name, ka, kb, !tt.sameAs, tt.sameAs)
		}
	}
	p := KeyPolicy{QueryStrings: ListWhitelist, QueryStringNames: []string{"a b"}}
	if !p.QueryParamInKey("a+b") || !p.QueryParamInKey("a%20b") || p.QueryParamInKey("a%2") || p.QueryParamInKey("ab") {
		t.Errorf("QueryParamInKey decoding wrong")
	}
}

// CLOUDFRONT.md 1.3: header names are case-insensitive, values case-sensitive; cookie names
// and values are case-sensitive.
func TestCloudFront_KeyHeadersAndCookies(t *testing.T) {
	hp := &KeyPolicy{Headers: []string{"x-device", "Origin"}}
	cp := &KeyPolicy{Cookies: ListWhitelist, CookieNames: []string{"lang"}}
	tests := []struct {
		name   string
		p      *KeyPolicy
		a, b   http.Header
		sameAs bool
	}{
		{"header name case", hp, hdr("X-Device", "m"), hdr("x-DEVICE", "m"), true},
		{"header value case", hp, hdr("X-Device", "m"), hdr("X-Device", "M"), false},
		{"unlisted header ignored", hp, hdr("X-Other", "1"), hdr("X-Other", "2"), true},
		{"absent vs empty header", hp, hdr(), hdr("X-Device", ""), false},
		{"value cannot spill into the next header", hp, hdr("X-Device", "a", "Origin", "b"), hdr("X-Device", "a\x00b"), false},
		{"headers are not interchangeable", hp, hdr("X-Device", "a"), hdr("Origin", "a"), false},
		{"listed cookie kept", cp, hdr("Cookie", "lang=en"), hdr("Cookie", "lang=fr"), false},
		{"unlisted cookie ignored", cp, hdr("Cookie", "lang=en; sid=1"), hdr("Cookie", "sid=2;lang=en"), true},
		{"cookie name case", cp, hdr("Cookie", "lang=en"), hdr("Cookie", "LANG=en"), false},
		{"split Cookie lines", cp, hdr("Cookie", "a=1; lang=en"), hdr("Cookie", "a=1", "Cookie", "lang=en"), true},
		{"all cookies", &KeyPolicy{Cookies: ListAll}, hdr("Cookie", "a=1"), hdr("Cookie", "a=2"), false},
		{"allExcept cookies", &KeyPolicy{Cookies: ListAllExcept, CookieNames: []string{"sid"}}, hdr("Cookie", "a=1; sid=1"), hdr("Cookie", "a=1; sid=2"), true},
	}
	for _, tt := range tests {
		ka := keyReq{"h", "/", "", tt.a}.key(tt.p)
		kb := keyReq{"h", "/", "", tt.b}.key(tt.p)
		if bytes.Equal(ka, kb) != tt.sameAs {
			t.Errorf("%s: %q vs %q: same=%v, want %v", tt.name, ka, kb, !tt.sameAs, tt.sameAs)
		}
	}
}

// Keys are unambiguous: moving bytes between parts never yields another request's key.
func TestAppendKeyUnambiguous(t *testing.T) {
	p := &KeyPolicy{QueryStrings: ListAll, Headers: []string{"X-A"}, Cookies: ListAll, AcceptEncodingGzip: true}
	reqs := []keyReq{
		{"h", "/a", "", nil},
		{"h\x00/a", "", "", nil},
		{"h", "/a\x00", "", nil},
		{"h", "/a", "\x00", nil},
		{"h", "/a\x01", "", nil},
		{"h", "/a\x010", "", nil},
		{"h", "/a", "", hdr("X-A", "")},
		{"h", "/a", "", hdr("X-A", "\x01")},
		{"h", "/a", "", hdr("Cookie", "c=1")},
		{"h", "/a", "", hdr("X-A", "c=1")},
		{"h", "/a", "", hdr("Accept-Encoding", "gzip")},
		{"h", "/a", "", hdr("X-A", "gzip")},
	}
	seen := map[string]int{}
	for i, r := range reqs {
		k := string(r.key(p))
		if j, ok := seen[k]; ok {
			t.Errorf("requests %d and %d share key %q", j, i, k)
		}
		seen[k] = i
	}
}

// CLOUDFRONT.md 1.3: with gzip and/or Brotli enabled, Accept-Encoding is normalised to
// "br,gzip", "br" or "gzip"; RFC 9110 §12.5.3 gives the q-value and "*" rules.
func TestCloudFront_AcceptEncodingNormalisation(t *testing.T) {
	tests := []struct {
		in       []string
		gzip, br bool
		want     string
	}{
		{[]string{"gzip, deflate, br"}, true, true, "br,gzip"},
		{[]string{"gzip, deflate, br"}, true, false, "gzip"},
		{[]string{"gzip, deflate, br"}, false, true, "br"},
		{[]string{"gzip, deflate, br"}, false, false, ""},
		{[]string{"deflate"}, true, true, ""},
		{[]string{"GZIP", "Br"}, true, true, "br,gzip"},
		{[]string{"x-gzip"}, true, true, "gzip"},
		{[]string{"gzip;q=0, br"}, true, true, "br"},
		{[]string{"gzip; q=0.000, br;q=0.5"}, true, true, "br"},
		{[]string{"gzip;q=1.0, br;q=0.001"}, true, true, "br,gzip"},
		{[]string{"gzip;q=abc"}, true, true, ""},
		{[]string{"gzip;q=1.5"}, true, true, ""},
		{[]string{"*"}, true, true, "br,gzip"},
		{[]string{"*, gzip;q=0"}, true, true, "br"},
		{[]string{"*;q=0"}, true, true, ""},
		{[]string{"gzip, gzip;q=0"}, true, true, ""},
		{[]string{"identity"}, true, true, ""},
		{nil, true, true, ""},
	}
	for _, tt := range tests {
		if got := NormaliseAcceptEncoding(tt.in, tt.gzip, tt.br); got != tt.want {
			t.Errorf("%q gzip=%v br=%v: %q, want %q", tt.in, tt.gzip, tt.br, got, tt.want)
		}
	}
	p := &KeyPolicy{AcceptEncodingGzip: true, AcceptEncodingBrotli: true}
	a := keyReq{"h", "/", "", hdr("Accept-Encoding", "gzip, deflate, br")}.key(p)
	b := keyReq{"h", "/", "", hdr("Accept-Encoding", "br;q=0.9, gzip")}.key(p)
	if !bytes.Equal(a, b) {
		t.Errorf("equivalent Accept-Encoding values gave different keys: %q %q", a, b)
	}
}

// benchHeader is a typical browser request.
func benchHeader() http.Header {
	return hdr("Accept", "text/html", "Accept-Encoding", "gzip, deflate, br", "Accept-Language", "en-GB,en;q=0.9",
		"Cookie", "sid=abc; lang=en; theme=dark", "User-Agent", "Mozilla/5.0", "X-Device", "mobile")
}

func BenchmarkAppendKey(b *testing.B) {
	h := benchHeader()
	policies := []struct {
		name string
		p    *KeyPolicy
	}{
		{"default-host-path-query", &KeyPolicy{QueryStrings: ListAll}},
		{"cloudfront-default", nil},
		{"optimized", &KeyPolicy{AcceptEncodingGzip: true, AcceptEncodingBrotli: true}},
		{"full", &KeyPolicy{QueryStrings: ListWhitelist, QueryStringNames: []string{"v", "w"},
			Headers: []string{"X-Device"}, Cookies: ListWhitelist, CookieNames: []string{"lang"},
			AcceptEncodingGzip: true, AcceptEncodingBrotli: true}},
	}
	for _, pc := range policies {
		b.Run(pc.name, func(b *testing.B) {
			buf := make([]byte, 0, 256)
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendKey(buf[:0], "d111111abcdef8.cloudfront.net", "/static/js/app.4f3c2a.js", "v=12&w=3", h, pc.p)
			}
		})
	}
}
