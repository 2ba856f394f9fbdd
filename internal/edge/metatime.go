package edge

import (
	"math"
	"sync/atomic"
	"time"
)

// A stored response's times, kept small: every cached object has them.
// Its response time is a clockBase offset in nanoseconds (a hit measures its
// age from it); its initial age and freshness lifetime take 32 bits each,
// and the origin's response delay shares 32 with the soft-purge flag.

// clockBase anchors stored times: an offset from it turns back into a
// time.Time that keeps the monotonic reading when the original had one.
var clockBase = time.Now()

func toClock(t time.Time) int64 {
	if t.IsZero() {
		return minClock
	}
	return int64(t.Sub(clockBase))
}

func fromClock(n int64) time.Time {
	if n == minClock {
		return time.Time{}
	}
	return clockBase.Add(time.Duration(n))
}

const minClock = -1 << 63

// age32 is an age (RFC 9111 §4.2.3's corrected_initial_age) in 32 bits:
// milliseconds up to 2^31 ms (24.8 days), whole seconds above, up to the
// 2^31 seconds RFC 9111 §1.2.2 caps ages at. Both are rounded up, so that a
// stored age is never younger than the response was.
type age32 uint32

const age32Seconds = 1 << 31 // set: the rest counts seconds

func toAge32(d time.Duration) age32 {
	d = max(d, 0)
	if ms := (d + time.Millisecond - 1) / time.Millisecond; ms < age32Seconds {
		return age32(ms)
	}
	s := min((d+time.Second-1)/time.Second, age32Seconds-1)
	return age32(age32Seconds | s)
}

func (a age32) duration() time.Duration {
	if a&age32Seconds != 0 {
		return time.Duration(a&^age32Seconds) * time.Second
	}
	return time.Duration(a) * time.Millisecond
}

// ttl32 is a freshness lifetime in 32 bits, as age32 but rounded down, so
// that a stored response is never fresh for longer than it was given.
type ttl32 uint32

func toTTL32(d time.Duration) ttl32 {
	d = max(d, 0)
	if ms := d / time.Millisecond; ms < age32Seconds {
		return ttl32(ms)
	}
	return ttl32(age32Seconds | min(d/time.Second, age32Seconds-1))
}

func (t ttl32) duration() time.Duration { return age32(t).duration() }

// purgeWord is a response's soft-purge flag (bit 0, the only part that
// changes once the meta is shared, hence atomic) and, in the other 31
// bits, how long before its response its request was sent, in
// milliseconds (±12.4 days, saturated; noDelay when unknown). Only
// responses derived from this one (Vary and slice markers) and the disk
// tier's copy read the delay back.
type purgeWord struct{ v atomic.Uint32 }

const noDelay = math.MinInt32 >> 1

// Store sets or clears the soft-purge flag.
func (p *purgeWord) Store(purged bool) {
	if purged {
		p.v.Or(1)
	} else {
		p.v.And(^uint32(1))
	}
}

// Load reports the soft-purge flag.
func (p *purgeWord) Load() bool { return p.v.Load()&1 != 0 }

// setDelay records the request and response times (before m is shared).
func (p *purgeWord) setDelay(request, response time.Time) {
	ms := int32(noDelay)
	if !request.IsZero() && !response.IsZero() {
		d := response.Sub(request)
		if d > 0 {
			d += time.Millisecond - 1 // rounded up, as ages are
		}
		ms = int32(min(max(d/time.Millisecond, -(1<<30)+1), 1<<30-1))
	}
	p.v.Store(uint32(ms)<<1 | p.v.Load()&1)
}

// requestTime is when the request for a response received at responseAt
// (a clock offset) was sent.
func (p *purgeWord) requestTime(responseAt int64) time.Time {
	ms := int32(p.v.Load()) >> 1
	if ms == noDelay || responseAt == minClock {
		return time.Time{}
	}
	return fromClock(responseAt).Add(-time.Duration(ms) * time.Millisecond)
}

// copyFrom makes p equal to q.
func (p *purgeWord) copyFrom(q *purgeWord) { p.v.Store(q.v.Load()) }
