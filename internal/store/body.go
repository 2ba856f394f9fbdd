package store

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// ErrDetached is returned by NewReader when the body grew too large to keep
// and its start has been released: the caller must fetch for itself.
var ErrDetached = errors.New("store: body detached")

// chunk is one immutable piece of a body. Readers hold a pointer to the chunk
// they are on, so chunks nobody references any more are garbage collected even
// while the body is still being written (a detached body streams through).
type chunk struct {
	data []byte
	next atomic.Pointer[chunk]
}

// Body is an append-only byte sequence written once, by one writer, and read
// by any number of readers, each at its own pace, while it is being written.
type Body struct {
	mu       sync.Mutex
	head     *chunk // nil once detached
	tail     *chunk
	size     int64
	chunks   int64 // appended so far, for size accounting
	done     bool
	detached bool
	err      error
	changed  chan struct{} // closed and replaced whenever something changes
	readers  atomic.Int32

	// For detached bodies the writer must not run ahead of its readers by
	// more than a window, or a slow viewer would make the edge buffer a
	// whole large object: readers report progress, the writer waits.
	isDetached atomic.Bool
	open       map[*Reader]struct{}
	progress   chan struct{}
}

// ErrNoReaders is returned by WaitRoom when a detached body has no reader
// left: nobody wants the rest, so the writer should stop fetching it.
var ErrNoReaders = errors.New("store: no readers left")

// NewBody returns an empty body ready for writing.
func NewBody() *Body {
	c := &chunk{}
	// The channels and the reader set are made when first needed: most
	// bodies are complete before anyone waits on them, and a cached object
	// should not carry them.
	return &Body{head: c, tail: c}
}

// CompleteBody returns a finished body holding p (which it keeps, not copies).
func CompleteBody(p []byte) *Body {
	b := NewBody()
	if len(p) > 0 {
		b.appendOwned(p)
	}
	b.Close(nil)
	return b
}

// Write appends a copy of p. It never blocks on readers.
func (b *Body) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	buf := make([]byte, len(p))
	copy(buf, p)
	b.appendOwned(buf)
	return len(p), nil
}

func (b *Body) appendOwned(p []byte) {
	c := &chunk{data: p}
	b.mu.Lock()
	b.tail.next.Store(c)
	b.tail = c
	b.size += int64(len(p))
	b.chunks++
	b.signalLocked()
	b.mu.Unlock()
}

// Close marks the body complete; a non-nil err tells readers it is truncated.
func (b *Body) Close(err error) {
	b.mu.Lock()
	if !b.done {
		b.done = true
		b.err = err
		b.signalLocked()
	}
	b.mu.Unlock()
}

func (b *Body) signalLocked() {
	if b.changed != nil {
		close(b.changed) // wake the readers waiting on it
		b.changed = nil
	}
}

// Detach releases the body's start: memory is freed as readers move on, and
// new readers are refused. Used when an object is too large to cache.
func (b *Body) Detach() {
	b.mu.Lock()
	b.head = nil
	b.detached = true
	if b.progress == nil {
		b.progress = make(chan struct{}, 1)
	}
	b.isDetached.Store(true) // publishes progress to the readers
	b.mu.Unlock()
}

// WaitRoom blocks the writer of a detached body until its slowest reader is
// within window bytes of the end. It returns at once for attached bodies.
func (b *Body) WaitRoom(ctx context.Context, window int64) error {
	if !b.isDetached.Load() {
		return nil
	}
	for {
		b.mu.Lock()
		if len(b.open) == 0 {
			b.mu.Unlock()
			return ErrNoReaders
		}
		slowest := b.size
		for r := range b.open {
			slowest = min(slowest, r.pos.Load())
		}
		size := b.size
		b.mu.Unlock()
		if size-slowest <= window {
			return nil
		}
		select {
		case <-b.progress:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Size is the number of bytes written so far.
func (b *Body) Size() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size
}

// attached reports whether the body still holds its start (not detached).
func (b *Body) attached() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.detached
}

// heldBytes is what the body holds in memory: its bytes and its chunks.
func (b *Body) heldBytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size + b.chunks*chunkOverhead
}

// State reports the size written so far, whether writing is finished, and
// the error the writer closed with.
func (b *Body) State() (size int64, done bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size, b.done, b.err
}

// Readers is the number of open readers.
func (b *Body) Readers() int { return int(b.readers.Load()) }

// Chunks returns the body's pieces when it is complete (for a vectored write
// on a hit); ok is false while it is still being written or when detached.
func (b *Body) Chunks(dst [][]byte) ([][]byte, bool) {
	b.mu.Lock()
	head, done, err := b.head, b.done, b.err
	b.mu.Unlock()
	if !done || err != nil || head == nil {
		return dst, false
	}
	for c := head.next.Load(); c != nil; c = c.next.Load() {
		dst = append(dst, c.data)
	}
	return dst, true
}

// NewReader returns a reader positioned at the start of the body.
func (b *Body) NewReader() (*Reader, error) {
	b.mu.Lock()
	head := b.head
	b.mu.Unlock()
	if head == nil {
		return nil, ErrDetached
	}
	r := &Reader{b: b, cur: head}
	b.mu.Lock()
	if b.open == nil {
		b.open = map[*Reader]struct{}{}
	}
	b.open[r] = struct{}{}
	b.mu.Unlock()
	b.readers.Add(1)
	return r, nil
}

// Reader follows a Body from its start, waiting for bytes still to come.
type Reader struct {
	b      *Body
	cur    *chunk // last chunk fully consumed (the sentinel at the start)
	pos    atomic.Int64
	closed bool
}

// Next returns the next piece of the body without copying, waiting for the
// writer when it has nothing new yet. At the end it returns io.EOF, or the
// writer's error when the body was closed truncated.
func (r *Reader) Next(ctx context.Context) ([]byte, error) {
	for {
		if c := r.cur.next.Load(); c != nil {
			r.cur = c
			r.pos.Add(int64(len(c.data)))
			if r.b.isDetached.Load() {
				r.b.signalProgress()
			}
			return c.data, nil
		}
		r.b.mu.Lock()
		// Re-check under the lock: the writer appends under it too.
		if r.cur.next.Load() != nil {
			r.b.mu.Unlock()
			continue
		}
		if r.b.changed == nil && !r.b.done {
			r.b.changed = make(chan struct{})
		}
		done, err, changed := r.b.done, r.b.err, r.b.changed
		r.b.mu.Unlock()
		if done {
			if err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close releases the reader.
func (r *Reader) Close() {
	if !r.closed {
		r.closed = true
		r.cur = nil
		r.b.mu.Lock()
		delete(r.b.open, r)
		if len(r.b.open) == 0 {
			r.b.open = nil // a stored body should not keep an empty map
		}
		r.b.mu.Unlock()
		r.b.readers.Add(-1)
		if r.b.isDetached.Load() {
			r.b.signalProgress()
		}
	}
}

func (b *Body) signalProgress() {
	select {
	case b.progress <- struct{}{}:
	default:
	}
}
