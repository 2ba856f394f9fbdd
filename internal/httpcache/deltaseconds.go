package httpcache

import (
	"math"
	"time"
)

// MaxDelta is the value a cache uses for a delta-seconds that overflows (RFC 9111 §1.2.2:
// "2147483648 (2^31) or the greatest positive integer it can conveniently represent").
const MaxDelta = (1 << 31) * time.Second

// parseDeltaSeconds parses delta-seconds = 1*DIGIT (RFC 9111 §1.2.2). Anything else (a sign,
// a decimal point, a space, an empty string) is invalid. Values past 2^31 saturate at MaxDelta.
func parseDeltaSeconds(s string) (time.Duration, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n <= 1<<31 {
			n = n*10 + int64(c-'0')
		}
	}
	return secondsDuration(n), true
}

// secondsDuration converts n seconds to a Duration, saturating at MaxDelta (RFC 9111 §1.2.2).
func secondsDuration(n int64) time.Duration {
	if n > 1<<31 {
		n = 1 << 31
	}
	return time.Duration(n) * time.Second
}

// satAdd adds two non-negative durations, saturating instead of wrapping (RFC 9111 §1.2.2 asks
// a cache to saturate "if any of its subsequent calculations overflows").
func satAdd(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
