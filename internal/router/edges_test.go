package router

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
)

// edgeByID finds id in the edges' snapshot.
func edgeByID(t *testing.T, e *Edges, id string) (Edge, bool) {
	t.Helper()
	for _, ed := range e.Snapshot() {
		if ed.ID == id {
			return ed, true
		}
	}
	return Edge{}, false
}

func TestHeartbeatAddsEdge(t *testing.T) {
	e := NewEdges()
	if n := len(e.Snapshot()); n != 0 {
		t.Fatalf("a new set has %d edges", n)
	}
	e.Heartbeat(bus.Heartbeat{ID: "lon", POP: "lhr", HTTP: "127.0.0.1:8081", Lat: london[0], Lon: london[1],
		Located: true, PublicAddrs: []string{"192.0.2.1", "2001:db8::1"}, Load: 12, Capacity: 100})
	e.Heartbeat(bus.Heartbeat{ID: "fra", HTTP: "127.0.0.2:8081"})
	got := e.Snapshot()
	if ids := []string{got[0].ID, got[1].ID}; !slices.Equal(ids, []string{"fra", "lon"}) {
		t.Errorf("snapshot order = %v, want by id", ids)
	}
	lon, _ := edgeByID(t, e, "lon")
	want := Edge{ID: "lon", POP: "lhr", HTTP: "127.0.0.1:8081", Lat: london[0], Lon: london[1], Located: true,
		Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")},
		Load:  12, Capacity: 100, Healthy: true}
	if !edgesEqual(lon, want) {
		t.Errorf("edge = %+v\nwant   %+v", lon, want)
	}
	// A later heartbeat replaces what the edge said.
	e.Heartbeat(bus.Heartbeat{ID: "lon", POP: "lhr", HTTP: "127.0.0.1:8081", Load: 99})
	lon, _ = edgeByID(t, e, "lon")
	if lon.Load != 99 || lon.Located || len(lon.Addrs) != 1 || lon.Addrs[0] != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("after a second heartbeat: %+v", lon)
	}
	if n := len(e.Snapshot()); n != 2 {
		t.Errorf("%d edges after a repeated heartbeat, want 2", n)
	}
}

func edgesEqual(a, b Edge) bool {
	return a.ID == b.ID && a.POP == b.POP && a.HTTP == b.HTTP && a.Lat == b.Lat && a.Lon == b.Lon &&
		a.Located == b.Located && a.Load == b.Load && a.Capacity == b.Capacity && a.Healthy == b.Healthy &&
		slices.Equal(a.Addrs, b.Addrs)
}

func TestEdgeAddresses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		http   string
		public []string
		want   []string
	}{
		{"public addresses", "127.0.0.1:80", []string{"192.0.2.1", "2001:db8::1"}, []string{"192.0.2.1", "2001:db8::1"}},
		{"mapped IPv4 is unmapped", "", []string{"::ffff:192.0.2.9"}, []string{"192.0.2.9"}},
		{"bad ones are skipped", "127.0.0.1:80", []string{"nope", "192.0.2.1"}, []string{"192.0.2.1"}},
		{"default: the HTTP host", "127.0.0.7:8080", nil, []string{"127.0.0.7"}},
		{"default: an IPv6 HTTP host", "[::1]:8080", nil, []string{"::1"}},
		{"only bad public addresses: the HTTP host", "127.0.0.7:8080", []string{"nope"}, []string{"127.0.0.7"}},
		{"unspecified HTTP host: none", "0.0.0.0:8080", nil, nil},
		{"a host name: none", "localhost:8080", nil, nil},
		{"no HTTP address: none", "", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEdges()
			e.Heartbeat(bus.Heartbeat{ID: "x", HTTP: tc.http, PublicAddrs: tc.public})
			ed, _ := edgeByID(t, e, "x")
			var got []string
			for _, a := range ed.Addrs {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Addrs = %v, want %v", got, tc.want)
			}
		})
	}
}

// optionsServer answers `OPTIONS *` with the status it holds and counts
// the probes it saw; the general OPTIONS handler is off so the test sees
// the request itself.
func optionsServer(t *testing.T, status *atomic.Int32, probes *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodOptions || r.RequestURI != "*" {
			t.Errorf("probe was %s %s, want OPTIONS *", r.Method, r.RequestURI)
		}
		probes.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	srv.Config.DisableGeneralOptionsHandler = true
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// changes records the health changes Edges reports.
type changes struct {
	mu  sync.Mutex
	got []string
}

func (c *changes) record(id string, healthy bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := id + " down"
	if healthy {
		s = id + " up"
	}
	c.got = append(c.got, s)
}

func (c *changes) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

func TestProbes(t *testing.T) {
	var status, probes atomic.Int32
	status.Store(http.StatusOK)
	srv := optionsServer(t, &status, &probes)
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	e := NewEdges()
	var ch changes
	e.changed = ch.record
	e.Heartbeat(bus.Heartbeat{ID: "live", HTTP: srv.Listener.Addr().String()})
	e.Heartbeat(bus.Heartbeat{ID: "dead", HTTP: closed})
	e.Heartbeat(bus.Heartbeat{ID: "noaddr"})
	healthy := func(id string) bool {
		ed, ok := edgeByID(t, e, id)
		if !ok {
			t.Fatalf("edge %s is gone", id)
		}
		return ed.Healthy
	}
	for _, id := range []string{"live", "dead", "noaddr"} {
		if !healthy(id) {
			t.Errorf("%s is unhealthy before any probe; a heartbeat should count as alive", id)
		}
	}
	ctx := context.Background()
	for i := 1; i < ProbeFailures; i++ {
		e.probeAll(ctx)
		if !healthy("dead") {
			t.Fatalf("dead is out after %d failed probes, want %d", i, ProbeFailures)
		}
	}
	e.probeAll(ctx)
	if healthy("dead") || healthy("noaddr") {
		t.Errorf("after %d failed probes: dead healthy=%v, noaddr healthy=%v", ProbeFailures, healthy("dead"), healthy("noaddr"))
	}
	if !healthy("live") {
		t.Error("live is unhealthy though it answers OPTIONS *")
	}
	if n := probes.Load(); n != int32(ProbeFailures) {
		t.Errorf("live was probed %d times, want %d", n, ProbeFailures)
	}

	// An edge that answers 5xx is as good as dead; anything below 500
	// (even 404 from a server without OPTIONS) is alive.
	status.Store(http.StatusServiceUnavailable)
	for range ProbeFailures {
		e.probeAll(ctx)
	}
	if healthy("live") {
		t.Error("live is healthy though it answers 503")
	}
	status.Store(http.StatusNotFound)
	e.probeAll(ctx)
	if !healthy("live") {
		t.Error("one successful probe did not bring live back")
	}

	// The dead edge comes back at a new address: one probe is enough.
	e.Heartbeat(bus.Heartbeat{ID: "dead", HTTP: srv.Listener.Addr().String()})
	if healthy("dead") {
		t.Error("a heartbeat alone brought back an edge the probes found dead")
	}
	e.probeAll(ctx)
	if !healthy("dead") {
		t.Error("one successful probe did not bring dead back")
	}

	got := ch.list()
	slices.Sort(got[:2]) // dead and noaddr go down in the same round, in either order
	want := []string{"dead down", "noaddr down", "live down", "live up", "dead up"}
	if !slices.Equal(got, want) {
		t.Errorf("changes = %v, want %v", got, want)
	}
}

func TestProbeLoopStops(t *testing.T) {
	var status, probes atomic.Int32
	status.Store(http.StatusOK)
	srv := optionsServer(t, &status, &probes)
	e := NewEdges()
	e.Heartbeat(bus.Heartbeat{ID: "live", HTTP: srv.Listener.Addr().String()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Probe(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for probes.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if probes.Load() == 0 {
		t.Fatal("Probe did not probe at once")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Probe did not return after its context ended")
	}
}

// fakeClock is an injectable now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestEdgesForgottenAfterAMinute(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	e := NewEdges()
	e.now = clock.now
	e.Heartbeat(bus.Heartbeat{ID: "a"})
	e.Heartbeat(bus.Heartbeat{ID: "b"})
	clock.add(forgetAfter)
	e.Heartbeat(bus.Heartbeat{ID: "b"})
	if _, ok := edgeByID(t, e, "a"); !ok {
		t.Fatal("a is forgotten exactly a minute after its heartbeat; it should last the minute")
	}
	clock.add(time.Second)
	e.Heartbeat(bus.Heartbeat{ID: "b"})
	if _, ok := edgeByID(t, e, "a"); ok {
		t.Error("a is still there a minute and a second after its last heartbeat")
	}
	if _, ok := edgeByID(t, e, "b"); !ok {
		t.Error("b is gone though it just reported")
	}
	// A forgotten edge that reports again is back.
	e.Heartbeat(bus.Heartbeat{ID: "a"})
	if _, ok := edgeByID(t, e, "a"); !ok {
		t.Error("a does not come back with its heartbeat")
	}
}

// TestLoneEdgeForgotten: when no other edge reports, the probe round still
// forgets an edge that stopped heartbeating, and stops probing it.
func TestLoneEdgeForgotten(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	var status, probes atomic.Int32
	status.Store(http.StatusOK)
	srv := optionsServer(t, &status, &probes)
	e := NewEdges()
	e.now = clock.now
	e.Heartbeat(bus.Heartbeat{ID: "a", HTTP: srv.Listener.Addr().String()})
	e.probeAll(context.Background())
	clock.add(forgetAfter + time.Second)
	e.probeAll(context.Background())
	if n := len(e.Snapshot()); n != 0 {
		t.Errorf("%d edges a minute after the last heartbeat, want 0", n)
	}
	if n := probes.Load(); n != 1 {
		t.Errorf("the forgotten edge was probed %d times, want 1", n)
	}
}
