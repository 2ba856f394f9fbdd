package httpcache

import (
	"net/http"
	"reflect"
	"testing"
)

// RFC 9110 §15.4.5: a 304 carries Content-Location, Date, ETag, Vary, Cache-Control and
// Expires as a 200 would, and no other representation metadata (Last-Modified only without
// an ETag).
func TestRFC9110_15_4_5_NotModifiedHeader(t *testing.T) {
	stored := hdr("Cache-Control", "max-age=60", "Content-Location", "/a.en", "Date", "d", "ETag", `"1"`,
		"Expires", "e", "Vary", "Accept-Encoding", "Vary", "Accept-Language", "Last-Modified", "lm",
		"Content-Type", "text/html", "Content-Length", "10", "Set-Cookie", "a=b")
	got := NotModifiedHeader(stored)
	want := hdr("Cache-Control", "max-age=60", "Content-Location", "/a.en", "Date", "d", "ETag", `"1"`,
		"Expires", "e", "Vary", "Accept-Encoding", "Vary", "Accept-Language")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got["Vary"][0] = "changed"
	if stored["Vary"][0] != "Accept-Encoding" {
		t.Errorf("result shares memory with the stored header")
	}
	if got := NotModifiedHeader(hdr("Last-Modified", "lm", "Date", "d")); got.Get("Last-Modified") != "lm" {
		t.Errorf("Last-Modified dropped although there is no ETag: %v", got)
	}
}

// RFC 9111 §4.3.1: a cache revalidates with If-None-Match (the ETag) and If-Modified-Since
// (the Last-Modified).
func TestRFC9111_4_3_1_RevalidationHeaders(t *testing.T) {
	lm := httpDate(testNow)
	tests := []struct {
		stored []string
		want   http.Header
		ok     bool
	}{
		{[]string{"ETag", `W/"x"`, "Last-Modified", lm}, hdr("If-None-Match", `W/"x"`, "If-Modified-Since", lm), true},
		{[]string{"ETag", `"x"`}, hdr("If-None-Match", `"x"`), true},
		{[]string{"Last-Modified", lm}, hdr("If-Modified-Since", lm), true},
		{[]string{"Last-Modified", "not a date"}, http.Header{}, false},
		{[]string{"Date", lm}, http.Header{}, false},
	}
	for _, tt := range tests {
		got, ok := RevalidationHeaders(hdr(tt.stored...))
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %v %v, want %v %v", tt.stored, got, ok, tt.want, tt.ok)
		}
	}
}

// RFC 9111 §4.3.4 and §3.2: a 304 replaces the stored fields it carries, except
// Content-Length, fields describing the stored bytes and hop-by-hop fields.
func TestRFC9111_4_3_4_MergeNotModified(t *testing.T) {
	stored := hdr("ETag", `"1"`, "Cache-Control", "max-age=10", "X-Old", "keep", "X-Multi", "a", "X-Multi", "b",
		"Content-Length", "100", "Content-Encoding", "gzip", "Content-Type", "text/plain", "Date", "old")
	nm := hdr("Cache-Control", "max-age=600", "X-Multi", "c", "X-New", "n", "Date", "new",
		"Content-Length", "0", "Content-Encoding", "br", "Content-Range", "bytes 0-1/2", "Transfer-Encoding", "chunked",
		"Connection", "close, X-Hop", "X-Hop", "h", "Keep-Alive", "timeout=5", "Content-Type", "text/html")
	storedCopy, nmCopy := stored.Clone(), nm.Clone()
	got := MergeNotModified(stored, nm)
	want := hdr("ETag", `"1"`, "Cache-Control", "max-age=600", "X-Old", "keep", "X-Multi", "c", "X-New", "n",
		"Content-Length", "100", "Content-Encoding", "gzip", "Content-Type", "text/html", "Date", "new")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if !reflect.DeepEqual(stored, storedCopy) || !reflect.DeepEqual(nm, nmCopy) {
		t.Errorf("inputs modified")
	}
	got["X-New"][0] = "changed"
	if nm["X-New"][0] != "n" {
		t.Errorf("result shares memory with the 304 header")
	}
}

// RFC 9111 §4.3.4: a 304 with a strong validator updates only a stored response with the same
// strong validator; a weak one needs a weak match.
func TestRFC9111_4_3_4_NotModifiedApplies(t *testing.T) {
	lm, lm2 := httpDate(testNow), httpDate(testNow.Add(sec))
	tests := []struct {
		stored, nm []string
		want       bool
	}{
		{[]string{"ETag", `"1"`}, []string{"ETag", `"1"`}, true},
		{[]string{"ETag", `"1"`}, []string{"ETag", `"2"`}, false},
		{[]string{"ETag", `W/"1"`}, []string{"ETag", `"1"`}, false},
		{[]string{"ETag", `W/"1"`}, []string{"ETag", `W/"1"`}, true},
		{[]string{"ETag", `"1"`}, []string{"ETag", `W/"1"`}, true},
		{nil, []string{"ETag", `"1"`}, false},
		{[]string{"Last-Modified", lm}, []string{"Last-Modified", lm}, true},
		{[]string{"Last-Modified", lm}, []string{"Last-Modified", lm2}, false},
		{[]string{"ETag", `"1"`}, nil, true},
	}
	for _, tt := range tests {
		if got := NotModifiedApplies(hdr(tt.stored...), hdr(tt.nm...)); got != tt.want {
			t.Errorf("stored %q, 304 %q: %v, want %v", tt.stored, tt.nm, got, tt.want)
		}
	}
}
