package node

import (
	"sync"
	"time"

	"github.com/pharos-cdn/pharos/internal/edge"
)

// loadMeter turns the edge's request counters into a rate for heartbeats:
// requests per second since the previous reading (at least a second
// apart, so the immediate heartbeats after a change do not read a rate
// over a few milliseconds).
type loadMeter struct {
	mu    sync.Mutex
	e     *edge.Server
	at    time.Time
	count int64
	rate  float64
}

func newLoadMeter(e *edge.Server) *loadMeter {
	return &loadMeter{e: e, at: time.Now(), count: requests(e.Stats())}
}

func requests(s edge.Stats) int64 {
	return s.Hits + s.RefreshHits + s.Misses + s.StaleHits + s.Errors
}

// Rate returns the current request rate.
func (m *loadMeter) Rate() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if el := now.Sub(m.at); el >= 900*time.Millisecond {
		n := requests(m.e.Stats())
		m.rate = float64(n-m.count) / el.Seconds()
		m.at, m.count = now, n
	}
	return m.rate
}
