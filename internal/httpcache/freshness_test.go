package httpcache

import (
	"testing"
	"time"
)

// RFC 9111 §4.2: "response_is_fresh = (freshness_lifetime > current_age)".
func TestRFC9111_4_2_FreshnessState(t *testing.T) {
	d := Decision{Store: true, TTL: 60 * sec}
	tests := []struct {
		age       time.Duration
		state     State
		remaining time.Duration
	}{
		{0, Fresh, 60 * sec},
		{59 * sec, Fresh, 1 * sec},
		{60 * sec, StaleNeedsRevalidate, 0},
		{61 * sec, StaleNeedsRevalidate, -1 * sec},
	}
	for _, tt := range tests {
		st, rem := Freshness(d, tt.age)
		if st != tt.state || rem != tt.remaining {
			t.Errorf("age %v: %v %v, want %v %v", tt.age, st, rem, tt.state, tt.remaining)
		}
	}
	if st, _ := Freshness(Decision{Store: true}, 0); st != StaleNeedsRevalidate {
		t.Errorf("TTL 0 is fresh")
	}
}

// RFC 9111 §4.2 with §4.2.3: an upstream Age shortens the remaining freshness (the cache-tests
// case "Age greater than max-age is not reused").
func TestRFC9111_4_2_AgeShortensFreshness(t *testing.T) {
	h := hdr("Date", httpDate(testNow), "CDN-Cache-Control", "max-age=3600", "Age", "7200")
	d := Decide(get, 200, h, LegacyDefaultPolicy(), testNow)
	if st, _ := Freshness(d, CurrentAge(h, testNow, testNow, testNow)); st == Fresh {
		t.Errorf("response older than its lifetime is fresh")
	}
	h.Set("Age", "600")
	if st, rem := Freshness(d, CurrentAge(h, testNow, testNow, testNow)); st != Fresh || rem != 3000*sec {
		t.Errorf("got %v %v, want fresh with 3000s left", st, rem)
	}
}

// RFC 5861 §3: stale-while-revalidate=N lets a cache serve a stale response "for up to N
// seconds after it becomes stale" while it revalidates in the background.
func TestRFC5861_3_StaleWhileRevalidate(t *testing.T) {
	d := Decide(get, 200, hdr("Cache-Control", "max-age=60, stale-while-revalidate=30"), LegacyDefaultPolicy(), testNow)
	tests := []struct {
		age   time.Duration
		state State
	}{
		{59 * sec, Fresh},
		{60 * sec, StaleRevalidateAsync},
		{90 * sec, StaleRevalidateAsync},
		{91 * sec, StaleNeedsRevalidate},
	}
	for _, tt := range tests {
		if st, _ := Freshness(d, tt.age); st != tt.state {
			t.Errorf("age %v: %v, want %v", tt.age, st, tt.state)
		}
	}
	// s-maxage keeps an explicit window (origins send "s-maxage=60, stale-while-revalidate=30"
	// to ask a CDN for exactly this) ...
	d = Decide(get, 200, hdr("Cache-Control", "s-maxage=60, stale-while-revalidate=30"), LegacyDefaultPolicy(), testNow)
	if st, _ := Freshness(d, 70*sec); st != StaleRevalidateAsync {
		t.Errorf("s-maxage with swr: %v, want StaleRevalidateAsync", st)
	}
}

// RFC 9111 §4.2.4: "A cache MUST NOT generate a stale response if it is prohibited by an
// explicit in-protocol directive (e.g., by a no-cache response directive, a must-revalidate
// response directive, or an applicable s-maxage or proxy-revalidate response directive)".
func TestRFC9111_4_2_4_MustRevalidateServesNoStale(t *testing.T) {
	for _, cc := range []string{
		"max-age=60, must-revalidate, stale-while-revalidate=30, stale-if-error=30",
		"max-age=60, proxy-revalidate, stale-while-revalidate=30, stale-if-error=30",
		"s-maxage=60",
	} {
		d := Decide(get, 200, hdr("Cache-Control", cc), LegacyDefaultPolicy(), testNow)
		if !d.MustRevalidate {
			t.Errorf("%q: MustRevalidate not set", cc)
		}
		if st, _ := Freshness(d, 61*sec); st != StaleNeedsRevalidate {
			t.Errorf("%q: stale state %v, want StaleNeedsRevalidate", cc, st)
		}
		if UsableOnError(d, 61*sec) {
			t.Errorf("%q: stale response usable on error", cc)
		}
		if !UsableOnError(d, 59*sec) {
			t.Errorf("%q: fresh response not usable on error", cc)
		}
	}
}

// RFC 5861 §4: stale-if-error=N lets a cache serve a response up to N seconds stale when the
// origin fails; without it CloudFront serves stale objects on origin errors (CLOUDFRONT.md
// 1.6), and stale-if-error=0 turns that off (CLOUDFRONT.md 1.3).
func TestRFC5861_4_StaleIfError(t *testing.T) {
	p := LegacyDefaultPolicy()
	tests := []struct {
		name string
		cc   string
		age  time.Duration
		ok   bool
	}{
		{"inside the window", "max-age=60, stale-if-error=100", 160 * sec, true},
		{"past the window", "max-age=60, stale-if-error=100", 161 * sec, false},
		{"with s-maxage", "s-maxage=60, stale-if-error=100", 120 * sec, true},
		{"stale-if-error=0", "max-age=60, stale-if-error=0", 61 * sec, false},
		{"CloudFront default", "max-age=60", 10 * day, true},
	}
	for _, tt := range tests {
		d := Decide(get, 200, hdr("Cache-Control", tt.cc), p, testNow)
		if got := UsableOnError(d, tt.age); got != tt.ok {
			t.Errorf("%s: UsableOnError = %v, want %v", tt.name, got, tt.ok)
		}
	}
	// A MinTTL-forced copy of a no-cache response is served stale unless stale-if-error=0.
	forced := Policy{MinTTL: 10 * sec, DefaultTTL: day, MaxTTL: year}
	if d := Decide(get, 200, hdr("Cache-Control", "no-cache"), forced, testNow); !UsableOnError(d, time.Hour) {
		t.Errorf("forced no-cache copy not usable on error")
	}
	if d := Decide(get, 200, hdr("Cache-Control", "no-cache, stale-if-error=0"), forced, testNow); UsableOnError(d, time.Hour) {
		t.Errorf("stale-if-error=0 did not stop stale serving")
	}
}
