package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	// ErrNotFound says that a key has no value: it was never put, or it was deleted.
	ErrNotFound = errors.New("bus: config key not found")
	// ErrConflict says that a compare-and-set update lost: the key's revision was not the one
	// the caller read, because someone else changed it in between.
	ErrConflict = errors.New("bus: config revision conflict")
)

// ConfigStore is the source of truth for configuration documents (distributions, policies,
// and so on), each a JSON value under a key like "dist.E123". Every change gets a revision,
// which grows across the whole store, not per key.
//
// Keys are NATS subject tokens separated by dots: letters, digits and "-/_=" are allowed,
// and a key may not begin or end with a dot.
type ConfigStore struct {
	kv          jetstream.KeyValue
	nc          *nats.Conn
	log         *slog.Logger
	reconnected *signal
}

// Entry is one key's value and the revision that wrote it.
type Entry struct {
	Value    []byte
	Revision uint64
}

// Put stores value under key, whatever was there, and returns the new revision.
func (c *ConfigStore) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := c.kv.Put(ctx, key, value)
	if err != nil {
		return 0, fmt.Errorf("bus: put %q: %w", key, err)
	}
	return rev, nil
}

// Update stores value under key only if the key's latest revision is still rev, and returns
// the new revision; otherwise the error matches ErrConflict. Rev 0 means "only if the key has
// no value" (never put, or deleted), which creates a document without overwriting another's.
func (c *ConfigStore) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	var (
		newRev uint64
		err    error
	)
	if rev == 0 {
		newRev, err = c.kv.Create(ctx, key, value)
	} else {
		newRev, err = c.kv.Update(ctx, key, value, rev)
	}
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("bus: update %q at revision %d: %w", key, rev, ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("bus: update %q: %w", key, err)
	}
	return newRev, nil
}

// Get returns key's value and the revision that wrote it, or an error matching ErrNotFound.
func (c *ConfigStore) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := c.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, fmt.Errorf("bus: get %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("bus: get %q: %w", key, err)
	}
	return e.Value(), e.Revision(), nil
}

// Delete removes key's value. The deletion is itself a revision, which watchers see; deleting
// a key that has no value is not an error.
func (c *ConfigStore) Delete(ctx context.Context, key string) error {
	if err := c.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("bus: delete %q: %w", key, err)
	}
	return nil
}

// List returns every live key that begins with prefix ("" for all), with its value. It reads
// the values in one pass over the bucket rather than one request per key.
func (c *ConfigStore) List(ctx context.Context, prefix string) (map[string]Entry, error) {
	// A prefix that ends at a token boundary lets the server do the filtering.
	filter := jetstream.AllKeys
	if strings.HasSuffix(prefix, ".") {
		filter = prefix + jetstream.AllKeys
	}
	// The watcher unsubscribes when its context ends, and would otherwise keep a goroutine
	// waiting on it for as long as ctx lives.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := c.kv.Watch(wctx, filter, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("bus: list %q: %w", prefix, err)
	}
	defer stopWatcher(w)

	out := make(map[string]Entry)
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("bus: list %q: %w", prefix, ctx.Err())
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("bus: list %q: %w", prefix, errWatchClosed)
			}
			if e == nil { // all current values received
				return out, nil
			}
			if strings.HasPrefix(e.Key(), prefix) {
				out[e.Key()] = Entry{Value: e.Value(), Revision: e.Revision()}
			}
		}
	}
}

// errWatchClosed says that a watcher's subscription ended before the caller was done with it,
// which happens when the connection closes.
var errWatchClosed = errors.New("watcher closed")

// stopWatcher unsubscribes w in the background. Unsubscribing deletes the watcher's consumer
// with a request that, while the engine is away, waits out its whole timeout; nobody should
// wait for that. The channel is emptied meanwhile because the watcher's delivery goroutine may
// be blocked sending on it, and only returns (closing it) once unblocked.
func stopWatcher(w jetstream.KeyWatcher) {
	go func() {
		for range w.Updates() {
		}
	}()
	go func() { _ = w.Stop() }()
}
