package httpcache

import (
	"reflect"
	"testing"
)

// RFC 9111 §4.4: a non-error (2xx, 3xx) response to an unsafe method, including methods whose
// safety is unknown, invalidates the target URI.
func TestRFC9111_4_4_UnsafeMethodInvalidates(t *testing.T) {
	tests := []struct {
		method string
		status int
		want   bool
	}{
		{"POST", 200, true},
		{"PUT", 201, true},
		{"DELETE", 204, true},
		{"PATCH", 303, true},
		{"PURGE", 200, true},
		{"get", 200, true},
		{"POST", 400, false},
		{"POST", 500, false},
		{"POST", 101, false},
		{"GET", 200, false},
		{"HEAD", 200, false},
		{"OPTIONS", 200, false},
		{"TRACE", 200, false},
	}
	for _, tt := range tests {
		if got := InvalidatesOnUnsafe(tt.method, tt.status); got != tt.want {
			t.Errorf("%s %d: %v, want %v", tt.method, tt.status, got, tt.want)
		}
	}
}

// RFC 9111 §4.4: Location and Content-Location name further URIs to invalidate, but never on
// another host.
func TestRFC9111_4_4_InvalidationTargetsSameHost(t *testing.T) {
	h := hdr(
		"Location", "https://Example.com/a?x=1#frag",
		"Content-Location", "/b",
		"Content-Location", "http://evil.test/c",
		"Location", "relative/d",
		"Location", "//example.com:8080/e",
		"Location", "ftp://example.com/f",
		"Location", "http://example.com",
		"Location", "/b",
		"Location", "mailto:x@example.com",
	)
	got := InvalidationTargets("example.com:443", h)
	want := []string{"/a?x=1", "/e", "/", "/b"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
