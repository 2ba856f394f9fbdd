package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ACMEBucket holds what the edges' ACME client (certmagic) stores: the
// account, each certificate with its key and metadata, the challenge
// tokens of orders in progress, and the locks that let one edge at a
// time order a name. One bucket for every edge is what makes the CA's
// validation succeed whichever edge it reaches, and makes a name ordered
// once for the whole CDN rather than once per edge.
const ACMEBucket = "pharos-acme"

// ErrNoEngine says that an ACMEStore has not reached the engine yet.
var ErrNoEngine = errors.New("acme storage: not connected to the engine yet")

// scanTimeout bounds a listing when the caller's context has none.
const scanTimeout = 10 * time.Second

// ACMEStore is certmagic's Storage over the engine's KV bucket
// ACMEBucket. It is made before the engine is reached (an edge serves
// before it connects) and answers once Attach gives it the bus; until
// then every call fails with ErrNoEngine and Ready says false. Paths map
// to keys as acmekeys.go says; locks are in acmelock.go.
type ACMEStore struct {
	eng   atomic.Pointer[acmeEngine]
	owner string // in lock values: who holds a lock
	log   *slog.Logger

	// Lock timing (acmelock.go); tests shorten them.
	refresh, stale, poll time.Duration
	now                  func() time.Time

	mu   sync.Mutex
	held map[string]*heldLock // locks this store holds, by name
}

type acmeEngine struct {
	kv     jetstream.KeyValue
	stream jetstream.Stream // the bucket's stream, for deleting whole prefixes
	nc     *nats.Conn
}

// NewACMEStore returns a store not yet attached to the engine. owner
// names this process in the locks it takes (an edge id); a random suffix
// keeps two processes with one id apart.
func NewACMEStore(owner string, log *slog.Logger) *ACMEStore {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	return &ACMEStore{owner: owner + "/" + hex.EncodeToString(r[:]), log: log,
		refresh: lockRefresh, stale: lockStale, poll: lockPoll, now: time.Now, held: map[string]*heldLock{}}
}

// Attach makes sure the bucket exists, with as many replicas as the
// configuration bucket has (the cluster's choice, made by the control
// plane), and starts answering through b.
func (s *ACMEStore) Attach(ctx context.Context, b *Bus) error {
	replicas := 1
	if st, err := b.js.Stream(ctx, "KV_"+ConfigBucket); err == nil {
		replicas = max(st.CachedInfo().Config.Replicas, 1)
	}
	kv, err := ensureNamedBucket(ctx, b.js, ACMEBucket, "Pharos ACME accounts, certificates, challenges and locks", 1, replicas)
	if err != nil {
		return err
	}
	st, err := b.js.Stream(ctx, "KV_"+ACMEBucket)
	if err != nil {
		return fmt.Errorf("acme storage: bind the bucket's stream: %w", err)
	}
	s.eng.Store(&acmeEngine{kv: kv, stream: st, nc: b.nc})
	return nil
}

// Ready reports whether the store is attached and the engine connected,
// so that a call now is answered rather than waiting out a reconnect.
func (s *ACMEStore) Ready() bool {
	e := s.eng.Load()
	return e != nil && e.nc.IsConnected()
}

func (s *ACMEStore) engine() (*acmeEngine, error) {
	if e := s.eng.Load(); e != nil {
		return e, nil
	}
	return nil, ErrNoEngine
}

// String names the store in certmagic's logs.
func (s *ACMEStore) String() string { return "NATS KV " + ACMEBucket }

// Store puts value at key.
func (s *ACMEStore) Store(ctx context.Context, key string, value []byte) error {
	e, err := s.engine()
	if err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("acme storage: store: empty key")
	}
	if _, err := e.kv.Put(ctx, fileKey(key), value); err != nil {
		return fmt.Errorf("acme storage: store %s: %w", key, err)
	}
	return nil
}

// Load returns the value at key, or an error wrapping fs.ErrNotExist
// (which certmagic tells apart from a failure to ask).
func (s *ACMEStore) Load(ctx context.Context, key string) ([]byte, error) {
	ent, err := s.get(ctx, key)
	if err != nil {
		return nil, err
	}
	return ent.Value(), nil
}

func (s *ACMEStore) get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	e, err := s.engine()
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("acme storage: load: empty key: %w", fs.ErrNotExist)
	}
	ent, err := e.kv.Get(ctx, fileKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("acme storage: %s: %w", key, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("acme storage: load %s: %w", key, err)
	}
	return ent, nil
}

// Delete removes key and everything under it, leaving nothing behind: a
// KV delete would keep a marker per key, and certmagic writes and
// deletes a fresh test key before each order. A key that is not there is
// not an error.
func (s *ACMEStore) Delete(ctx context.Context, key string) error {
	e, err := s.engine()
	if err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("acme storage: delete: empty key (the whole store)")
	}
	subj := "$KV." + ACMEBucket + "." + fileKey(key)
	for _, filter := range []string{subj, subj + ".>"} {
		if err := e.stream.Purge(ctx, jetstream.WithPurgeSubject(filter)); err != nil {
			return fmt.Errorf("acme storage: delete %s: %w", key, err)
		}
	}
	return nil
}

// Exists reports whether key is a file or a directory (a prefix of one).
func (s *ACMEStore) Exists(ctx context.Context, key string) bool {
	if _, err := s.get(ctx, key); err == nil {
		return true
	}
	under, err := s.scan(ctx, key, 1)
	return err == nil && len(under) > 0
}

// List returns the paths under prefix: with recursive, every file and
// directory at any depth; without, the files and directories directly
// in it (as certmagic's FileStorage does). A prefix with nothing under
// it is fs.ErrNotExist.
func (s *ACMEStore) List(ctx context.Context, prefix string, recursive bool) ([]string, error) {
	under, err := s.scan(ctx, prefix, 0)
	if err != nil {
		return nil, err
	}
	if len(under) == 0 {
		return nil, fmt.Errorf("acme storage: list %s: %w", prefix, fs.ErrNotExist)
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range under {
		rel := strings.Split(f.path, "/")
		if prefix != "" {
			rel = strings.Split(strings.TrimPrefix(f.path, prefix+"/"), "/")
		}
		depth := 1
		if recursive {
			depth = len(rel)
		}
		for d := 1; d <= depth; d++ {
			p := strings.Join(rel[:d], "/")
			if prefix != "" {
				p = prefix + "/" + p
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// Stat describes key: a file's size and when it was written, or a
// directory with the time of its newest file.
func (s *ACMEStore) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	ent, err := s.get(ctx, key)
	if err == nil {
		return certmagic.KeyInfo{Key: key, Modified: ent.Created(), Size: int64(len(ent.Value())), IsTerminal: true}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return certmagic.KeyInfo{}, err
	}
	under, err := s.scan(ctx, key, 0)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	if len(under) == 0 {
		return certmagic.KeyInfo{}, fmt.Errorf("acme storage: stat %s: %w", key, fs.ErrNotExist)
	}
	info := certmagic.KeyInfo{Key: key}
	for _, f := range under {
		if f.modified.After(info.Modified) {
			info.Modified = f.modified
		}
	}
	return info, nil
}

type storedFile struct {
	path     string
	modified time.Time
}

// scan returns the files strictly under dir ("" for all), at most limit
// of them (0: all), without their values.
func (s *ACMEStore) scan(ctx context.Context, dir string, limit int) ([]storedFile, error) {
	e, err := s.engine()
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, scanTimeout)
		defer cancel()
	}
	w, err := e.kv.WatchFiltered(ctx, []string{fileKey(dir) + ".>"}, jetstream.IgnoreDeletes(), jetstream.MetaOnly())
	if err != nil {
		return nil, fmt.Errorf("acme storage: list %s: %w", dir, err)
	}
	defer w.Stop()
	var out []storedFile
	for {
		select {
		case ent := <-w.Updates():
			if ent == nil { // every stored key has been delivered
				return out, nil
			}
			p, err := filePath(ent.Key())
			if err != nil {
				s.log.Warn("acme storage: a key that is no path", "key", ent.Key(), "err", err)
				continue
			}
			out = append(out, storedFile{path: p, modified: ent.Created()})
			if limit > 0 && len(out) >= limit {
				return out, nil
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("acme storage: list %s: %w", dir, ctx.Err())
		}
	}
}

var (
	_ certmagic.Storage   = (*ACMEStore)(nil)
	_ certmagic.TryLocker = (*ACMEStore)(nil)
)
