package httpcache

import (
	"math"
	"net/http"
	"testing"
	"time"
)

// RFC 9110 §14.1.2: the examples for a representation of length 10000, and the rules that End
// is clamped to the last byte and a suffix longer than the representation means all of it.
func TestRFC9110_14_1_2_ByteRanges(t *testing.T) {
	const size = 10000
	tests := []struct {
		in         string
		want       RangeResult
		start, end int64
	}{
		// The first 500 bytes, the second 500, the final 500 (two ways).
		{"bytes=0-499", RangeOK, 0, 499},
		{"bytes=500-999", RangeOK, 500, 999},
		{"bytes=-500", RangeOK, 9500, 9999},
		{"bytes=9500-", RangeOK, 9500, 9999},
		// First and last bytes only, and non-canonical specifications of the second 500 bytes:
		// several ranges, which Pharos answers in full.
		{"bytes=0-0,-1", RangeNone, 0, 0},
		{"bytes= 0-0, -1", RangeNone, 0, 0},
		{"bytes=500-600,601-999", RangeNone, 0, 0},
		{"bytes=500-700,601-999", RangeNone, 0, 0},
		{"bytes=0-999, 4500-5499, -1000", RangeNone, 0, 0},
		// Clamping and the whole representation.
		{"bytes=0-", RangeOK, 0, 9999},
		{"bytes=0-9999", RangeOK, 0, 9999},
		{"bytes=0-10000", RangeOK, 0, 9999},
		{"bytes=9000-20000", RangeOK, 9000, 9999},
		{"bytes=9999-9999", RangeOK, 9999, 9999},
		{"bytes=9999-", RangeOK, 9999, 9999},
		{"bytes=0-0", RangeOK, 0, 0},
		{"bytes=-1", RangeOK, 9999, 9999},
		{"bytes=-10000", RangeOK, 0, 9999},
		{"bytes=-10001", RangeOK, 0, 9999},
		{"bytes=0-99999999999999999999999", RangeOK, 0, 9999},
		{"bytes=-99999999999999999999999", RangeOK, 0, 9999},
		{"bytes=00010-0020", RangeOK, 10, 20},
		// Unit names are case-insensitive (§14.1); OWS around the value and list members, and
		// empty list members (§5.6.1.2), are accepted.
		{"BYTES=0-1", RangeOK, 0, 1},
		{"Bytes=0-1", RangeOK, 0, 1},
		{" bytes=0-1\t", RangeOK, 0, 1},
		{"bytes= 0-1 ", RangeOK, 0, 1},
		{"bytes=0-1,", RangeOK, 0, 1},
		{"bytes=, ,0-1", RangeOK, 0, 1},
		// Invalid (§14.1.1): ignored, so the whole representation is sent.
		{"bytes=500-499", RangeNone, 0, 0},
		{"bytes=", RangeNone, 0, 0},
		{"bytes=,", RangeNone, 0, 0},
		{"bytes=-", RangeNone, 0, 0},
		{"bytes=--5", RangeNone, 0, 0},
		{"bytes=0-1-2", RangeNone, 0, 0},
		{"bytes=1", RangeNone, 0, 0},
		{"bytes=a-b", RangeNone, 0, 0},
		{"bytes=0x10-", RangeNone, 0, 0},
		{"bytes=+1-2", RangeNone, 0, 0},
		{"bytes=-+5", RangeNone, 0, 0},
		{"bytes=0 - 1", RangeNone, 0, 0},
		{"bytes =0-1", RangeNone, 0, 0},
		{"bytes 0-1", RangeNone, 0, 0},
		{"bytes:0-1", RangeNone, 0, 0},
		{"0-1", RangeNone, 0, 0},
		{"", RangeNone, 0, 0},
		// A unit other than bytes is ignored (§14.2).
		{"items=0-1", RangeNone, 0, 0},
		{"none=0-1", RangeNone, 0, 0},
		{"bytesx=0-1", RangeNone, 0, 0},
		// Several ranges are ignored even when none is satisfiable.
		{"bytes=20000-, 30000-", RangeNone, 0, 0},
		{"bytes=0-1,garbage", RangeNone, 0, 0},
	}
	for _, tt := range tests {
		got, r := EvaluateRange("GET", hdr("Range", tt.in), size)
		want := ByteRange{tt.start, tt.end}
		if got != tt.want || r != want {
			t.Errorf("%q: got %d %+v, want %d %+v", tt.in, got, r, tt.want, want)
		}
	}
}

// RFC 9110 §14.1.1, §15.5.17: a valid range-spec that does not overlap the representation
// (first-pos at or past its length, or a zero suffix-length) gets 416 with "bytes */size".
func TestRFC9110_15_5_17_RangeNotSatisfiable(t *testing.T) {
	tests := []struct {
		in   string
		size int64
		want RangeResult
	}{
		{"bytes=10000-", 10000, RangeUnsatisfiable},
		{"bytes=10000-10001", 10000, RangeUnsatisfiable},
		{"bytes=20000-30000", 10000, RangeUnsatisfiable},
		{"bytes=99999999999999999999-", 10000, RangeUnsatisfiable},
		{"bytes=-0", 10000, RangeUnsatisfiable},
		{"bytes=-000", 10000, RangeUnsatisfiable},
		{"bytes=9999-", 10000, RangeOK},
		// An empty representation: every int-range misses it; a non-zero suffix is satisfiable
		// (§14.1.2) but no 206 can carry zero bytes, so it is answered in full.
		{"bytes=0-", 0, RangeUnsatisfiable},
		{"bytes=0-0", 0, RangeUnsatisfiable},
		{"bytes=-0", 0, RangeUnsatisfiable},
		{"bytes=-1", 0, RangeNone},
		// A syntax error is not a 416.
		{"bytes=10001-10000", 10000, RangeNone},
	}
	for _, tt := range tests {
		got, r := EvaluateRange("GET", hdr("Range", tt.in), tt.size)
		if got != tt.want {
			t.Errorf("%q of %d: got %d %+v, want %d", tt.in, tt.size, got, r, tt.want)
		}
	}
	if got := UnsatisfiedContentRange(10000); got != "bytes */10000" {
		t.Errorf("UnsatisfiedContentRange = %q", got)
	}
	if got := UnsatisfiedContentRange(0); got != "bytes */0" {
		t.Errorf("UnsatisfiedContentRange = %q", got)
	}
}

// RFC 9110 §14.2: range handling is defined for GET only; a server MUST ignore Range with other
// methods (HEAD included). A missing Range, several Range field lines and an unknown size are
// answered in full too.
func TestRFC9110_14_2_RangeOnlyForGET(t *testing.T) {
	for _, m := range []string{"HEAD", "POST", "PUT", "OPTIONS", "get", ""} {
		if got, _ := EvaluateRange(m, hdr("Range", "bytes=0-1"), 100); got != RangeNone {
			t.Errorf("%q: got %d, want RangeNone", m, got)
		}
		if got, _ := EvaluateRange(m, hdr("Range", "bytes=200-"), 100); got != RangeNone {
			t.Errorf("%q unsatisfiable: got %d, want RangeNone", m, got)
		}
	}
	tests := []struct {
		name string
		req  []string
		size int64
	}{
		{"no Range", nil, 100},
		{"other field", []string{"Content-Range", "bytes 0-1/100"}, 100},
		{"two Range lines", []string{"Range", "bytes=0-1", "Range", "bytes=2-3"}, 100},
		{"unknown size", []string{"Range", "bytes=0-1"}, -1},
	}
	for _, tt := range tests {
		if got, r := EvaluateRange("GET", hdr(tt.req...), tt.size); got != RangeNone || r != (ByteRange{}) {
			t.Errorf("%s: got %d %+v, want RangeNone", tt.name, got, r)
		}
	}
	if got, _ := EvaluateRange("GET", nil, 100); got != RangeNone {
		t.Errorf("nil header: got %d", got)
	}
}

// RFC 9110 §14.4: Content-Range of a 206 is "bytes first-last/complete-length"; the examples
// are "bytes 42-1233/1234" and "bytes 42-1233/*" (§14.4), "bytes 21010-47021/47022" (§15.3.7.1).
func TestRFC9110_14_4_ContentRange(t *testing.T) {
	for _, tt := range []struct {
		r    ByteRange
		size int64
		want string
	}{
		{ByteRange{42, 1233}, 1234, "bytes 42-1233/1234"},
		{ByteRange{21010, 47021}, 47022, "bytes 21010-47021/47022"},
		{ByteRange{0, 0}, 1, "bytes 0-0/1"},
		{ByteRange{0, math.MaxInt64 - 1}, math.MaxInt64, "bytes 0-9223372036854775806/9223372036854775807"},
	} {
		if got := tt.r.ContentRange(tt.size); got != tt.want {
			t.Errorf("%+v/%d: got %q, want %q", tt.r, tt.size, got, tt.want)
		}
		if r, size, ok := ParseContentRange(tt.want); !ok || r != tt.r || size != tt.size {
			t.Errorf("%q parses to %+v %d %v", tt.want, r, size, ok)
		}
	}
	for _, tt := range []struct {
		r    ByteRange
		want int64
	}{{ByteRange{0, 0}, 1}, {ByteRange{0, 499}, 500}, {ByteRange{9500, 9999}, 500}} {
		if got := tt.r.Length(); got != tt.want {
			t.Errorf("%+v.Length() = %d, want %d", tt.r, got, tt.want)
		}
	}
}

func TestRFC9110_14_4_ParseContentRange(t *testing.T) {
	tests := []struct {
		in         string
		ok         bool
		start, end int64
		size       int64
	}{
		{"bytes 42-1233/1234", true, 42, 1233, 1234},
		{"bytes 42-1233/*", true, 42, 1233, -1},
		{"bytes 0-0/1", true, 0, 0, 1},
		{"bytes 500-999/8000", true, 500, 999, 8000},
		{"bytes 7000-7999/8000", true, 7000, 7999, 8000},
		{"BYTES 0-1/2", true, 0, 1, 2},
		{" bytes  0-1/2 ", true, 0, 1, 2},
		{"bytes\t0-1/2", true, 0, 1, 2},
		{"bytes 0-9223372036854775806/9223372036854775807", true, 0, math.MaxInt64 - 1, math.MaxInt64},
		{"bytes 0-9223372036854775807/*", true, 0, math.MaxInt64, -1},
		{"bytes 0-9223372036854775808/*", false, 0, 0, 0},
		{"bytes 0-1/9223372036854775808", false, 0, 0, 0},
		// An unsatisfied-range is not a range.
		{"bytes */1234", false, 0, 0, 0},
		// Invalid (§14.4): last-pos < first-pos, or complete-length <= last-pos.
		{"bytes 1233-42/1234", false, 0, 0, 0},
		{"bytes 0-1234/1234", false, 0, 0, 0},
		{"bytes 0-2000/1234", false, 0, 0, 0},
		{"bytes 0-0/0", false, 0, 0, 0},
		// Malformed.
		{"", false, 0, 0, 0},
		{"bytes", false, 0, 0, 0},
		{"bytes ", false, 0, 0, 0},
		{"bytes0-1/2", false, 0, 0, 0},
		{"bytes=0-1/2", false, 0, 0, 0},
		{"items 0-1/2", false, 0, 0, 0},
		{"bytes 0-1", false, 0, 0, 0},
		{"bytes 0-/2", false, 0, 0, 0},
		{"bytes -1/2", false, 0, 0, 0},
		{"bytes 0-1/", false, 0, 0, 0},
		{"bytes 0-1/**", false, 0, 0, 0},
		{"bytes 0 - 1/2", false, 0, 0, 0},
		{"bytes 0-1 /2", false, 0, 0, 0},
		{"bytes 0-1/2/3", false, 0, 0, 0},
		{"bytes 0-1/-2", false, 0, 0, 0},
		{"bytes -1-1/2", false, 0, 0, 0},
		{"bytes 0-1/2, bytes 3-4/5", false, 0, 0, 0},
		{"bytes 0-99999999999999999999/*", false, 0, 0, 0},
		{"bytes 0-1/99999999999999999999", false, 0, 0, 0},
	}
	for _, tt := range tests {
		r, size, ok := ParseContentRange(tt.in)
		if ok != tt.ok || r != (ByteRange{tt.start, tt.end}) || size != tt.size {
			t.Errorf("%q: got %+v %d %v, want {%d %d} %d %v", tt.in, r, size, ok, tt.start, tt.end, tt.size, tt.ok)
		}
	}
}

// RFC 9110 §13.1.5: If-Range lets the range through only when its validator matches the
// selected representation: an entity-tag under strong comparison, or an HTTP-date equal to
// Last-Modified. Otherwise the whole representation is sent.
func TestRFC9110_13_1_5_IfRange(t *testing.T) {
	lm := testNow.Add(-time.Hour)
	stored := hdr("ETag", `"v1"`, "Last-Modified", httpDate(lm), "Date", httpDate(testNow))
	weak := hdr("ETag", `W/"v1"`, "Last-Modified", httpDate(lm))
	tests := []struct {
		name   string
		req    []string
		stored http.Header
		want   bool
	}{
		{"no If-Range", nil, stored, true},
		{"no If-Range, nothing stored", nil, nil, true},
		{"strong match", []string{"If-Range", `"v1"`}, stored, true},
		{"strong match with OWS", []string{"If-Range", ` "v1" `}, stored, true},
		{"strong mismatch", []string{"If-Range", `"v2"`}, stored, false},
		{"weak If-Range never matches", []string{"If-Range", `W/"v1"`}, stored, false},
		{"weak stored never matches", []string{"If-Range", `"v1"`}, weak, false},
		{"weak both never match", []string{"If-Range", `W/"v1"`}, weak, false},
		{"no stored ETag", []string{"If-Range", `"v1"`}, hdr("Last-Modified", httpDate(lm)), false},
		{"invalid stored ETag", []string{"If-Range", `"v1"`}, hdr("ETag", `v1`), false},
		{"list is not an entity-tag", []string{"If-Range", `"v1", "v2"`}, stored, false},
		{"unquoted", []string{"If-Range", `v1`}, stored, false},
		{"unterminated", []string{"If-Range", `"v1`}, stored, false},
		{"star", []string{"If-Range", `*`}, stored, false},
		{"date equal", []string{"If-Range", httpDate(lm)}, stored, true},
		{"date equal, rfc850", []string{"If-Range", lm.Format("Monday, 02-Jan-06 15:04:05 GMT")}, stored, true},
		{"date equal, asctime", []string{"If-Range", lm.Format("Mon Jan _2 15:04:05 2006")}, stored, true},
		{"date earlier", []string{"If-Range", httpDate(lm.Add(-sec))}, stored, false},
		{"date later", []string{"If-Range", httpDate(lm.Add(sec))}, stored, false},
		{"date, no Last-Modified", []string{"If-Range", httpDate(lm)}, hdr("ETag", `"v1"`, "Date", httpDate(lm)), false},
		{"date, invalid Last-Modified", []string{"If-Range", httpDate(lm)}, hdr("Last-Modified", "yesterday"), false},
		{"date vs ETag only", []string{"If-Range", httpDate(lm)}, hdr("ETag", `"v1"`), false},
		{"invalid date", []string{"If-Range", "Thu, 01 Jan 2099 00:00:00 UTC"}, stored, false},
		{"empty", []string{"If-Range", ""}, stored, false},
		{"two lines", []string{"If-Range", `"v1"`, "If-Range", `"v1"`}, stored, false},
	}
	for _, tt := range tests {
		if got := IfRangeMatches(hdr(tt.req...), tt.stored); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Slices: a representation is fetched and stored in fixed-size slices; slice i covers
// [i*s, (i+1)*s-1], the last one ending at the last byte.
func TestSliceRange(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		i, s, size int64
		want       ByteRange
	}{
		{0, mib, 10 * mib, ByteRange{0, mib - 1}},
		{1, mib, 10 * mib, ByteRange{mib, 2*mib - 1}},
		{9, mib, 10 * mib, ByteRange{9 * mib, 10*mib - 1}},
		{9, mib, 10*mib - 1, ByteRange{9 * mib, 10*mib - 2}},
		{10, mib, 10*mib + 1, ByteRange{10 * mib, 10 * mib}},
		{0, mib, 1, ByteRange{0, 0}},
		{0, 1, 3, ByteRange{0, 0}},
		{2, 1, 3, ByteRange{2, 2}},
		{0, 10, 10, ByteRange{0, 9}},
		{1, 10, 10, ByteRange{10, 9}}, // past the last slice: empty
	}
	for _, tt := range tests {
		if got := SliceRange(tt.i, tt.s, tt.size); got != tt.want {
			t.Errorf("SliceRange(%d, %d, %d) = %+v, want %+v", tt.i, tt.s, tt.size, got, tt.want)
		}
	}
}

func TestSlicesFor(t *testing.T) {
	const s = 100
	tests := []struct {
		r           ByteRange
		first, last int64
	}{
		{ByteRange{0, 0}, 0, 0},
		{ByteRange{0, 99}, 0, 0},
		{ByteRange{0, 100}, 0, 1},
		{ByteRange{99, 100}, 0, 1},
		{ByteRange{100, 199}, 1, 1},
		{ByteRange{100, 200}, 1, 2},
		{ByteRange{150, 949}, 1, 9},
		{ByteRange{999, 999}, 9, 9},
	}
	for _, tt := range tests {
		first, last := SlicesFor(tt.r, s)
		if first != tt.first || last != tt.last {
			t.Errorf("SlicesFor(%+v, %d) = %d, %d, want %d, %d", tt.r, s, first, last, tt.first, tt.last)
		}
		// The slices cover r exactly: r starts in the first and ends in the last.
		const size = 1000
		a, b := SliceRange(first, s, size), SliceRange(last, s, size)
		if a.Start > tt.r.Start || a.End < tt.r.Start || b.Start > tt.r.End || b.End < tt.r.End {
			t.Errorf("%+v: slices %+v..%+v do not cover it", tt.r, a, b)
		}
	}
}

func TestSliceSizeMustBePositive(t *testing.T) {
	for _, f := range []func(){
		func() { SliceRange(0, 0, 10) },
		func() { SliceRange(0, -1, 10) },
		func() { SlicesFor(ByteRange{0, 1}, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic for a non-positive slice size")
				}
			}()
			f()
		}()
	}
}

func FuzzEvaluateRange(f *testing.F) {
	for _, seed := range []string{
		"bytes=0-499", "bytes=500-999", "bytes=-500", "bytes=9500-", "bytes=0-0,-1", "bytes=-0",
		"bytes=10000-", "bytes=0-99999999999999999999", "BYTES= 1-2 ,", "bytes=5-4", "items=0-1", "",
	} {
		f.Add(seed, int64(10000))
		f.Add(seed, int64(0))
	}
	f.Fuzz(func(t *testing.T, in string, size int64) {
		got, r := EvaluateRange("GET", hdr("Range", in), size)
		switch got {
		case RangeOK:
			if r.Start < 0 || r.Start > r.End || r.End >= size || r.Length() <= 0 {
				t.Fatalf("%q of %d: bad range %+v", in, size, r)
			}
			// What is served round-trips through an origin-side parse.
			if back, n, ok := ParseContentRange(r.ContentRange(size)); !ok || back != r || n != size {
				t.Fatalf("%q of %d: %q parses back to %+v %d %v", in, size, r.ContentRange(size), back, n, ok)
			}
		case RangeNone, RangeUnsatisfiable:
			if r != (ByteRange{}) {
				t.Fatalf("%q of %d: result %d with range %+v", in, size, got, r)
			}
		default:
			t.Fatalf("%q of %d: result %d", in, size, got)
		}
		if head, _ := EvaluateRange("HEAD", hdr("Range", in), size); head != RangeNone {
			t.Fatalf("%q of %d: HEAD got %d", in, size, head)
		}
		ParseContentRange(in) // must not panic
	})
}
