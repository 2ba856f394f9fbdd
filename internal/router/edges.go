package router

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
)

// Health checking: every ProbeInterval the router asks each edge
// `OPTIONS * HTTP/1.1` (a request about the server itself, so no site's
// path is reserved). ProbeFailures misses in a row take the edge out of
// answers — within about 2 s of it dying — and one success brings it back.
const (
	ProbeInterval = time.Second
	ProbeTimeout  = 800 * time.Millisecond
	ProbeFailures = 2
	// forgetAfter is how long an edge that stopped heartbeating is kept.
	forgetAfter = time.Minute
)

// Edges is the router's view of the edges: what their heartbeats say, and
// whether the router's own probes reach them. Readers get an immutable
// snapshot without locking.
type Edges struct {
	mu     sync.Mutex
	byID   map[string]*edgeState
	snap   atomic.Pointer[[]Edge]
	client *http.Client
	now    func() time.Time
	// changed is called after the snapshot changes (for logs and tests).
	changed func(id string, healthy bool)
}

type edgeState struct {
	hb       bus.Heartbeat
	lastSeen time.Time
	fails    int
	probed   bool // at least one probe has finished
	healthy  bool
}

// NewEdges returns an empty edge set.
func NewEdges() *Edges {
	e := &Edges{byID: map[string]*edgeState{}, now: time.Now,
		client: &http.Client{
			Timeout: ProbeTimeout,
			Transport: &http.Transport{
				DialContext:         (&net.Dialer{Timeout: ProbeTimeout}).DialContext,
				MaxIdleConnsPerHost: 1,
				IdleConnTimeout:     10 * time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
	e.snap.Store(&[]Edge{})
	return e
}

// Snapshot returns the current edges; callers must not modify it.
func (e *Edges) Snapshot() []Edge { return *e.snap.Load() }

// Heartbeat records what an edge said about itself. A new edge counts as
// healthy until a probe says otherwise: it has just proved it is alive.
func (e *Edges) Heartbeat(hb bus.Heartbeat) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.byID[hb.ID]
	if s == nil {
		s = &edgeState{healthy: true}
		e.byID[hb.ID] = s
	}
	s.hb, s.lastSeen = hb, e.now()
	e.publish()
}

// publish rebuilds the snapshot; e.mu is held.
func (e *Edges) publish() {
	now := e.now()
	out := make([]Edge, 0, len(e.byID))
	for id, s := range e.byID {
		if now.Sub(s.lastSeen) > forgetAfter {
			delete(e.byID, id)
			continue
		}
		out = append(out, toEdge(s))
	}
	slices.SortFunc(out, func(a, b Edge) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	e.snap.Store(&out)
}

func toEdge(s *edgeState) Edge {
	hb := s.hb
	ed := Edge{ID: hb.ID, POP: hb.POP, HTTP: hb.HTTP, Lat: hb.Lat, Lon: hb.Lon, Located: hb.Located,
		Load: hb.Load, Capacity: hb.Capacity, Healthy: s.healthy}
	for _, a := range hb.PublicAddrs {
		if ip, err := netip.ParseAddr(a); err == nil {
			ed.Addrs = append(ed.Addrs, ip.Unmap())
		}
	}
	if len(ed.Addrs) == 0 { // default: the host the edge serves HTTP on
		if host, _, err := net.SplitHostPort(hb.HTTP); err == nil {
			if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
				ed.Addrs = append(ed.Addrs, ip.Unmap())
			}
		}
	}
	return ed
}

// Probe checks every edge every ProbeInterval until ctx ends.
func (e *Edges) Probe(ctx context.Context) {
	t := time.NewTicker(ProbeInterval)
	defer t.Stop()
	for {
		e.probeAll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Edges) probeAll(ctx context.Context) {
	e.mu.Lock()
	// Forget silent edges here too: heartbeats, which otherwise do it,
	// may have stopped altogether (a lone edge that died).
	e.publish()
	targets := make(map[string]string, len(e.byID))
	for id, s := range e.byID {
		targets[id] = s.hb.HTTP
	}
	e.mu.Unlock()
	var wg sync.WaitGroup
	for id, addr := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.record(id, e.probe(ctx, addr))
		}()
	}
	wg.Wait()
}

// probe asks the edge at addr `OPTIONS *`; any answer below 500 is alive.
func (e *Edges) probe(ctx context.Context, addr string) bool {
	if addr == "" {
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodOptions, "http://"+addr, nil)
	if err != nil {
		return false
	}
	req.URL = &url.URL{Scheme: "http", Host: addr, Opaque: "*"}
	resp, err := e.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 500
}

func (e *Edges) record(id string, ok bool) {
	e.mu.Lock()
	s := e.byID[id]
	if s == nil {
		e.mu.Unlock()
		return
	}
	was := s.healthy
	s.probed = true
	if ok {
		s.fails, s.healthy = 0, true
	} else if s.fails++; s.fails >= ProbeFailures {
		s.healthy = false
	}
	now := s.healthy
	if was != now {
		e.publish()
	}
	changed := e.changed
	e.mu.Unlock()
	if was != now && changed != nil {
		changed(id, now)
	}
}
