package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// RFC 9110 §13.2.2: preconditions are evaluated in order — If-Match, If-Unmodified-Since,
// If-None-Match, If-Modified-Since — each later one only when the earlier is absent or true.
func TestRFC9110_13_2_2_PreconditionOrder(t *testing.T) {
	lm := testNow.Add(-time.Hour)
	stored := hdr("ETag", `"v1"`, "Last-Modified", httpDate(lm), "Date", httpDate(testNow))
	before, after := httpDate(lm.Add(-time.Minute)), httpDate(lm.Add(time.Minute))
	tests := []struct {
		name string
		req  []string
		want int
	}{
		{"none", nil, 0},
		{"If-Match true", []string{"If-Match", `"v1"`}, 0},
		{"If-Match false", []string{"If-Match", `"v2"`}, 412},
		{"If-Match * with a representation", []string{"If-Match", "*"}, 0},
		{"If-Match false beats If-None-Match", []string{"If-Match", `"v2"`, "If-None-Match", `"v1"`}, 412},
		{"If-Unmodified-Since true", []string{"If-Unmodified-Since", after}, 0},
		{"If-Unmodified-Since false", []string{"If-Unmodified-Since", before}, 412},
		{"If-Unmodified-Since ignored with If-Match", []string{"If-Match", `"v1"`, "If-Unmodified-Since", before}, 0},
		{"If-Unmodified-Since invalid ignored", []string{"If-Unmodified-Since", "yesterday"}, 0},
		{"If-None-Match matches", []string{"If-None-Match", `"v1"`}, 304},
		{"If-None-Match does not match", []string{"If-None-Match", `"v0"`}, 0},
		{"If-None-Match *", []string{"If-None-Match", "*"}, 304},
		{"If-None-Match wins over If-Modified-Since", []string{"If-None-Match", `"v0"`, "If-Modified-Since", after}, 0},
		{"If-Modified-Since not modified", []string{"If-Modified-Since", after}, 304},
		{"If-Modified-Since equal", []string{"If-Modified-Since", httpDate(lm)}, 304},
		{"If-Modified-Since modified", []string{"If-Modified-Since", before}, 0},
		{"If-Modified-Since invalid", []string{"If-Modified-Since", "Thu, 01 Jan 2099 00:00:00 UTC"}, 0},
		{"If-Modified-Since list", []string{"If-Modified-Since", after + ", " + after}, 0},
		{"If-Modified-Since two lines", []string{"If-Modified-Since", after, "If-Modified-Since", after}, 0},
	}
	for _, tt := range tests {
		if got := EvaluateConditional("GET", hdr(tt.req...), stored); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := EvaluateConditional("POST", hdr("If-None-Match", `"v1"`), stored); got != 0 {
		t.Errorf("POST evaluated: %d", got)
	}
	if got := EvaluateConditional("HEAD", hdr("If-None-Match", `"v1"`), stored); got != 304 {
		t.Errorf("HEAD not evaluated: %d", got)
	}
}

// RFC 9110 §8.8.3.2: If-None-Match uses weak comparison, If-Match strong comparison; lists may
// hold several tags, and commas may appear inside a tag.
func TestRFC9110_8_8_3_2_EntityTagComparison(t *testing.T) {
	tests := []struct {
		stored, header string
		field          string
		want           int
	}{
		{`W/"1"`, `"1"`, "If-None-Match", 304},
		{`"1"`, `W/"1"`, "If-None-Match", 304},
		{`W/"1"`, `W/"1"`, "If-None-Match", 304},
		{`"1"`, `"0", "1"`, "If-None-Match", 304},
		{`"1"`, `"0",W/"1"`, "If-None-Match", 304},
		{`"a,b"`, `"a,b"`, "If-None-Match", 304},
		{`"a,b"`, `"a", "b"`, "If-None-Match", 0},
		{`"1"`, `1`, "If-None-Match", 0},
		{`W/"1"`, `W/"1"`, "If-Match", 412},
		{`"1"`, `W/"1"`, "If-Match", 412},
		{`"1"`, `"1"`, "If-Match", 0},
		{`"1"`, `"2", "1"`, "If-Match", 0},
		{`bogus`, `*`, "If-None-Match", 304},
		{`bogus`, `"bogus"`, "If-None-Match", 0},
	}
	for _, tt := range tests {
		got := EvaluateConditional("GET", hdr(tt.field, tt.header), hdr("ETag", tt.stored))
		if got != tt.want {
			t.Errorf("stored %s, %s: %s → %d, want %d", tt.stored, tt.field, tt.header, got, tt.want)
		}
	}
}

// RFC 9111 §4.3.2: without Last-Modified, a cache evaluates If-Modified-Since against the
// stored response's Date.
func TestRFC9111_4_3_2_IfModifiedSinceUsesDate(t *testing.T) {
	stored := hdr("Date", httpDate(testNow))
	if got := EvaluateConditional("GET", hdr("If-Modified-Since", httpDate(testNow)), stored); got != http.StatusNotModified {
		t.Errorf("got %d, want 304", got)
	}
	if got := EvaluateConditional("GET", hdr("If-Modified-Since", httpDate(testNow.Add(-sec))), stored); got != 0 {
		t.Errorf("got %d, want 0", got)
	}
	if got := EvaluateConditional("GET", hdr("If-Modified-Since", httpDate(testNow)), http.Header{}); got != 0 {
		t.Errorf("no date at all: got %d, want 0", got)
	}
}
