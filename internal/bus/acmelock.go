package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Locks for certmagic (one edge at a time orders or renews a name,
// registers the account, refreshes renewal info). A lock is a KV key made
// with Create, which fails when the key exists; its holder rewrites it
// every lockRefresh, so its revision moves while the holder lives. A
// waiter that sees one revision for lockStale on its own clock takes the
// holder for dead (a crash, a lost connection) and deletes the lock, on
// the condition that it is still that revision. Staleness is judged by
// watching the revision, not by a time written in the value, so clocks
// that disagree between machines cannot break a live lock.
const (
	lockRefresh = 5 * time.Second
	lockStale   = 20 * time.Second // four refreshes missed
	lockPoll    = time.Second      // how often a waiter looks again
)

// lockValue is what a lock key holds: for people reading the bucket.
type lockValue struct {
	Owner   string    `json:"owner"`
	Since   time.Time `json:"since"`
	Renewed time.Time `json:"renewed"`
}

// heldLock is a lock this store holds and keeps fresh.
type heldLock struct {
	rev  uint64 // the lock key's revision; written by the refresher until done
	stop chan struct{}
	done chan struct{}
}

// Lock takes the named lock, waiting while another holder keeps it fresh
// and breaking it when it goes stale, until ctx ends.
func (s *ACMEStore) Lock(ctx context.Context, name string) error {
	var seenRev uint64
	var seenAt time.Time
	for {
		ok, err := s.TryLock(ctx, name)
		if err != nil || ok {
			return err
		}
		e, err := s.engine()
		if err != nil {
			return err
		}
		ent, err := e.kv.Get(ctx, lockKey(name))
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			// Released in between: try again after the pause.
		case err != nil:
			return fmt.Errorf("acme storage: lock %s: %w", name, err)
		case ent.Revision() != seenRev:
			seenRev, seenAt = ent.Revision(), s.now()
		case s.now().Sub(seenAt) >= s.stale:
			if err := e.kv.Delete(ctx, lockKey(name), jetstream.LastRevision(seenRev)); err == nil {
				s.log.Warn("acme storage: broke a stale lock", "lock", name, "holder", string(ent.Value()), "unchanged_for", s.stale)
				continue
			} else if !wrongRevision(err) {
				return fmt.Errorf("acme storage: break stale lock %s: %w", name, err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("acme storage: lock %s: %w", name, ctx.Err())
		case <-time.After(s.poll):
		}
	}
}

// TryLock takes the named lock if no one holds it, without waiting.
func (s *ACMEStore) TryLock(ctx context.Context, name string) (bool, error) {
	e, err := s.engine()
	if err != nil {
		return false, err
	}
	now := s.now()
	v, _ := json.Marshal(lockValue{Owner: s.owner, Since: now, Renewed: now})
	rev, err := e.kv.Create(ctx, lockKey(name), v)
	if errors.Is(err, jetstream.ErrKeyExists) || wrongRevision(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acme storage: lock %s: %w", name, err)
	}
	h := &heldLock{rev: rev, stop: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	s.held[name] = h
	s.mu.Unlock()
	go s.keepFresh(e, name, now, h)
	return true, nil
}

// keepFresh rewrites a held lock every refresh until Unlock (or Close)
// stops it, or until it finds the lock no longer its own.
func (s *ACMEStore) keepFresh(e *acmeEngine, name string, since time.Time, h *heldLock) {
	defer close(h.done)
	t := time.NewTicker(s.refresh)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		v, _ := json.Marshal(lockValue{Owner: s.owner, Since: since, Renewed: s.now()})
		ctx, cancel := context.WithTimeout(context.Background(), s.refresh)
		rev, err := e.kv.Update(ctx, lockKey(name), v, h.rev)
		cancel()
		switch {
		case err == nil:
			h.rev = rev
		case errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			s.log.Warn("acme storage: a lock this edge held was taken over (it looked stale to another edge)", "lock", name)
			return
		default:
			// The engine may be away for a moment: try again at the next tick.
			s.log.Debug("acme storage: could not refresh a lock", "lock", name, "err", err)
		}
	}
}

// Unlock releases a lock this store holds. A lock another edge has since
// broken is left to its new holder.
func (s *ACMEStore) Unlock(ctx context.Context, name string) error {
	s.mu.Lock()
	h := s.held[name]
	delete(s.held, name)
	s.mu.Unlock()
	if h == nil {
		return fmt.Errorf("acme storage: unlock %s: not held here", name)
	}
	close(h.stop)
	<-h.done
	e, err := s.engine()
	if err != nil {
		return err
	}
	err = e.kv.Delete(ctx, lockKey(name), jetstream.LastRevision(h.rev))
	if err != nil && !wrongRevision(err) {
		return fmt.Errorf("acme storage: unlock %s: %w", name, err)
	}
	return nil
}

// Close releases every lock still held (a shutdown in the middle of an
// order), so other edges need not wait for them to go stale.
func (s *ACMEStore) Close() {
	s.mu.Lock()
	names := make([]string, 0, len(s.held))
	for n := range s.held {
		names = append(names, n)
	}
	s.mu.Unlock()
	for _, n := range names {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.Unlock(ctx, n); err != nil {
			s.log.Debug("acme storage: release at close", "lock", n, "err", err)
		}
		cancel()
	}
}

// wrongRevision reports whether err is JetStream refusing a conditional
// write because the key is at another revision.
func wrongRevision(err error) bool {
	var apiErr *jetstream.APIError
	return errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
