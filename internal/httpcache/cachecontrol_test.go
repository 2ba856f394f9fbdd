package httpcache

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// RFC 9111 §5.2: "Cache directives are identified by a token, to be compared
// case-insensitively".
func TestRFC9111_5_2_DirectiveNamesCaseInsensitive(t *testing.T) {
	d := ParseCacheControl([]string{"MAX-AGE=10, No-Store, S-MaxAge=5, PUBLIC, Must-Revalidate"})
	want := Directives{MaxAge: 10 * sec, HasMaxAge: true, SMaxAge: 5 * sec, HasSMaxAge: true,
		NoStore: true, Public: true, MustRevalidate: true}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("got %+v, want %+v", d, want)
	}
}

// RFC 9111 §1.2.2: delta-seconds = 1*DIGIT; §5.2: recipients "ought to accept both forms"
// (token and quoted-string) of an argument; anything else leaves the directive absent.
func TestRFC9111_1_2_2_DeltaSeconds(t *testing.T) {
	tests := []struct {
		in      string
		has     bool
		maxAge  time.Duration
		invalid bool
	}{
		{"max-age=3600", true, 3600 * sec, false},
		{"max-age=0", true, 0, false},
		{"max-age=003600", true, 3600 * sec, false},
		{`max-age="3600"`, true, 3600 * sec, false},
		{"max-age=-1", false, 0, true},
		{"max-age=3600.0", false, 0, true},
		{"max-age=3600.5", false, 0, true},
		{"max-age=a3600", false, 0, true},
		{"max-age=3600a", false, 0, true},
		{"max-age='3600'", false, 0, true},
		{`max-age="36 00"`, false, 0, true},
		{"max-age =3600", false, 0, true},
		{"max-age= 3600", false, 0, true},
		{"max-age=", false, 0, true},
		{"max-age", false, 0, true},
		{"max-age=+5", false, 0, true},
	}
	for _, tt := range tests {
		d := ParseCacheControl([]string{tt.in})
		if d.HasMaxAge != tt.has || d.MaxAge != tt.maxAge || d.BadMaxAge != tt.invalid {
			t.Errorf("%q: HasMaxAge=%v MaxAge=%v Bad=%v, want %v %v %v",
				tt.in, d.HasMaxAge, d.MaxAge, d.BadMaxAge, tt.has, tt.maxAge, tt.invalid)
		}
	}
}

// RFC 9111 §1.2.2: a delta-seconds greater than the greatest integer the cache can represent
// is taken as 2^31.
func TestRFC9111_1_2_2_DeltaSecondsOverflowSaturates(t *testing.T) {
	for _, in := range []string{"2147483648", "2147483649", "99999999999", "99999999999999999999999999"} {
		d := ParseCacheControl([]string{"s-maxage=" + in + ", stale-if-error=" + in})
		if d.SMaxAge != MaxDelta || d.StaleIfError != MaxDelta {
			t.Errorf("%s: s-maxage %v, stale-if-error %v, want %v", in, d.SMaxAge, d.StaleIfError, MaxDelta)
		}
	}
	if d := ParseCacheControl([]string{"max-age=2147483647"}); d.MaxAge != (1<<31-1)*sec {
		t.Errorf("2^31-1 changed to %v", d.MaxAge)
	}
}

// RFC 9111 §4.2.1: with several values for a directive "either the first occurrence should be
// used or the response should be considered stale"; we consider it stale.
func TestRFC9111_4_2_1_DuplicateDirectivesStale(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		maxAge time.Duration
	}{
		{"same line, fresh then stale", []string{"max-age=1800, max-age=1"}, 0},
		{"same line, stale then fresh", []string{"max-age=1, max-age=1800"}, 0},
		{"separate lines", []string{"max-age=1800", "max-age=1"}, 0},
		{"identical repeats are harmless", []string{"max-age=60", "max-age=60"}, 60 * sec},
		{"an invalid repeat is ignored", []string{"max-age=60, max-age=x"}, 60 * sec},
	}
	for _, tt := range tests {
		d := ParseCacheControl(tt.values)
		if !d.HasMaxAge || d.MaxAge != tt.maxAge {
			t.Errorf("%s: HasMaxAge=%v MaxAge=%v, want %v", tt.name, d.HasMaxAge, d.MaxAge, tt.maxAge)
		}
	}
	if d := ParseCacheControl([]string{"stale-while-revalidate=60, stale-while-revalidate=30"}); d.StaleWhileRevalidate != 0 {
		t.Errorf("conflicting stale-while-revalidate kept %v", d.StaleWhileRevalidate)
	}
}

// RFC 9111 §5.2 grammar (token [ "=" ( token / quoted-string ) ]): a comma or directive inside
// a quoted-string is data.
func TestRFC9111_5_2_QuotedStringIsData(t *testing.T) {
	tests := []struct {
		in     string
		maxAge time.Duration
	}{
		{`extension="max-age=3600", max-age=1`, 1 * sec},
		{`max-age=1, extension="max-age=3600"`, 1 * sec},
		{`ext="a, max-age=3600", max-age=2`, 2 * sec},
		{`ext="a \", max-age=3600", max-age=3`, 3 * sec},
	}
	for _, tt := range tests {
		d := ParseCacheControl([]string{tt.in})
		if d.MaxAge != tt.maxAge {
			t.Errorf("%q: max-age %v, want %v", tt.in, d.MaxAge, tt.maxAge)
		}
	}
	// An unterminated quote swallows the rest rather than exposing it as directives.
	if d := ParseCacheControl([]string{`ext="open, max-age=3600`}); d.HasMaxAge {
		t.Errorf("max-age read from inside an unterminated quote")
	}
}

// RFC 9110 §5.3: several field lines are one comma-separated list.
func TestRFC9111_5_2_MultipleFieldLines(t *testing.T) {
	d := ParseCacheControl([]string{"public", "max-age=60", "", " , stale-if-error=5 ,"})
	if !d.Public || d.MaxAge != 60*sec || d.StaleIfError != 5*sec || !d.HasSIE {
		t.Fatalf("got %+v", d)
	}
}

// RFC 9111 §5.2.2.4 and §5.2.2.7: no-cache and private may list field names; the qualified
// form restricts only those fields.
func TestRFC9111_5_2_2_4_QualifiedNoCacheAndPrivate(t *testing.T) {
	tests := []struct {
		in                    string
		noCache, private      bool
		noCacheFields, fields []string
	}{
		{`no-cache="Set-Cookie"`, false, false, []string{"Set-Cookie"}, nil},
		{`no-cache="set-cookie, x-token"`, false, false, []string{"Set-Cookie", "X-Token"}, nil},
		{`no-cache=set-cookie`, false, false, []string{"Set-Cookie"}, nil},
		{`private="Authorization-Info"`, false, false, nil, []string{"Authorization-Info"}},
		{`no-cache=""`, true, false, nil, nil},
		{`private="a b"`, false, true, nil, nil},
		{`no-cache, no-cache="X"`, true, false, []string{"X"}, nil},
		{`no-cache="unterminated`, true, false, nil, nil},
	}
	for _, tt := range tests {
		d := ParseCacheControl([]string{tt.in})
		if d.NoCache != tt.noCache || d.Private != tt.private ||
			!reflect.DeepEqual(d.NoCacheFields, tt.noCacheFields) || !reflect.DeepEqual(d.PrivateFields, tt.fields) {
			t.Errorf("%q: got NoCache=%v Private=%v NoCacheFields=%q PrivateFields=%q", tt.in,
				d.NoCache, d.Private, d.NoCacheFields, d.PrivateFields)
		}
	}
}

// RFC 9111 §5.2.3: "A cache MUST ignore unrecognized cache directives"; and §4.2.1 asks for
// the most restrictive reading, so restrictive directives count even with a stray argument
// while permissive ones do not.
func TestRFC9111_5_2_3_UnknownAndMalformedDirectives(t *testing.T) {
	d := ParseCacheControl([]string{`foo, bar="baz", max-age=10, =x, "quoted"`})
	if d.MaxAge != 10*sec || d.NoStore || d.Public {
		t.Errorf("unknown directives changed the result: %+v", d)
	}
	d = ParseCacheControl([]string{"no-store=1, must-revalidate=yes, public=1, immutable=x"})
	if !d.NoStore || !d.MustRevalidate || d.Public || d.Immutable {
		t.Errorf("got %+v, want no-store and must-revalidate only", d)
	}
}

// RFC 5861 §3, §4 and RFC 8246: stale-while-revalidate, stale-if-error and immutable.
func TestRFC5861_StaleDirectives(t *testing.T) {
	d := ParseCacheControl([]string{"max-age=1, stale-while-revalidate=30, stale-if-error=86400, immutable"})
	if !d.HasSWR || d.StaleWhileRevalidate != 30*sec || !d.HasSIE || d.StaleIfError != 86400*sec || !d.Immutable {
		t.Fatalf("got %+v", d)
	}
	if d := ParseCacheControl([]string{"stale-if-error=x"}); d.HasSIE {
		t.Errorf("invalid stale-if-error kept")
	}
}

// Directives.String is parseable and gives the same directives back.
func TestDirectivesStringRoundTrip(t *testing.T) {
	in := `Public, private="A, B", no-cache, no-cache="C", no-store, must-revalidate, proxy-revalidate, ` +
		`must-understand, immutable, max-age=1, s-maxage=2, stale-while-revalidate=3, stale-if-error=4`
	d := ParseCacheControl([]string{in})
	s := d.String()
	if got := ParseCacheControl([]string{s}); !reflect.DeepEqual(got, d) {
		t.Fatalf("round trip via %q: got %+v, want %+v", s, got, d)
	}
	want := `public, private="A, B", no-cache, no-cache="C", no-store, must-revalidate, proxy-revalidate, ` +
		`must-understand, immutable, max-age=1, s-maxage=2, stale-while-revalidate=3, stale-if-error=4`
	if s != want {
		t.Errorf("String() = %q, want %q", s, want)
	}
}

func FuzzParseCacheControl(f *testing.F) {
	for _, seed := range []string{
		"max-age=60", `no-cache="Set-Cookie, X"`, "s-maxage=99999999999999", `ext="a,b\"c", max-age=1`,
		"max-age=1, max-age=2", "no-store=1", `private=""`, ",,,", `"`, "max-age=\"10\"", "MaX-AgE=5",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d := ParseCacheControl([]string{in})
		for _, v := range []time.Duration{d.MaxAge, d.SMaxAge, d.StaleWhileRevalidate, d.StaleIfError} {
			if v < 0 || v > MaxDelta || v%time.Second != 0 {
				t.Fatalf("%q: duration %v out of range", in, v)
			}
		}
		if (!d.HasMaxAge && d.MaxAge != 0) || (!d.HasSMaxAge && d.SMaxAge != 0) ||
			(!d.HasSWR && d.StaleWhileRevalidate != 0) || (!d.HasSIE && d.StaleIfError != 0) {
			t.Fatalf("%q: value without its Has flag: %+v", in, d)
		}
		// Round sanity: the canonical form parses back to the same directives.
		want := d
		want.BadMaxAge, want.BadSMaxAge = false, false
		if got := ParseCacheControl([]string{d.String()}); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: round trip via %q gave %+v, want %+v", in, d.String(), got, want)
		}
		// Splitting the value over two field lines at a top-level comma changes nothing.
		if i := strings.IndexByte(in, ','); i >= 0 && !strings.ContainsAny(in, `"\`) {
			if got := ParseCacheControl([]string{in[:i], in[i+1:]}); !reflect.DeepEqual(got, d) {
				t.Fatalf("%q: split lines gave %+v, want %+v", in, got, d)
			}
		}
	})
}

func BenchmarkParseCacheControl(b *testing.B) {
	values := []string{"public, max-age=31536000, s-maxage=86400, stale-while-revalidate=60, stale-if-error=600"}
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseCacheControl(values)
	}
}
