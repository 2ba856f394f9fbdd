package model

import (
	"reflect"
	"testing"
)

func TestOriginFromURL(t *testing.T) {
	tests := []struct {
		raw  string
		want Origin
	}{
		{"http://127.0.0.1:3000", Origin{ID: "origin-1", DomainName: "127.0.0.1", Protocol: "http-only", HTTPPort: 3000}},
		{"http://example.com", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "http-only"}},
		{"http://example.com/", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "http-only"}},
		{"http://example.com:80", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "http-only", HTTPPort: 80}},
		{"https://example.com", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "https-only"}},
		{"https://example.com:8443", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "https-only", HTTPSPort: 8443}},
		{"https://example.com/prefix", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "https-only", OriginPath: "/prefix"}},
		{"https://example.com/prefix/", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "https-only", OriginPath: "/prefix"}},
		{"https://example.com/a/b//", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "https-only", OriginPath: "/a/b"}},
		{"https://example.com//", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "https-only"}},
		{"http://localhost:8080/api/v1", Origin{ID: "origin-1", DomainName: "localhost", Protocol: "http-only", HTTPPort: 8080, OriginPath: "/api/v1"}},
		{"http://[::1]:8080/x", Origin{ID: "origin-1", DomainName: "::1", Protocol: "http-only", HTTPPort: 8080, OriginPath: "/x"}},
		{"https://[2001:db8::1]", Origin{ID: "origin-1", DomainName: "2001:db8::1", Protocol: "https-only"}},
		{"HTTPS://Example.COM/P", Origin{ID: "origin-1", DomainName: "Example.COM", Protocol: "https-only", OriginPath: "/P"}},
		{"http://example.com/a%20b", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "http-only", OriginPath: "/a%20b"}},
		{"http://example.com:65535", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "http-only", HTTPPort: 65535}},
		{"http://example.com:", Origin{ID: "origin-1", DomainName: "example.com", Protocol: "http-only"}},
	}
	for _, tt := range tests {
		got, err := OriginFromURL(tt.raw)
		if err != nil {
			t.Errorf("OriginFromURL(%q): %v", tt.raw, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("OriginFromURL(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
		// What it makes is a valid origin once defaults are applied.
		d := &Distribution{Origins: []Origin{got}}
		d.ApplyDefaults()
		if err := d.Validate(); err != nil {
			t.Errorf("OriginFromURL(%q) gives an invalid origin: %v", tt.raw, err)
		}
	}
}

func TestOriginFromURLErrors(t *testing.T) {
	for _, raw := range []string{
		"",
		"example.com",
		"example.com:8080",
		"127.0.0.1:3000",
		"//example.com",
		"/path",
		"ftp://example.com",
		"ws://example.com",
		"file:///etc/passwd",
		"http:example.com",
		"http://",
		"http:///path",
		"http://example.com?a=1",
		"http://example.com/p?a=1",
		"https://example.com/#frag",
		"http://user:pass@example.com",
		"http://user@example.com",
		"http://example.com:port",
		"http://example.com:-1",
		"http://example.com:0",
		"http://example.com:65536",
		"http://example.com:99999999999999999999",
		"http://exa mple.com",
		"http://example.com/%zz",
		"http://[::1",
	} {
		if o, err := OriginFromURL(raw); err == nil {
			t.Errorf("OriginFromURL(%q) = %+v, want an error", raw, o)
		}
	}
}
