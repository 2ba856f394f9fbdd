package httpcache

import (
	"reflect"
	"testing"
	"time"
)

// RFC 9213 §2.1: the first usable field in target list order is used, and Cache-Control and
// Expires are then ignored; Pharos's own field comes before CDN-Cache-Control.
func TestRFC9213_TargetedPrecedence(t *testing.T) {
	pol := Policy{MaxTTL: 100 * 365 * 24 * time.Hour, DefaultTTL: time.Hour}
	tests := []struct {
		name  string
		h     []string
		field string
		store bool
		ttl   time.Duration
	}{
		{"Cache-Control alone", []string{"Cache-Control", "max-age=10"}, FieldCacheControl, true, 10 * sec},
		{"CDN-Cache-Control beats Cache-Control", []string{"Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age=3600"}, FieldCDNCacheControl, true, 3600 * sec},
		{"a short CDN max-age beats a long one", []string{"Cache-Control", "max-age=3600", "CDN-Cache-Control", "max-age=1"}, FieldCDNCacheControl, true, 1 * sec},
		{"Pharos field beats both", []string{"Cache-Control", "max-age=1", "CDN-Cache-Control", "max-age=2", "Pharos-CDN-Cache-Control", "max-age=3"}, FieldPharosCDNCacheControl, true, 3 * sec},
		{"invalid Pharos field falls back to CDN", []string{"CDN-Cache-Control", "max-age=2", "Pharos-CDN-Cache-Control", "max-age=3, &&"}, FieldCDNCacheControl, true, 2 * sec},
		{"CDN no-store beats fresh Cache-Control", []string{"Cache-Control", "max-age=10000", "CDN-Cache-Control", "no-store"}, FieldCDNCacheControl, false, 0},
		{"CDN max-age beats Cache-Control no-store", []string{"Cache-Control", "no-store", "CDN-Cache-Control", "max-age=10000"}, FieldCDNCacheControl, true, 10000 * sec},
		{"CDN private beats Cache-Control max-age", []string{"Cache-Control", "max-age=10000", "CDN-Cache-Control", "private"}, FieldCDNCacheControl, false, 0},
		{"unknown-only field still overrides (RFC 9213 §3.1)", []string{"Cache-Control", "no-store", "CDN-Cache-Control", "none"}, FieldCDNCacheControl, true, time.Hour},
		{"Expires ignored under a targeted field", []string{"CDN-Cache-Control", "max-age=3600", "Expires", "0", "Date", httpDate(testNow)}, FieldCDNCacheControl, true, 3600 * sec},
		{"future Expires ignored under max-age=0", []string{"CDN-Cache-Control", "max-age=0", "Expires", httpDate(testNow.Add(time.Hour))}, FieldCDNCacheControl, true, 0},
		{"s-maxage has no meaning in a targeted field", []string{"CDN-Cache-Control", "s-maxage=5, max-age=50"}, FieldCDNCacheControl, true, 50 * sec},
		{"saturates at 2^31", []string{"CDN-Cache-Control", "max-age=99999999999"}, FieldCDNCacheControl, true, MaxDelta},
	}
	for _, tt := range tests {
		h := hdr(tt.h...)
		if _, field := EffectiveDirectives(h); field != tt.field {
			t.Errorf("%s: directives from %s, want %s", tt.name, field, tt.field)
		}
		dec := Decide(Request{Method: "GET"}, 200, h, pol, testNow)
		if dec.Store != tt.store || dec.TTL != tt.ttl {
			t.Errorf("%s: Store=%v TTL=%v (%s), want %v %v", tt.name, dec.Store, dec.TTL, dec.Reason, tt.store, tt.ttl)
		}
	}
}

// RFC 9213 §2.2: targeted fields are Dictionaries (RFC 8941); an empty field or a parsing
// error makes the cache ignore the field. Wrongly typed directive values make it unusable too
// (§2.1: "SHOULD NOT consume values that violate these inferred constraints").
func TestRFC9213_2_2_InvalidTargetedFieldIgnored(t *testing.T) {
	for _, v := range []string{
		"", "   ", "max-age=10000, &&&&&", `max-age="10000"`, "max-age=10.5", "max-age=-1",
		"MaX-aGe=3600", "max-age =100", "max-age= 100", "max-age=1,", "no-store=1", "private=?2",
		`no-cache=:AAA=:`, "max-age=1 max-age=2",
	} {
		h := hdr("CDN-Cache-Control", v, "Cache-Control", "no-store")
		if _, field := EffectiveDirectives(h); field != FieldCacheControl {
			t.Errorf("%q: used %s, want fallback to Cache-Control", v, field)
		}
	}
}

// RFC 9213 §2.2 and RFC 8941: directive values map to Structured Field types.
func TestRFC9213_2_2_TargetedDirectiveTypes(t *testing.T) {
	tests := []struct {
		in   string
		want Directives
	}{
		{"max-age=60, stale-while-revalidate=10, stale-if-error=20", Directives{MaxAge: 60 * sec, HasMaxAge: true,
			StaleWhileRevalidate: 10 * sec, HasSWR: true, StaleIfError: 20 * sec, HasSIE: true}},
		{"no-store, public, must-revalidate, immutable", Directives{NoStore: true, Public: true, MustRevalidate: true, Immutable: true}},
		{"no-store=?0, public=?1", Directives{Public: true}},
		{`no-cache="set-cookie, x-a"`, Directives{NoCacheFields: []string{"Set-Cookie", "X-A"}}},
		{`private=("x-a" x-b)`, Directives{PrivateFields: []string{"X-A", "X-B"}}},
		{`no-cache=""`, Directives{NoCache: true}},
		{"max-age=1, max-age=5", Directives{MaxAge: 5 * sec, HasMaxAge: true}}, // the last wins (RFC 8941 §4.2.2)
		{"max-age=60;foo=bar, ext=(1 2), x=:AAA=:, y=@1700000000, z=%\"caf%c3%a9\"", Directives{MaxAge: 60 * sec, HasMaxAge: true}},
	}
	for _, tt := range tests {
		d, field := EffectiveDirectives(hdr("CDN-Cache-Control", tt.in))
		if field != FieldCDNCacheControl || !reflect.DeepEqual(d, tt.want) {
			t.Errorf("%q: got %+v from %s, want %+v", tt.in, d, field, tt.want)
		}
	}
}

// RFC 8941 §4.2.2 and §4.2.3: Dictionary syntax, the parts a targeted field may hold.
func TestRFC8941_4_2_2_DictionaryParsing(t *testing.T) {
	tests := []struct {
		in string
		n  int
		ok bool
	}{
		{"a=1, b=2;x=?0, c", 3, true},
		{"a=1,b=2", 2, true},
		{"a=(1 2 3);p, b=(\"s\" tok)", 2, true},
		{`a="esc\"aped\\"`, 1, true},
		{"a=1.234, b=-5, c=123456789012345", 3, true},
		{"a=1.2345", 0, false},
		{"a=1234567890123456", 0, false},
		{"a=1234567890123.1", 0, false},
		{"a=1.", 0, false},
		{`a="bad\x"`, 0, false},
		{"a=(1 2", 0, false},
		{"a=(1,2)", 0, false},
		{"A=1", 0, false},
		{"a=1;B=2", 0, false},
		{"a=?", 0, false},
		{"a=%\"%C3%A9\"", 0, false},
		{"a=%\"%ff\"", 0, false},
		{"a=1, ", 1, false},
		{"", 0, true},
	}
	for _, tt := range tests {
		n, ok := parseSFDictionary(tt.in, func(string, sfValue) bool { return true })
		if ok != tt.ok || (ok && n != tt.n) {
			t.Errorf("%q: n=%d ok=%v, want n=%d ok=%v", tt.in, n, ok, tt.n, tt.ok)
		}
	}
	var got string
	parseSFDictionary(`k="a\"b"`, func(_ string, v sfValue) bool { got = v.str; return true })
	if got != `a"b` {
		t.Errorf("string unescape: got %q", got)
	}
}

func FuzzParseTargeted(f *testing.F) {
	for _, s := range []string{"max-age=60", `no-cache=("a" b)`, "a=:AAA=:;x", "x=%\"%c3%a9\"", "max-age=1, &&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, ok := parseTargeted([]string{in})
		if !ok {
			return
		}
		for _, v := range []time.Duration{d.MaxAge, d.StaleWhileRevalidate, d.StaleIfError} {
			if v < 0 || v > MaxDelta {
				t.Fatalf("%q: duration %v out of range", in, v)
			}
		}
		if d.HasSMaxAge {
			t.Fatalf("%q: s-maxage read from a targeted field", in)
		}
	})
}
