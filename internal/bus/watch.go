package bus

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Snapshot is the whole configuration at one moment: every live key's value, and the highest
// revision seen (deletions included). A Snapshot is never changed after it is delivered, so it
// may be kept and shared; its users must not modify it or the Values in it either.
type Snapshot struct {
	Entries  map[string]Entry
	Revision uint64
}

// Watch backoff bounds: how soon to retry after a watch could not be set up or ended, and how
// far apart the retries grow while the engine stays unreachable.
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 5 * time.Second
	// watchCreateTimeout bounds the setting up of a watcher.
	watchCreateTimeout = 10 * time.Second
)

// Watch delivers snapshots of the whole configuration to fn: first the full current state,
// once every initial value has arrived, then a new snapshot after every change (put or delete).
// fn is called from one goroutine, never concurrently. When changes arrive faster than fn
// returns, the intermediate snapshots are skipped and fn gets the latest one, since a consumer
// only needs the newest configuration.
//
// If the connection drops, Watch waits for NATS to reconnect and resumes; if its subscription
// is lost, it sets up a new one and delivers a fresh full snapshot. Watch returns ctx.Err()
// when ctx is done, and an error when the connection is closed for good (by Close). It does not
// return while fn is running, and fn is never called after Watch returns.
func (c *ConfigStore) Watch(ctx context.Context, fn func(Snapshot)) error {
	if fn == nil {
		return errors.New("bus: watch: nil callback")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	co := newCoalescer()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		co.deliver(ctx, fn)
	}()
	err := c.follow(ctx, co)
	cancel()
	wg.Wait()
	return err
}

// follow keeps a watcher on the bucket and feeds what it reports to co, setting up a new
// watcher whenever the current one cannot be created or ends, until ctx is done or the
// connection is closed.
func (c *ConfigStore) follow(ctx context.Context, co *coalescer) error {
	retry := watchRetryMin
	for {
		synced, err := c.followOnce(ctx, co)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c.nc.IsClosed() || c.nc.IsDraining() { // Close was called: no point retrying
			return fmt.Errorf("bus: watch: %w", nats.ErrConnectionClosed)
		}
		if errors.Is(err, errReconnected) {
			retry = watchRetryMin
			continue
		}
		if synced {
			retry = watchRetryMin
		}
		c.log.Warn("bus: config watch interrupted, retrying", "err", err, "in", retry)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retry):
		}
		retry = min(2*retry, watchRetryMax)
	}
}

// followOnce runs one watcher until ctx is done or the watcher ends, and says whether it got
// as far as delivering the initial state.
func (c *ConfigStore) followOnce(ctx context.Context, co *coalescer) (synced bool, err error) {
	// Taken before the watcher exists, so that no reconnect can slip between the two.
	reconnected := c.reconnected.wait()
	// The watcher unsubscribes when wctx ends; it must end with this attempt.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Creating the watcher's consumer is a request with no deadline of its own (wctx must not
	// have one, since it outlives the request); a request lost in a disconnect would wait
	// forever. Past the limit, wctx ends: the creation fails, or the new watcher closes at
	// once, and follow tries again.
	limit := time.AfterFunc(watchCreateTimeout, cancel)
	w, err := c.kv.WatchAll(wctx)
	limit.Stop()
	if err != nil {
		return false, fmt.Errorf("bus: watch: %w", err)
	}
	defer stopWatcher(w)

	// The initial values are gathered apart, so that a watcher set up again after a failure
	// replaces the state rather than merging into it: keys deleted meanwhile must disappear.
	initial := make(map[string]Entry)
	var initialRev uint64
	for {
		select {
		case <-ctx.Done():
			return synced, ctx.Err()
		case <-reconnected:
			return synced, errReconnected
		case e, ok := <-w.Updates():
			switch {
			case !ok:
				return synced, fmt.Errorf("bus: watch: %w", errWatchClosed)
			case e == nil: // the initial values are all in
				if !synced {
					synced = true
					co.reset(initial, initialRev)
					initial = nil
				}
			case !synced:
				initialRev = max(initialRev, e.Revision())
				applyEntry(initial, e)
			default:
				co.apply(e)
			}
		}
	}
}

// errReconnected ends a watcher after the connection came back. The watcher's consumer may
// have died with the server it lived on (an ephemeral consumer does not survive a restart),
// and the client would notice only after missing several heartbeats, seconds later; a new
// watcher catches up at once.
var errReconnected = errors.New("reconnected")

// applyEntry applies one watched change to a key-value map.
func applyEntry(m map[string]Entry, e jetstream.KeyValueEntry) {
	switch e.Operation() {
	case jetstream.KeyValueDelete, jetstream.KeyValuePurge:
		delete(m, e.Key())
	default:
		m[e.Key()] = Entry{Value: e.Value(), Revision: e.Revision()}
	}
}

// coalescer holds the latest state between the goroutine that follows the bucket and the one
// that calls fn. The follower only marks the state changed; a snapshot is copied when fn is
// ready for one, so a burst of changes costs one copy, not one per change.
type coalescer struct {
	mu      sync.Mutex
	entries map[string]Entry
	rev     uint64
	ready   bool // the initial state is in
	dirty   bool // changed since the last snapshot was taken

	notify chan struct{} // holds one token while dirty
}

func newCoalescer() *coalescer {
	return &coalescer{entries: make(map[string]Entry), notify: make(chan struct{}, 1)}
}

// reset replaces the whole state, after a watcher delivered its initial values. The revision
// never goes back, so that it stays the highest one seen across watchers. A new watcher that
// finds what the old one left (after a reconnect, usually) is no change, and wakes nobody.
func (co *coalescer) reset(entries map[string]Entry, rev uint64) {
	co.mu.Lock()
	defer co.mu.Unlock()
	same := co.ready && rev <= co.rev && sameRevisions(co.entries, entries)
	co.entries = entries
	co.rev = max(co.rev, rev)
	co.ready = true
	if !same {
		co.changed()
	}
}

// sameRevisions says whether a and b hold the same keys at the same revisions, which means the
// same values: a revision is written once.
func sameRevisions(a, b map[string]Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for k, ea := range a {
		if eb, ok := b[k]; !ok || eb.Revision != ea.Revision {
			return false
		}
	}
	return true
}

// apply applies one change after the initial state.
func (co *coalescer) apply(e jetstream.KeyValueEntry) {
	co.mu.Lock()
	applyEntry(co.entries, e)
	co.rev = max(co.rev, e.Revision())
	co.changed()
	co.mu.Unlock()
}

// changed marks the state dirty and wakes the delivering goroutine. co.mu must be held.
func (co *coalescer) changed() {
	co.dirty = true
	select {
	case co.notify <- struct{}{}:
	default: // a wake-up is already pending; it will see this change too
	}
}

// take returns a copy of the state if it changed since the last take.
func (co *coalescer) take() (Snapshot, bool) {
	co.mu.Lock()
	defer co.mu.Unlock()
	if !co.ready || !co.dirty {
		return Snapshot{}, false
	}
	co.dirty = false
	return Snapshot{Entries: maps.Clone(co.entries), Revision: co.rev}, true
}

// deliver calls fn with the latest snapshot each time the state changes, until ctx is done.
func (co *coalescer) deliver(ctx context.Context, fn func(Snapshot)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-co.notify:
		}
		if ctx.Err() != nil {
			return
		}
		if s, ok := co.take(); ok {
			fn(s)
		}
	}
}
