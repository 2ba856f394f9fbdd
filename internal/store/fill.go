package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// Fill is one origin fetch in progress for a key. The first request for a
// missing key leads it; later ones wait and then share what it publishes.
type Fill struct {
	key   string
	ready chan struct{}
	once  sync.Once
	obj   *Object
	err   error
	// invalidated is set when the key is removed while the fill runs: what
	// it fetched predates the removal and must not be stored.
	invalidated atomic.Bool
}

// Invalidated reports whether the key was removed while the fill ran.
func (f *Fill) Invalidated() bool { return f.invalidated.Load() }

// Wait blocks until the leader publishes. A nil object means the response is
// not shareable (or the fetch failed with nothing to fall back on) and the
// caller must fetch for itself; err is the leader's origin error, if any.
func (f *Fill) Wait(ctx context.Context) (*Object, error) {
	select {
	case <-f.ready:
		return f.obj, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Published reports whether the leader has published (without waiting).
func (f *Fill) Published() bool {
	select {
	case <-f.ready:
		return true
	default:
		return false
	}
}

func (f *Fill) publish(obj *Object, err error) {
	f.once.Do(func() {
		f.obj, f.err = obj, err
		close(f.ready)
	})
}
