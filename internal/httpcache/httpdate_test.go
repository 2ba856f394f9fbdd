package httpcache

import (
	"testing"
	"time"
)

// RFC 9110 §5.6.7: "A recipient that parses a timestamp value in an HTTP field MUST accept all
// three HTTP-date formats."
func TestRFC9110_5_6_7_HTTPDateFormats(t *testing.T) {
	want := time.Date(1994, time.November, 6, 8, 49, 37, 0, time.UTC)
	for _, in := range []string{
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	} {
		got, ok := ParseHTTPDate(in)
		if !ok || !got.Equal(want) {
			t.Errorf("%q: got %v %v, want %v", in, got, ok, want)
		}
	}
	if got, ok := ParseHTTPDate("Wed, 31 Dec 2025 23:59:60 GMT"); !ok || !got.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("leap second: got %v %v", got, ok)
	}
}

// RFC 9110 §5.6.7: "HTTP-date is case sensitive", the zone is GMT, and the layout is fixed.
func TestRFC9110_5_6_7_HTTPDateStrict(t *testing.T) {
	for _, in := range []string{
		"THU, 18 Aug 2050 02:01:18 GMT",
		"Thu, 18 AUG 2050 02:01:18 GMT",
		"Thu, 18 Aug 2050 02:01:18 gMT",
		"Thu, 18 Aug 2050 02:01:18 UTC",
		"Thu, 18 Aug 50 02:01:18 GMT",
		"Thu 18 Aug 2050 02:01:18 GMT",
		"Thu, 18  Aug  2050 02:01:18 GMT",
		"Thu, 18-Aug-2050 02:01:18 GMT",
		"Thu, 18 Aug 2050 02.01.18 GMT",
		"Thu, 18 Aug 2050 2:01:18 GMT",
		"Thu, 31 Feb 2050 02:01:18 GMT",
		"Thu, 18 Aug 2050 24:00:00 GMT",
		"Thursday, 18-Aug-50 02:01:18 UTC",
		"Thu Aug 18 02:01:18 50",
		"0",
		"",
		"Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
	} {
		if got, ok := ParseHTTPDate(in); ok {
			t.Errorf("%q accepted as %v", in, got)
		}
	}
}

// RFC 9110 §5.6.7: a two-digit rfc850 year more than 50 years in the future is in the past.
func TestRFC9110_5_6_7_RFC850TwoDigitYear(t *testing.T) {
	now := time.Date(2026, time.March, 4, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		year int
	}{
		{"Sunday, 06-Nov-94 08:49:37 GMT", 1994},
		{"Thursday, 06-Nov-70 08:49:37 GMT", 2070},
		{"Monday, 06-Jan-76 08:49:37 GMT", 2076},
		{"Saturday, 06-Nov-76 08:49:37 GMT", 1976},
		{"Sunday, 06-Nov-77 08:49:37 GMT", 1977},
		{"Thursday, 06-Nov-25 08:49:37 GMT", 2025},
	}
	for _, tt := range tests {
		got, ok := ParseHTTPDateAt(tt.in, now)
		if !ok || got.Year() != tt.year {
			t.Errorf("%q: got %v %v, want year %d", tt.in, got, ok, tt.year)
		}
	}
}

func FuzzParseHTTPDate(f *testing.F) {
	f.Add("Sun, 06 Nov 1994 08:49:37 GMT")
	f.Add("Sunday, 06-Nov-94 08:49:37 GMT")
	f.Add("Sun Nov  6 08:49:37 1994")
	f.Fuzz(func(t *testing.T, in string) {
		got, ok := ParseHTTPDate(in)
		if !ok {
			return
		}
		// Whatever parses must format back to an IMF-fixdate that parses to the same instant.
		again, ok := ParseHTTPDate(httpDate(got))
		if got.Year() >= 0 && got.Year() <= 9999 && (!ok || !again.Equal(got)) {
			t.Fatalf("%q: %v does not survive IMF-fixdate round trip", in, got)
		}
	})
}
