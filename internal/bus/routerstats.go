package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// RouterStatsSubject carries routers' answer counts.
const RouterStatsSubject = "pharos.router.stats"

// RouterStats is what a router says about the answers it gave: for each
// edge, how many queries it was the first answer to, by client country
// ("--" when unknown). Counts are totals since the router started, so a
// lost message loses nothing.
type RouterStats struct {
	ID      string                       `json:"id"`
	Queries map[string]map[string]uint64 `json:"queries"`
	Sent    time.Time                    `json:"sent"`
}

// PublishRouterStats sends stats() every HeartbeatInterval until ctx ends.
func (b *Bus) PublishRouterStats(ctx context.Context, stats func() RouterStats) {
	t := time.NewTicker(HeartbeatInterval)
	defer t.Stop()
	for {
		data, _ := json.Marshal(stats())
		b.nc.Publish(RouterStatsSubject, data)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// routerCounts keeps the latest totals of every router.
type routerCounts struct {
	mu   sync.Mutex
	byID map[string]routerSeen
}

type routerSeen struct {
	stats RouterStats
	last  time.Time
}

func (b *Bus) trackRouters(rc *routerCounts, now func() time.Time) error {
	_, err := b.nc.Subscribe(RouterStatsSubject, func(m *nats.Msg) {
		var st RouterStats
		if json.Unmarshal(m.Data, &st) != nil || st.ID == "" {
			return
		}
		rc.mu.Lock()
		rc.byID[st.ID] = routerSeen{stats: st, last: now()}
		rc.mu.Unlock()
	})
	if err != nil {
		return fmt.Errorf("bus: subscribe to router stats: %w", err)
	}
	return nil
}

// queries returns, for edge id, the answers every router seen in the last
// hour gave it, by client country.
func (rc *routerCounts) queries(id string, now time.Time) map[string]uint64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out map[string]uint64
	for rid, r := range rc.byID {
		if now.Sub(r.last) > time.Hour {
			delete(rc.byID, rid)
			continue
		}
		for country, n := range r.stats.Queries[id] {
			if out == nil {
				out = map[string]uint64{}
			}
			out[country] += n
		}
	}
	return out
}
