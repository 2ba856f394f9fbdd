package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// HeartbeatSubject carries edges' heartbeats.
const HeartbeatSubject = "pharos.edge.heartbeat"

// Heartbeat is what an edge says about itself every HeartbeatInterval.
type Heartbeat struct {
	ID       string `json:"id"`
	POP      string `json:"pop"`
	HTTP     string `json:"http,omitempty"`
	Revision uint64 `json:"revision"` // configuration revision applied
	// Invalidation is the sequence of the last invalidation applied.
	Invalidation uint64 `json:"invalidation"`
	// Where the edge is and what the router hands out for it.
	Lat         float64  `json:"lat,omitempty"`
	Lon         float64  `json:"lon,omitempty"`
	Located     bool     `json:"located,omitempty"`
	PublicAddrs []string `json:"publicAddrs,omitempty"`
	// Load is the edge's request rate (per second) over the last interval;
	// Capacity the most it should take (0: no limit).
	Load     float64   `json:"load"`
	Capacity float64   `json:"capacity,omitempty"`
	Sent     time.Time `json:"sent"`
}

// HeartbeatInterval is how often edges report; an edge silent for
// EdgeTimeout is taken as gone.
const (
	HeartbeatInterval = time.Second
	EdgeTimeout       = 5 * time.Second
)

// PublishHeartbeat sends one heartbeat now: an edge does so as soon as it
// has applied a change, so that status and measurements need not wait for
// the next tick. A failed publish (engine away) is dropped.
func (b *Bus) PublishHeartbeat(hb Heartbeat) {
	data, _ := json.Marshal(hb)
	b.nc.Publish(HeartbeatSubject, data)
}

// PublishHeartbeats sends hb() every HeartbeatInterval until ctx ends.
func (b *Bus) PublishHeartbeats(ctx context.Context, hb func() Heartbeat) {
	t := time.NewTicker(HeartbeatInterval)
	defer t.Stop()
	for {
		b.PublishHeartbeat(hb())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Edges tracks the edges that heartbeat, for status and `pharos edges`.
type Edges struct {
	mu   sync.Mutex
	seen map[string]edgeSeen
	now  func() time.Time
	sub  *nats.Subscription
	// routed counts routers' answers per edge.
	routed *routerCounts
}

type edgeSeen struct {
	hb   Heartbeat
	last time.Time
}

// EdgeStatus is an edge as the control plane sees it.
type EdgeStatus struct {
	Heartbeat
	Healthy  bool      `json:"healthy"`
	LastSeen time.Time `json:"lastSeen"`
	// Queries counts the DNS and redirect answers routers gave this edge
	// first, by client country.
	Queries map[string]uint64 `json:"queries,omitempty"`
}

// TrackEdges subscribes to heartbeats.
func (b *Bus) TrackEdges() (*Edges, error) {
	e := &Edges{seen: map[string]edgeSeen{}, now: time.Now, routed: &routerCounts{byID: map[string]routerSeen{}}}
	if err := b.trackRouters(e.routed, time.Now); err != nil {
		return nil, err
	}
	sub, err := b.nc.Subscribe(HeartbeatSubject, func(m *nats.Msg) {
		var hb Heartbeat
		if json.Unmarshal(m.Data, &hb) != nil || hb.ID == "" {
			return
		}
		e.mu.Lock()
		e.seen[hb.ID] = edgeSeen{hb: hb, last: e.now()}
		e.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe to heartbeats: %w", err)
	}
	e.sub = sub
	return e, nil
}

// List returns every edge seen, healthy or not, ordered by id. Edges gone
// for more than a minute are forgotten.
func (e *Edges) List() []EdgeStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	out := make([]EdgeStatus, 0, len(e.seen))
	for id, s := range e.seen {
		if now.Sub(s.last) > time.Minute {
			delete(e.seen, id)
			continue
		}
		out = append(out, EdgeStatus{Heartbeat: s.hb, Healthy: now.Sub(s.last) <= EdgeTimeout, LastSeen: s.last,
			Queries: e.routed.queries(id, now)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// MinInvalidation is the lowest invalidation sequence applied by a healthy
// edge, and false when no edge is healthy.
func (e *Edges) MinInvalidation() (uint64, bool) {
	var seq uint64
	found := false
	for _, s := range e.List() {
		if s.Healthy && (!found || s.Invalidation < seq) {
			seq, found = s.Invalidation, true
		}
	}
	return seq, found
}

// MinApplied is the lowest configuration revision applied by a healthy
// edge, and false when no edge is healthy (nothing holds a change back).
func (e *Edges) MinApplied() (uint64, bool) {
	var rev uint64
	found := false
	for _, s := range e.List() {
		if s.Healthy && (!found || s.Revision < rev) {
			rev, found = s.Revision, true
		}
	}
	return rev, found
}

// SubscribeHeartbeats calls fn with every edge heartbeat (from NATS's
// delivery goroutine, one at a time) until the bus closes.
func (b *Bus) SubscribeHeartbeats(fn func(Heartbeat)) error {
	_, err := b.nc.Subscribe(HeartbeatSubject, func(m *nats.Msg) {
		var hb Heartbeat
		if json.Unmarshal(m.Data, &hb) != nil || hb.ID == "" {
			return
		}
		fn(hb)
	})
	if err != nil {
		return fmt.Errorf("bus: subscribe to heartbeats: %w", err)
	}
	return nil
}
