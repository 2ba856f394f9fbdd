package httpcache

import (
	"reflect"
	"testing"
	"time"
)

const (
	day  = 24 * time.Hour
	year = 365 * day
)

var get = Request{Method: "GET"}

// CLOUDFRONT.md 1.3: L (s-maxage, else max-age, else Expires − now) is clamped into
// [MinTTL, MaxTTL]; without L the TTL is max(DefaultTTL, MinTTL); no-cache, no-store and
// private are honoured only when MinTTL is 0, else the object is cached for MinTTL.
func TestCloudFront_TTLClamp(t *testing.T) {
	type pol struct{ min, def, max time.Duration }
	legacy := pol{0, day, year}
	optimized := pol{1 * sec, day, year} // CachingOptimized
	short := pol{0, 10 * sec, 60 * sec}
	floor := pol{100 * sec, 200 * sec, 300 * sec}
	tests := []struct {
		name   string
		p      pol
		h      []string
		store  bool
		ttl    time.Duration
		reason string
	}{
		{"no headers → DefaultTTL", legacy, nil, true, day, ""},
		{"no headers, Min above Default → MinTTL", pol{2 * day, day, year}, nil, true, 2 * day, ""},
		{"max-age inside the range", legacy, []string{"Cache-Control", "max-age=600"}, true, 600 * sec, ""},
		{"max-age above MaxTTL", short, []string{"Cache-Control", "max-age=600"}, true, 60 * sec, ""},
		{"max-age below MinTTL", floor, []string{"Cache-Control", "max-age=5"}, true, 100 * sec, ""},
		{"max-age=0, MinTTL 0", legacy, []string{"Cache-Control", "max-age=0"}, true, 0, ""},
		{"max-age=0, MinTTL 1", optimized, []string{"Cache-Control", "max-age=0"}, true, 1 * sec, ""},
		{"s-maxage wins over max-age", legacy, []string{"Cache-Control", "max-age=10, s-maxage=20"}, true, 20 * sec, ""},
		{"s-maxage clamped too", short, []string{"Cache-Control", "s-maxage=3600, max-age=5"}, true, 60 * sec, ""},
		{"max-age wins over Expires", legacy, []string{"Cache-Control", "max-age=30", "Expires", httpDate(testNow.Add(time.Hour))}, true, 30 * sec, ""},
		{"Expires − now", legacy, []string{"Expires", httpDate(testNow.Add(time.Hour))}, true, time.Hour, ""},
		{"Expires clamped to MaxTTL", short, []string{"Expires", httpDate(testNow.Add(time.Hour))}, true, 60 * sec, ""},
		{"past Expires, MinTTL 0", legacy, []string{"Expires", httpDate(testNow.Add(-time.Hour))}, true, 0, ""},
		{"past Expires, MinTTL 100", floor, []string{"Expires", httpDate(testNow.Add(-time.Hour))}, true, 100 * sec, ""},
		{"no-store, MinTTL 0", legacy, []string{"Cache-Control", "no-store, max-age=600"}, false, 0, ReasonNoStore},
		{"private, MinTTL 0", legacy, []string{"Cache-Control", "private, max-age=600"}, false, 0, ReasonPrivate},
		{"no-store, MinTTL > 0 → MinTTL", floor, []string{"Cache-Control", "no-store"}, true, 100 * sec, ""},
		{"private, MinTTL > 0 → MinTTL", optimized, []string{"Cache-Control", "private, max-age=600"}, true, 1 * sec, ""},
		{"no-cache, MinTTL > 0 → MinTTL", floor, []string{"Cache-Control", "no-cache, max-age=250"}, true, 100 * sec, ""},
		{"no-cache, MinTTL 0 → stored", legacy, []string{"Cache-Control", "no-cache, max-age=250"}, true, 250 * sec, ""},
		{"CachingDisabled stores nothing", pol{0, 0, 0}, []string{"Cache-Control", "max-age=600"}, false, 0, ReasonPolicy},
	}
	for _, tt := range tests {
		p := Policy{MinTTL: tt.p.min, DefaultTTL: tt.p.def, MaxTTL: tt.p.max, ErrorCachingMinTTL: 10 * sec}
		d := Decide(get, 200, hdr(tt.h...), p, testNow)
		if d.Store != tt.store || d.TTL != tt.ttl || d.Reason != tt.reason {
			t.Errorf("%s: Store=%v TTL=%v Reason=%q, want %v %v %q", tt.name, d.Store, d.TTL, d.Reason, tt.store, tt.ttl, tt.reason)
		}
	}
}

// CLOUDFRONT.md 1.6: 404, 414, 500, 501, 502, 503, 504 are cached for
// max(ErrorCachingMinTTL, origin max-age/s-maxage) capped by MaxTTL; 400, 403, 405, 412, 415
// only with max-age or s-maxage; 416 never.
func TestCloudFront_ErrorCaching(t *testing.T) {
	p := Policy{MinTTL: 0, DefaultTTL: day, MaxTTL: 300 * sec, ErrorCachingMinTTL: 10 * sec}
	tests := []struct {
		status int
		h      []string
		store  bool
		ttl    time.Duration
	}{
		{404, nil, true, 10 * sec},
		{414, nil, true, 10 * sec},
		{500, nil, true, 10 * sec},
		{501, nil, true, 10 * sec},
		{502, nil, true, 10 * sec},
		{503, nil, true, 10 * sec},
		{504, nil, true, 10 * sec},
		{503, []string{"Cache-Control", "max-age=60"}, true, 60 * sec},
		{503, []string{"Cache-Control", "max-age=5"}, true, 10 * sec},
		{503, []string{"Cache-Control", "s-maxage=3600"}, true, 300 * sec},
		{404, []string{"Cache-Control", "max-age=0"}, true, 10 * sec},
		{500, []string{"Cache-Control", "no-store"}, false, 0},
		{400, nil, false, 0},
		{403, nil, false, 0},
		{405, nil, false, 0},
		{412, nil, false, 0},
		{415, nil, false, 0},
		{403, []string{"Expires", httpDate(testNow.Add(time.Hour))}, false, 0},
		{403, []string{"Cache-Control", "max-age=30"}, true, 30 * sec},
		{400, []string{"Cache-Control", "s-maxage=5"}, true, 10 * sec},
		{416, []string{"Cache-Control", "max-age=30"}, false, 0},
	}
	for _, tt := range tests {
		d := Decide(get, tt.status, hdr(tt.h...), p, testNow)
		if d.Store != tt.store || d.TTL != tt.ttl {
			t.Errorf("%d %q: Store=%v TTL=%v (%s), want %v %v", tt.status, tt.h, d.Store, d.TTL, d.Reason, tt.store, tt.ttl)
		}
	}
	zero := p
	zero.ErrorCachingMinTTL = 0
	if d := Decide(get, 502, nil, zero, testNow); d.Store || d.Reason != ReasonErrorTTL {
		t.Errorf("ErrorCachingMinTTL 0 without max-age: %+v, want not stored", d)
	}
}

// RFC 9110 §15.1 lists the heuristically cacheable status codes; RFC 9111 §3 stores other
// final responses only with explicit freshness or public.
func TestRFC9110_15_1_HeuristicStatuses(t *testing.T) {
	p := LegacyDefaultPolicy()
	for _, status := range []int{200, 203, 204, 206, 300, 301, 308, 410} {
		if d := Decide(get, status, nil, p, testNow); !d.Store || d.TTL != day {
			t.Errorf("%d without headers: %+v, want DefaultTTL", status, d)
		}
	}
	for _, status := range []int{201, 202, 302, 303, 307, 429, 451} {
		if d := Decide(get, status, nil, p, testNow); d.Store || d.Reason != ReasonStatus {
			t.Errorf("%d without headers: %+v, want not stored", status, d)
		}
		if d := Decide(get, status, hdr("Cache-Control", "max-age=60"), p, testNow); !d.Store || d.TTL != 60*sec {
			t.Errorf("%d with max-age: %+v, want stored 60s", status, d)
		}
		if d := Decide(get, status, hdr("Cache-Control", "public"), p, testNow); !d.Store || d.TTL != day {
			t.Errorf("%d with public: %+v, want stored with DefaultTTL", status, d)
		}
	}
	for _, status := range []int{100, 101, 304, 600, 0} {
		if d := Decide(get, status, hdr("Cache-Control", "max-age=60"), p, testNow); d.Store {
			t.Errorf("%d stored", status)
		}
	}
}

// RFC 9111 §3: a cache stores only responses to methods it understands as cacheable; CloudFront
// caches GET and HEAD, and OPTIONS when the behaviour says so (CLOUDFRONT.md 1.2). Method
// names are case-sensitive (RFC 9110 §9.1).
func TestRFC9111_3_MethodMustBeCacheable(t *testing.T) {
	p := LegacyDefaultPolicy()
	h := hdr("Cache-Control", "max-age=60")
	for _, m := range []string{"GET", "HEAD", ""} {
		if d := Decide(Request{Method: m}, 200, h, p, testNow); !d.Store {
			t.Errorf("%q not stored", m)
		}
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "TRACE"} {
		if d := Decide(Request{Method: m}, 200, h, p, testNow); d.Store || d.Reason != ReasonMethod {
			t.Errorf("%q: %+v, want not stored", m, d)
		}
	}
	p.CacheOPTIONS = true
	if d := Decide(Request{Method: "OPTIONS"}, 200, h, p, testNow); !d.Store {
		t.Errorf("OPTIONS not stored with CacheOPTIONS")
	}
}

// RFC 9111 §3.5: a shared cache MUST NOT use a response to a request with Authorization to
// satisfy another request unless it has must-revalidate, public or s-maxage.
func TestRFC9111_3_5_Authorization(t *testing.T) {
	p := Policy{MinTTL: 5 * sec, DefaultTTL: day, MaxTTL: year}
	req := Request{Method: "GET", Header: hdr("Authorization", "Bearer x")}
	tests := []struct {
		cc    string
		store bool
	}{
		{"", false},
		{"max-age=60", false},
		{"private", false},
		{"public", true},
		{"must-revalidate, max-age=60", true},
		{"s-maxage=60", true},
		{"s-maxage=abc", false},
		{"proxy-revalidate", false},
	}
	for _, tt := range tests {
		d := Decide(req, 200, hdr("Cache-Control", tt.cc), p, testNow)
		if d.Store != tt.store || (!tt.store && d.Reason != ReasonAuthorization) {
			t.Errorf("%q: %+v, want Store=%v", tt.cc, d, tt.store)
		}
	}
	// s-maxage in a targeted field has no meaning, so it does not allow sharing either.
	if d := Decide(req, 200, hdr("CDN-Cache-Control", "s-maxage=60, max-age=60"), p, testNow); d.Store {
		t.Errorf("targeted s-maxage allowed an authorised response")
	}
	if d := Decide(req, 200, hdr("CDN-Cache-Control", "public, max-age=60"), p, testNow); !d.Store {
		t.Errorf("targeted public did not allow an authorised response")
	}
}

// RFC 9111 §5.3: "A cache recipient MUST interpret invalid date formats, especially the value
// "0", as representing a time in the past (i.e., "already expired")."
func TestRFC9111_5_3_InvalidExpiresIsStale(t *testing.T) {
	p := LegacyDefaultPolicy()
	for _, exp := range []string{"0", "-1", "never", "Thu, 01 Jan 2099 00:00:00 UTC", ""} {
		d := Decide(get, 200, hdr("Expires", exp), p, testNow)
		if !d.Store || d.TTL != 0 {
			t.Errorf("Expires %q: Store=%v TTL=%v, want stored as already expired", exp, d.Store, d.TTL)
		}
		if st, _ := Freshness(d, 0); st != StaleNeedsRevalidate {
			t.Errorf("Expires %q: state %v, want stale", exp, st)
		}
	}
	// Two Expires lines that disagree are treated as stale as well (§4.2.1).
	h := hdr("Expires", httpDate(testNow.Add(time.Hour)), "Expires", httpDate(testNow.Add(2*time.Hour)))
	if d := Decide(get, 200, h, p, testNow); d.TTL != 0 {
		t.Errorf("conflicting Expires: TTL %v, want 0", d.TTL)
	}
}

// RFC 9111 §4.2.1: freshness_lifetime = expires_value − date_value, so a skewed origin clock
// does not change the lifetime.
func TestRFC9111_4_2_1_ExpiresMinusDate(t *testing.T) {
	originClock := testNow.Add(-10 * time.Minute) // the origin runs 10 minutes slow
	h := hdr("Date", httpDate(originClock), "Expires", httpDate(originClock.Add(time.Hour)))
	if d := Decide(get, 200, h, LegacyDefaultPolicy(), testNow); d.TTL != time.Hour {
		t.Errorf("TTL %v, want 1h", d.TTL)
	}
}

// RFC 9111 §4.2.1: "Caches are encouraged to consider responses that have invalid freshness
// information (e.g., a max-age directive with non-integer content) to be stale."
func TestRFC9111_4_2_1_InvalidMaxAgeIsStale(t *testing.T) {
	p := LegacyDefaultPolicy()
	for _, cc := range []string{"max-age=3600a", "max-age=a3600", "max-age=1.5", "s-maxage=-1", "max-age='60'"} {
		if d := Decide(get, 200, hdr("Cache-Control", cc, "Expires", httpDate(testNow.Add(time.Hour))), p, testNow); !d.Store || d.TTL != 0 {
			t.Errorf("%q: Store=%v TTL=%v, want stored stale", cc, d.Store, d.TTL)
		}
	}
	if d := Decide(get, 200, hdr("Cache-Control", "s-maxage=x, max-age=60"), p, testNow); d.TTL != 60*sec {
		t.Errorf("a valid max-age beside an invalid s-maxage: TTL %v, want 60s", d.TTL)
	}
}

// RFC 9111 §5.2.2.5 (no-store) and §5.2.2.7 (private): a shared cache MUST NOT store.
func TestRFC9111_5_2_2_5_NoStoreAndPrivate(t *testing.T) {
	p := LegacyDefaultPolicy()
	for _, cc := range []string{"no-store", "private", "max-age=60, no-store", "public, private", "NO-STORE"} {
		if d := Decide(get, 200, hdr("Cache-Control", cc), p, testNow); d.Store {
			t.Errorf("%q stored", cc)
		}
	}
}

// RFC 9111 §5.2.2.7: qualified private lets a shared cache store the response without the
// named fields; §5.2.2.4: qualified no-cache fields are not reused without revalidation.
func TestRFC9111_5_2_2_7_QualifiedFieldsStripped(t *testing.T) {
	d := Decide(get, 200, hdr("Cache-Control", `max-age=60, private="X-User", no-cache="Set-Cookie"`), LegacyDefaultPolicy(), testNow)
	if !d.Store || d.NoCacheRevalidate || !reflect.DeepEqual(d.StripFields, []string{"X-User", "Set-Cookie"}) {
		t.Fatalf("got %+v", d)
	}
}

// RFC 9111 §5.2.2.4: with no-cache the response may be stored but "MUST NOT be used to
// satisfy any other request without forwarding it for validation".
func TestRFC9111_5_2_2_4_NoCacheStoredForRevalidation(t *testing.T) {
	d := Decide(get, 200, hdr("Cache-Control", "no-cache, max-age=3600", "ETag", `"a"`), LegacyDefaultPolicy(), testNow)
	if !d.Store || !d.NoCacheRevalidate {
		t.Fatalf("got %+v, want stored with NoCacheRevalidate", d)
	}
	if st, _ := Freshness(d, 0); st != StaleNeedsRevalidate {
		t.Errorf("a fresh no-cache response was reusable: %v", st)
	}
	if UsableOnError(d, 0) {
		t.Errorf("no-cache response usable on error")
	}
}

// RFC 9111 §5.2.2.3: must-understand with a status the cache understands makes it ignore
// no-store; with one it does not understand, the response is not stored.
func TestRFC9111_5_2_2_3_MustUnderstand(t *testing.T) {
	p := LegacyDefaultPolicy()
	if d := Decide(get, 200, hdr("Cache-Control", "must-understand, no-store, max-age=60"), p, testNow); !d.Store || d.TTL != 60*sec {
		t.Errorf("understood status: %+v, want stored", d)
	}
	if d := Decide(get, 299, hdr("Cache-Control", "must-understand, no-store, max-age=60"), p, testNow); d.Store || d.Reason != ReasonMustUnderstand {
		t.Errorf("unknown status: %+v, want not stored", d)
	}
}

// RFC 9111 §5.2.2.10: s-maxage overrides max-age for a shared cache and "incorporates the
// semantics of the proxy-revalidate response directive"; in a targeted field it does not.
func TestRFC9111_5_2_2_10_SMaxAge(t *testing.T) {
	p := LegacyDefaultPolicy()
	d := Decide(get, 200, hdr("Cache-Control", "max-age=5, s-maxage=50"), p, testNow)
	if d.TTL != 50*sec || !d.MustRevalidate {
		t.Errorf("got %+v, want TTL 50s and MustRevalidate", d)
	}
	if d := Decide(get, 200, hdr("Cache-Control", "max-age=5"), p, testNow); d.MustRevalidate {
		t.Errorf("max-age alone set MustRevalidate")
	}
}
