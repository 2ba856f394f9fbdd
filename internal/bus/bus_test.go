package bus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitLimit bounds every wait in these tests; the engine is in-process, so anything slower is a bug.
const waitLimit = 10 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startBus(t *testing.T, o Options) *Bus {
	t.Helper()
	b, err := Start(testContext(t), o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func mustPut(t *testing.T, c *ConfigStore, key, value string) uint64 {
	t.Helper()
	rev, err := c.Put(testContext(t), key, []byte(value))
	if err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
	return rev
}

// watchInto runs Watch in the background and sends every snapshot to the returned channel;
// the watch stops, and is checked to have returned, when the test ends.
func watchInto(t *testing.T, c *ConfigStore) <-chan Snapshot {
	t.Helper()
	ch := make(chan Snapshot, 1000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Watch(ctx, func(s Snapshot) { ch <- s }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Watch returned %v, want context.Canceled", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("Watch did not return after its context ended")
		}
	})
	return ch
}

// waitSnapshot returns the first snapshot from ch that satisfies ok.
func waitSnapshot(t *testing.T, ch <-chan Snapshot, what string, ok func(Snapshot) bool) Snapshot {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case s := <-ch:
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("no snapshot with %s after %s", what, waitLimit)
		}
	}
}

func hasValue(key, value string) func(Snapshot) bool {
	return func(s Snapshot) bool {
		e, ok := s.Entries[key]
		return ok && string(e.Value) == value
	}
}

func TestPutGetListDelete(t *testing.T) {
	ctx := testContext(t)
	c := startBus(t, Options{DataDir: t.TempDir()}).Config()

	r1 := mustPut(t, c, "dist.E1", `{"id":"E1"}`)
	r2 := mustPut(t, c, "dist.E2", `{"id":"E2"}`)
	r3 := mustPut(t, c, "policy.cache.P1", `{"id":"P1"}`)
	if !(r1 < r2 && r2 < r3) {
		t.Fatalf("revisions %d, %d, %d do not grow", r1, r2, r3)
	}

	v, rev, err := c.Get(ctx, "dist.E1")
	if err != nil || string(v) != `{"id":"E1"}` || rev != r1 {
		t.Fatalf("Get dist.E1 = %q, %d, %v; want the put value at revision %d", v, rev, err, r1)
	}
	if _, _, err := c.Get(ctx, "dist.nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: err = %v, want ErrNotFound", err)
	}

	r4 := mustPut(t, c, "dist.E1", `{"id":"E1","v":2}`)
	for _, tc := range []struct {
		prefix string
		want   map[string]uint64
	}{
		{"dist.", map[string]uint64{"dist.E1": r4, "dist.E2": r2}},
		{"dist.E", map[string]uint64{"dist.E1": r4, "dist.E2": r2}},
		{"", map[string]uint64{"dist.E1": r4, "dist.E2": r2, "policy.cache.P1": r3}},
		{"policy.", map[string]uint64{"policy.cache.P1": r3}},
		{"nothing.", map[string]uint64{}},
	} {
		got, err := c.List(ctx, tc.prefix)
		if err != nil {
			t.Fatalf("List %q: %v", tc.prefix, err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("List %q = %v, want keys %v", tc.prefix, got, tc.want)
		}
		for k, rev := range tc.want {
			if got[k].Revision != rev {
				t.Errorf("List %q: %s at revision %d, want %d", tc.prefix, k, got[k].Revision, rev)
			}
		}
	}
	if got, _ := c.List(ctx, "dist."); string(got["dist.E1"].Value) != `{"id":"E1","v":2}` {
		t.Errorf("List returned an old value for dist.E1: %q", got["dist.E1"].Value)
	}

	if err := c.Delete(ctx, "dist.E1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, _, err := c.Get(ctx, "dist.E1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	got, err := c.List(ctx, "dist.")
	if err != nil {
		t.Fatalf("List after Delete: %v", err)
	}
	if _, ok := got["dist.E1"]; ok || len(got) != 1 {
		t.Fatalf("List after Delete = %v, want only dist.E2", got)
	}
	if err := c.Delete(ctx, "dist.never"); err != nil {
		t.Fatalf("Delete of a key that never existed: %v", err)
	}
	if _, err := c.Put(ctx, "bad key", nil); err == nil {
		t.Fatalf("Put with a space in the key succeeded")
	}
}

func TestUpdateConflict(t *testing.T) {
	ctx := testContext(t)
	c := startBus(t, Options{DataDir: t.TempDir()}).Config()

	r1, err := c.Update(ctx, "dist.E1", []byte("v1"), 0)
	if err != nil {
		t.Fatalf("Update at 0 of a new key: %v", err)
	}
	if _, err := c.Update(ctx, "dist.E1", []byte("again"), 0); !errors.Is(err, ErrConflict) {
		t.Fatalf("Update at 0 of an existing key: err = %v, want ErrConflict", err)
	}
	r2, err := c.Update(ctx, "dist.E1", []byte("v2"), r1)
	if err != nil {
		t.Fatalf("Update at the current revision: %v", err)
	}
	if _, err := c.Update(ctx, "dist.E1", []byte("stale"), r1); !errors.Is(err, ErrConflict) {
		t.Fatalf("Update at a stale revision: err = %v, want ErrConflict", err)
	}
	// Another key's write moves the store's revision but not this key's.
	mustPut(t, c, "dist.E2", "x")
	if _, err := c.Update(ctx, "dist.E1", []byte("v3"), r2); err != nil {
		t.Fatalf("Update after another key changed: %v", err)
	}
	if v, _, _ := c.Get(ctx, "dist.E1"); string(v) != "v3" {
		t.Fatalf("value = %q, want v3: a conflicting update must not have written", v)
	}

	if err := c.Delete(ctx, "dist.E1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := c.Update(ctx, "dist.E1", []byte("reborn"), 0); err != nil {
		t.Fatalf("Update at 0 of a deleted key: %v", err)
	}
}

func TestPersistsAcrossRestart(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()

	b1, err := Start(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	rev := mustPut(t, b1.Config(), "dist.E1", "kept")
	mustPut(t, b1.Config(), "dist.E2", "gone")
	if err := b1.Config().Delete(ctx, "dist.E2"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := b1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	b2 := startBus(t, Options{DataDir: dir})
	v, got, err := b2.Config().Get(ctx, "dist.E1")
	if err != nil || string(v) != "kept" || got != rev {
		t.Fatalf("after restart Get = %q, %d, %v; want %q at revision %d", v, got, err, "kept", rev)
	}
	if _, _, err := b2.Config().Get(ctx, "dist.E2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after restart a deleted key is back: err = %v", err)
	}
	if next := mustPut(t, b2.Config(), "dist.E3", "new"); next <= rev {
		t.Fatalf("revision after restart %d, want more than %d", next, rev)
	}
}

func TestWatch(t *testing.T) {
	c := startBus(t, Options{DataDir: t.TempDir()}).Config()
	r1 := mustPut(t, c, "dist.E1", "one")
	mustPut(t, c, "dist.E2", "two")
	r2 := mustPut(t, c, "dist.E2", "two-b")
	if err := c.Delete(testContext(t), "dist.E3"); err != nil { // a marker for a key never put
		t.Fatalf("Delete: %v", err)
	}

	ch := watchInto(t, c)
	first := waitSnapshot(t, ch, "the initial state", func(Snapshot) bool { return true })
	if len(first.Entries) != 2 ||
		string(first.Entries["dist.E1"].Value) != "one" || first.Entries["dist.E1"].Revision != r1 ||
		string(first.Entries["dist.E2"].Value) != "two-b" || first.Entries["dist.E2"].Revision != r2 {
		t.Fatalf("initial snapshot = %+v, want dist.E1=one and dist.E2=two-b", first.Entries)
	}
	if first.Revision != r2+1 {
		t.Fatalf("initial snapshot revision %d, want %d (the delete marker)", first.Revision, r2+1)
	}

	r3 := mustPut(t, c, "dist.E3", "three")
	s := waitSnapshot(t, ch, "dist.E3", hasValue("dist.E3", "three"))
	if s.Revision != r3 || len(s.Entries) != 3 {
		t.Fatalf("snapshot after put = %+v at %d, want 3 keys at revision %d", s.Entries, s.Revision, r3)
	}
	if len(first.Entries) != 2 {
		t.Fatalf("an earlier snapshot changed: %+v", first.Entries)
	}

	if err := c.Delete(testContext(t), "dist.E1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	s = waitSnapshot(t, ch, "dist.E1 deleted", func(s Snapshot) bool {
		_, ok := s.Entries["dist.E1"]
		return !ok
	})
	if s.Revision != r3+1 || len(s.Entries) != 2 {
		t.Fatalf("snapshot after delete = %+v at %d, want 2 keys at revision %d", s.Entries, s.Revision, r3+1)
	}
}

func TestWatchEmptyBucket(t *testing.T) {
	c := startBus(t, Options{DataDir: t.TempDir()}).Config()
	s := waitSnapshot(t, watchInto(t, c), "the initial state", func(Snapshot) bool { return true })
	if len(s.Entries) != 0 || s.Entries == nil || s.Revision != 0 {
		t.Fatalf("initial snapshot of an empty bucket = %+v", s)
	}
}

func TestWatchCoalesces(t *testing.T) {
	const puts = 200
	c := startBus(t, Options{DataDir: t.TempDir()}).Config()

	release := make(chan struct{})
	var calls atomic.Int32
	var concurrent atomic.Int32
	ch := make(chan Snapshot, puts+2)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.Watch(ctx, func(s Snapshot) {
			if concurrent.Add(1) != 1 {
				t.Errorf("fn called concurrently")
			}
			defer concurrent.Add(-1)
			if calls.Add(1) == 1 {
				<-release // a slow consumer: hold the initial snapshot while changes pile up
			}
			ch <- s
		})
	}()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Watch returned %v", err)
		}
	}()

	// A fast watcher on the same connection tells when every change has been delivered.
	fast := watchInto(t, c)
	var last uint64
	for i := range puts {
		last = mustPut(t, c, "dist.E1", fmt.Sprint(i))
	}
	waitSnapshot(t, fast, "the last put", func(s Snapshot) bool { return s.Revision == last })
	close(release)

	s := waitSnapshot(t, ch, "the last put", func(s Snapshot) bool { return s.Revision == last })
	if got := string(s.Entries["dist.E1"].Value); got != fmt.Sprint(puts-1) {
		t.Fatalf("latest snapshot has dist.E1=%s, want %d", got, puts-1)
	}
	if n := calls.Load(); n > puts/2 {
		t.Fatalf("fn called %d times for %d changes: snapshots were not coalesced", n, puts)
	}
	t.Logf("fn called %d times for %d changes", calls.Load(), puts)
}

func TestCoalescerTakesLatest(t *testing.T) {
	co := newCoalescer()
	if _, ok := co.take(); ok {
		t.Fatalf("a snapshot before the initial state")
	}
	co.reset(map[string]Entry{"a": {Value: []byte("0"), Revision: 1}}, 1)
	for i := range 10 {
		co.mu.Lock()
		co.entries["a"] = Entry{Value: []byte(fmt.Sprint(i)), Revision: uint64(i + 2)}
		co.rev = uint64(i + 2)
		co.changed()
		co.mu.Unlock()
	}
	s, ok := co.take()
	if !ok || string(s.Entries["a"].Value) != "9" || s.Revision != 11 {
		t.Fatalf("take = %+v, %v; want the latest state", s, ok)
	}
	if _, ok := co.take(); ok {
		t.Fatalf("a second snapshot without a change")
	}
	co.reset(map[string]Entry{}, 5)
	if s, _ := co.take(); s.Revision != 11 || len(s.Entries) != 0 {
		t.Fatalf("after reset take = %+v; want no keys and the revision kept at 11", s)
	}
}

func TestWatchEndsWhenClosed(t *testing.T) {
	b, err := Start(testContext(t), Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	got := make(chan Snapshot, 10)
	done := make(chan error, 1)
	go func() { done <- b.Config().Watch(context.Background(), func(s Snapshot) { got <- s }) }()
	waitSnapshot(t, got, "the initial state", func(Snapshot) bool { return true })
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("Watch returned nil after Close")
		}
	case <-time.After(waitLimit):
		t.Fatalf("Watch did not return after Close")
	}
}

func TestExternalURL(t *testing.T) {
	ctx := testContext(t)
	core := startBus(t, Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Name: "core"})
	url := core.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":0") || strings.HasSuffix(url, ":-1") {
		t.Fatalf("ClientURL = %q, want nats://127.0.0.1:<real port>", url)
	}
	if u := startBus(t, Options{DataDir: t.TempDir()}).ClientURL(); u != "" {
		t.Fatalf("in-process only ClientURL = %q, want empty", u)
	}

	rev := mustPut(t, core.Config(), "dist.E1", "from core")
	edge := startBus(t, Options{URLs: url, Name: "edge"})
	if edge.ClientURL() != url {
		t.Fatalf("external ClientURL = %q, want %q", edge.ClientURL(), url)
	}
	v, got, err := edge.Config().Get(ctx, "dist.E1")
	if err != nil || string(v) != "from core" || got != rev {
		t.Fatalf("edge Get = %q, %d, %v; want the core's value at %d", v, got, err, rev)
	}

	watched := watchInto(t, core.Config())
	mustPut(t, edge.Config(), "dist.E2", "from edge")
	waitSnapshot(t, watched, "the edge's put", hasValue("dist.E2", "from edge"))
	list, err := edge.Config().List(ctx, "dist.")
	if err != nil || len(list) != 2 {
		t.Fatalf("edge List = %v, %v; want both keys", list, err)
	}
}

func TestWatchResumesAfterServerRestart(t *testing.T) {
	dir := t.TempDir()
	// The restarted server must come back on the same port, so the port is fixed up front.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	l.Close()

	core, err := Start(testContext(t), Options{DataDir: dir, Listen: listen})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	edge := startBus(t, Options{URLs: core.ClientURL()})
	watched := watchInto(t, edge.Config())
	mustPut(t, core.Config(), "dist.E1", "before")
	waitSnapshot(t, watched, "the first put", hasValue("dist.E1", "before"))

	if err := core.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	core = startBus(t, Options{DataDir: dir, Listen: listen})
	restarted := time.Now()
	mustPut(t, core.Config(), "dist.E1", "after")
	waitSnapshot(t, watched, "the put after the restart", hasValue("dist.E1", "after"))
	t.Logf("the watch resumed %s after the restart", time.Since(restarted).Round(time.Millisecond))
}

func TestStartErrors(t *testing.T) {
	ctx := testContext(t)
	if _, err := Start(ctx, Options{}); err == nil || !strings.Contains(err.Error(), "data directory") {
		t.Errorf("Start without a data directory: err = %v", err)
	}
	if _, err := Start(ctx, Options{DataDir: t.TempDir(), Listen: "nonsense"}); err == nil {
		t.Errorf("Start with a bad listen address succeeded")
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		// Not a NATS server: it hangs up at once, so the client fails without waiting out
		// its connect timeout.
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	start := time.Now()
	_, err = Start(ctx, Options{DataDir: t.TempDir(), Listen: l.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "bus: start nats server") {
		t.Errorf("Start on a taken port: err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Start on a taken port took %s to fail", d)
	}

	_, err = Start(ctx, Options{URLs: "nats://" + l.Addr().String()})
	if err == nil || !strings.Contains(err.Error(), "bus: connect to nats") {
		t.Errorf("Start against something that is not NATS: err = %v", err)
	}
}

// TestConcurrentUse exercises the store from many goroutines, for the race detector.
func TestConcurrentUse(t *testing.T) {
	ctx := testContext(t)
	c := startBus(t, Options{DataDir: t.TempDir()}).Config()
	watched := watchInto(t, c)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20 {
				key := fmt.Sprintf("dist.G%d", g)
				if _, err := c.Put(ctx, key, []byte(fmt.Sprint(i))); err != nil {
					t.Errorf("Put: %v", err)
					return
				}
				if _, err := c.List(ctx, "dist."); err != nil {
					t.Errorf("List: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	waitSnapshot(t, watched, "every final value", func(s Snapshot) bool {
		for g := range 8 {
			if string(s.Entries[fmt.Sprintf("dist.G%d", g)].Value) != "19" {
				return false
			}
		}
		return true
	})
}
