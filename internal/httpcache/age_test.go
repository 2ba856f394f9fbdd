package httpcache

import (
	"testing"
	"time"
)

// RFC 9111 §5.1: Age is a non-negative integer; "If the field value (after discarding
// additional members ...) is invalid (e.g., it contains something other than a non-negative
// integer), a cache SHOULD ignore the field."
func TestRFC9111_5_1_AgeInvalidIgnored(t *testing.T) {
	for _, in := range []string{"abc", "-7200", "7200.0", "", " ", "1e3", "+5", `"60"`} {
		if got, ok := ParseAge([]string{in}); ok {
			t.Errorf("Age %q accepted as %v", in, got)
		}
	}
	if got, ok := ParseAge([]string{"99999999999999"}); !ok || got != MaxDelta {
		t.Errorf("overflow: got %v %v, want %v", got, ok, MaxDelta)
	}
}

// RFC 9111 §5.1: "a cache encountering a message with a list-based Age field value SHOULD use
// the first member of the field value, discarding subsequent ones".
func TestRFC9111_5_1_AgeListUsesFirstMember(t *testing.T) {
	tests := []struct {
		values []string
		want   time.Duration
	}{
		{[]string{"7200,0"}, 7200 * sec},
		{[]string{"0,7200"}, 0},
		{[]string{"7200", "0"}, 7200 * sec},
		{[]string{"0", "7200"}, 0},
		{[]string{" 60 "}, 60 * sec},
		{[]string{", 30"}, 30 * sec},
	}
	for _, tt := range tests {
		got, ok := ParseAge(tt.values)
		if !ok || got != tt.want {
			t.Errorf("%q: got %v %v, want %v", tt.values, got, ok, tt.want)
		}
	}
	if _, ok := ParseAge([]string{"abc, 5"}); ok {
		t.Errorf("an invalid first member must make the field ignored")
	}
}

// RFC 9111 §4.2.3: current_age = max(apparent_age, age_value + response_delay) + resident_time.
func TestRFC9111_4_2_3_AgeCalculation(t *testing.T) {
	req := testNow
	resp := testNow.Add(2 * sec) // response_delay = 2s
	tests := []struct {
		name string
		h    []string
		now  time.Time
		want time.Duration
	}{
		{"no Age, Date = response time", []string{"Date", httpDate(resp)}, resp, 2 * sec},
		{"resident time adds", []string{"Date", httpDate(resp)}, resp.Add(10 * sec), 12 * sec},
		{"Age plus delay", []string{"Date", httpDate(resp), "Age", "100"}, resp.Add(5 * sec), 107 * sec},
		{"apparent age wins when larger", []string{"Date", httpDate(resp.Add(-60 * sec)), "Age", "10"}, resp, 60 * sec},
		{"Date in the future is not negative", []string{"Date", httpDate(resp.Add(time.Hour))}, resp, 2 * sec},
		{"missing Date", nil, resp.Add(sec), 3 * sec},
		{"invalid Date", []string{"Date", "yesterday"}, resp.Add(sec), 3 * sec},
		{"invalid Age ignored", []string{"Date", httpDate(resp), "Age", "-50"}, resp, 2 * sec},
		{"clock going backwards", []string{"Date", httpDate(resp)}, resp.Add(-time.Minute), 2 * sec},
		{"saturates", []string{"Age", "99999999999999"}, resp, MaxDelta + 2*sec},
	}
	for _, tt := range tests {
		if got := CurrentAge(hdr(tt.h...), req, resp, tt.now); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
