package edge

import (
	"testing"
	"time"
)

// TestAge32 checks the compact initial age: exact to the millisecond below
// 2^31 ms, whole seconds above, never rounded down, capped at 2^31 s.
func TestAge32(t *testing.T) {
	for _, tt := range []struct {
		in, want time.Duration
	}{
		{0, 0},
		{-time.Second, 0},
		{time.Nanosecond, time.Millisecond},
		{1500 * time.Millisecond, 1500 * time.Millisecond},
		{1500*time.Millisecond + 1, 1501 * time.Millisecond},
		{24 * time.Hour, 24 * time.Hour},
		{(1<<31 - 1) * time.Millisecond, (1<<31 - 1) * time.Millisecond},
		{(1 << 31) * time.Millisecond, 2147484 * time.Second},
		{(1<<31)*time.Millisecond + 1, ((1<<31)/1000 + 1) * time.Second},
		{400 * 24 * time.Hour, 400 * 24 * time.Hour},
		{400*24*time.Hour + time.Millisecond, 400*24*time.Hour + time.Second},
		{(1 << 33) * time.Second, (1<<31 - 1) * time.Second},
	} {
		if got := toAge32(tt.in).duration(); got != tt.want {
			t.Errorf("toAge32(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestTTL32 checks the compact freshness lifetime: rounded down, never up.
func TestTTL32(t *testing.T) {
	for _, tt := range []struct {
		in, want time.Duration
	}{
		{0, 0},
		{-time.Second, 0},
		{time.Millisecond - 1, 0},
		{1500*time.Millisecond + 999_999, 1500 * time.Millisecond},
		{365 * 24 * time.Hour, 365 * 24 * time.Hour},
		{365*24*time.Hour + 999*time.Millisecond, 365 * 24 * time.Hour},
		{(1 << 33) * time.Second, (1<<31 - 1) * time.Second},
	} {
		if got := toTTL32(tt.in).duration(); got != tt.want {
			t.Errorf("toTTL32(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestPurgeWord checks that a request time comes back to the millisecond
// (rounded towards an earlier request, so a derived age is never younger)
// whatever the soft-purge flag does, and that an unknown one stays unknown.
func TestPurgeWord(t *testing.T) {
	resp := time.Now()
	at := toClock(resp)
	for _, tt := range []struct {
		delay, want time.Duration
	}{
		{0, 0},
		{1500 * time.Millisecond, 1500 * time.Millisecond},
		{time.Microsecond, time.Millisecond},
		{-2 * time.Second, -2 * time.Second},
		{100 * 24 * time.Hour, (1<<30 - 1) * time.Millisecond},
		{-100 * 24 * time.Hour, -(1<<30 - 1) * time.Millisecond},
	} {
		for _, purged := range []bool{false, true} {
			var p purgeWord
			p.Store(purged)
			p.setDelay(resp.Add(-tt.delay), resp)
			if d := resp.Sub(p.requestTime(at)); d != tt.want || p.Load() != purged {
				t.Errorf("delay %v (purged %v) came back as %v, purged %v; want %v", tt.delay, purged, d, p.Load(), tt.want)
			}
			p.Store(!purged)
			if d := resp.Sub(p.requestTime(at)); d != tt.want || p.Load() == purged {
				t.Errorf("delay %v: flipping the flag changed it to %v, flag %v", tt.delay, d, p.Load())
			}
		}
	}
	var p purgeWord
	p.setDelay(time.Time{}, resp)
	if got := p.requestTime(at); !got.IsZero() {
		t.Errorf("unknown request time came back as %v", got)
	}
	p.setDelay(resp, resp)
	if got := p.requestTime(minClock); !got.IsZero() {
		t.Errorf("request time of an unknown response time: %v", got)
	}
}
