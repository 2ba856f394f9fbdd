package bus

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// acmeStores starts an engine with a client listener and returns n stores,
// each on its own connection to it, as n edges would be.
func acmeStores(t *testing.T, n int) ([]*ACMEStore, *Bus) {
	t.Helper()
	core := startBus(t, Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Name: "core"})
	var out []*ACMEStore
	for i := range n {
		b := startBus(t, Options{URLs: core.ClientURL(), Name: "edge"})
		s := NewACMEStore("edge"+string(rune('a'+i)), nil)
		if err := s.Attach(testContext(t), b); err != nil {
			t.Fatalf("Attach: %v", err)
		}
		t.Cleanup(s.Close)
		out = append(out, s)
	}
	return out, core
}

func TestACMEStoreBeforeTheEngine(t *testing.T) {
	s := NewACMEStore("e1", nil)
	ctx := testContext(t)
	if s.Ready() {
		t.Errorf("Ready before Attach")
	}
	if _, err := s.Load(ctx, "a"); !errors.Is(err, ErrNoEngine) || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load before Attach: %v, want ErrNoEngine (not a missing file)", err)
	}
	if err := s.Store(ctx, "a", []byte("x")); !errors.Is(err, ErrNoEngine) {
		t.Errorf("Store before Attach: %v", err)
	}
	if err := s.Lock(ctx, "l"); !errors.Is(err, ErrNoEngine) {
		t.Errorf("Lock before Attach: %v", err)
	}
}

func TestACMEStoreFiles(t *testing.T) {
	stores, core := acmeStores(t, 2)
	a, b := stores[0], stores[1]
	ctx := testContext(t)
	if !a.Ready() {
		t.Fatalf("not Ready after Attach")
	}
	files := map[string]string{
		"certificates/ca/one.test/one.test.crt":  "cert",
		"certificates/ca/one.test/one.test.key":  "key",
		"certificates/ca/one.test/one.test.json": "{}",
		"certificates/ca/one.testing/x.crt":      "other",
		"acme/ca/users/ops@example.com/ops.json": "account",
	}
	for k, v := range files {
		if err := a.Store(ctx, k, []byte(v)); err != nil {
			t.Fatalf("Store %s: %v", k, err)
		}
	}
	// What one edge stores, another loads.
	for k, v := range files {
		if got, err := b.Load(ctx, k); err != nil || string(got) != v {
			t.Errorf("Load %s = %q, %v; want %q", k, got, err, v)
		}
	}
	if _, err := b.Load(ctx, "certificates/ca/two.test/two.test.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing key: %v, want fs.ErrNotExist", err)
	}
	for key, want := range map[string]bool{
		"certificates/ca/one.test/one.test.crt": true, "certificates/ca/one.test": true, "certificates": true,
		"certificates/ca/one": false, "certificates/ca/one.test/one": false, "nothing": false,
	} {
		if got := b.Exists(ctx, key); got != want {
			t.Errorf("Exists(%q) = %v, want %v", key, got, want)
		}
	}

	list := func(prefix string, recursive bool, want ...string) {
		t.Helper()
		got, err := b.List(ctx, prefix, recursive)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("List(%q, %v) = %q, %v; want %q", prefix, recursive, got, err, want)
		}
	}
	list("certificates/ca", false, "certificates/ca/one.test", "certificates/ca/one.testing")
	list("certificates/ca/one.test", false, "certificates/ca/one.test/one.test.crt",
		"certificates/ca/one.test/one.test.json", "certificates/ca/one.test/one.test.key")
	list("certificates", true, "certificates/ca", "certificates/ca/one.test",
		"certificates/ca/one.test/one.test.crt", "certificates/ca/one.test/one.test.json",
		"certificates/ca/one.test/one.test.key", "certificates/ca/one.testing", "certificates/ca/one.testing/x.crt")
	list("", false, "acme", "certificates")
	if got, err := b.List(ctx, "certificates/ca/none", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing prefix = %q, %v; want fs.ErrNotExist", got, err)
	}

	fi, err := b.Stat(ctx, "certificates/ca/one.test/one.test.crt")
	if err != nil || !fi.IsTerminal || fi.Size != 4 || fi.Key != "certificates/ca/one.test/one.test.crt" ||
		time.Since(fi.Modified) > time.Minute || time.Since(fi.Modified) < 0 {
		t.Errorf("Stat of a file = %+v, %v", fi, err)
	}
	di, err := b.Stat(ctx, "acme/ca/users/ops@example.com")
	if err != nil || di.IsTerminal || di.Modified.IsZero() {
		t.Errorf("Stat of a directory = %+v, %v; want not terminal, with the newest file's time", di, err)
	}
	if _, err := b.Stat(ctx, "acme/ca/users/nobody"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat of a missing key: %v, want fs.ErrNotExist", err)
	}

	// Deleting a directory takes everything under it and nothing beside
	// it, and leaves no marker in the bucket.
	st, err := core.JetStream().Stream(ctx, "KV_"+ACMEBucket)
	if err != nil {
		t.Fatal(err)
	}
	before := msgs(t, st)
	if err := b.Delete(ctx, "certificates/ca/one.test"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if a.Exists(ctx, "certificates/ca/one.test") || a.Exists(ctx, "certificates/ca/one.test/one.test.key") {
		t.Errorf("the deleted directory is still there")
	}
	if !a.Exists(ctx, "certificates/ca/one.testing/x.crt") {
		t.Errorf("Delete took a sibling whose name starts the same")
	}
	if after := msgs(t, st); after != before-3 {
		t.Errorf("the bucket holds %d messages after deleting 3 files from %d: markers left behind", after, before)
	}
	if err := b.Delete(ctx, "certificates/ca/never"); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}
	if err := b.Delete(ctx, "acme/ca/users/ops@example.com/ops.json"); err != nil || a.Exists(ctx, "acme/ca/users/ops@example.com") {
		t.Errorf("Delete of a file: %v; its directory still exists: %v", err, a.Exists(ctx, "acme/ca/users/ops@example.com"))
	}
}

func msgs(t *testing.T, st jetstream.Stream) uint64 {
	t.Helper()
	info, err := st.Info(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

func TestACMELockContention(t *testing.T) {
	stores, _ := acmeStores(t, 2)
	a, b := stores[0], stores[1]
	a.refresh = 50 * time.Millisecond
	b.poll, b.stale = 20*time.Millisecond, time.Second
	ctx := testContext(t)

	if err := a.Lock(ctx, "issue_cert_one.test"); err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if ok, err := b.TryLock(ctx, "issue_cert_one.test"); ok || err != nil {
		t.Fatalf("TryLock of a held lock = %v, %v; want false", ok, err)
	}
	// A holder that keeps its lock fresh is never taken for stale.
	short, cancel := context.WithTimeout(ctx, 3*b.stale/2)
	err := b.Lock(short, "issue_cert_one.test")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a fresh lock held elsewhere: %v, want the deadline", err)
	}
	// Other names are free meanwhile.
	if ok, err := b.TryLock(ctx, "issue_cert_two.test"); !ok || err != nil {
		t.Fatalf("TryLock of another name = %v, %v", ok, err)
	}
	if err := b.Unlock(ctx, "issue_cert_two.test"); err != nil {
		t.Fatal(err)
	}

	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx, "issue_cert_one.test") }()
	select {
	case err := <-got:
		t.Fatalf("Lock returned %v while the lock was held", err)
	case <-time.After(100 * time.Millisecond):
	}
	if err := a.Unlock(ctx, "issue_cert_one.test"); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("Lock after the release: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("Lock still waiting after the release")
	}
	if holder := lockOwner(t, b, "issue_cert_one.test"); holder != b.owner {
		t.Errorf("lock held by %q, want %q", holder, b.owner)
	}
	if err := a.Unlock(ctx, "issue_cert_one.test"); err == nil {
		t.Errorf("Unlock of a lock held elsewhere succeeded")
	}
	if holder := lockOwner(t, b, "issue_cert_one.test"); holder != b.owner {
		t.Errorf("after a stray Unlock the lock is held by %q, want %q", holder, b.owner)
	}
	// Close releases what a store still holds.
	b.Close()
	if ok, err := a.TryLock(ctx, "issue_cert_one.test"); !ok || err != nil {
		t.Errorf("TryLock after the holder closed = %v, %v", ok, err)
	}
}

func TestACMELockStale(t *testing.T) {
	stores, _ := acmeStores(t, 2)
	a, b := stores[0], stores[1]
	a.refresh = time.Hour // a holder that has stopped refreshing, as a crashed one would
	b.poll, b.stale = 20*time.Millisecond, 300*time.Millisecond
	ctx := testContext(t)

	if err := a.Lock(ctx, "issue_cert_one.test"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := b.Lock(ctx, "issue_cert_one.test"); err != nil {
		t.Fatalf("Lock of a stale lock: %v", err)
	}
	if waited := time.Since(start); waited < b.stale {
		t.Errorf("the lock was broken after %s, before it had been unchanged for %s", waited, b.stale)
	}
	if holder := lockOwner(t, b, "issue_cert_one.test"); holder != b.owner {
		t.Fatalf("lock held by %q, want %q", holder, b.owner)
	}
	// The old holder's Unlock leaves the new holder's lock alone.
	if err := a.Unlock(ctx, "issue_cert_one.test"); err != nil {
		t.Errorf("Unlock of a lock taken over: %v, want nil", err)
	}
	if holder := lockOwner(t, b, "issue_cert_one.test"); holder != b.owner {
		t.Errorf("after the old holder's Unlock the lock is held by %q, want %q", holder, b.owner)
	}
}

// lockOwner reads who holds the named lock ("" for no one).
func lockOwner(t *testing.T, s *ACMEStore, name string) string {
	t.Helper()
	e, _ := s.engine()
	ent, err := e.kv.Get(testContext(t), lockKey(name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	var v lockValue
	if err := json.Unmarshal(ent.Value(), &v); err != nil {
		t.Fatal(err)
	}
	return v.Owner
}
