package store

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

const shardCount = 64

// Memory is a size-bounded in-memory object index with S3-FIFO eviction.
//
// Lookups take a shard's read lock and bump the object's access counter;
// they never touch the eviction queues. Inserts and evictions take one lock:
// they happen on misses, which already wait on an origin.
type Memory struct {
	seed     maphash.Seed
	shards   [shardCount]shard
	maxBytes int64
	maxObj   int64

	evict evictor // guarded by evictMu
	used  atomic.Int64
	count atomic.Int64

	evictMu sync.Mutex
	stats   Stats
}

// shard maps a key's 64-bit hash to its object: a 16-byte map slot instead
// of a string key's 24, and a lookup hashes the key once (for the shard and
// the slot). The object's own key is compared on every lookup, so two keys
// whose hashes collide only ever displace each other, as an eviction would.
type shard struct {
	mu    sync.RWMutex
	objs  map[uint64]*Object
	fills map[string]*Fill
}

// Stats counts what the store did. Fields are updated atomically.
type Stats struct {
	Hits, Misses, Inserts, Evictions, Collapsed atomic.Int64
}

// NewMemory returns a store bounded to maxBytes. Objects larger than
// maxObject are never kept (they stream through); 0 means maxBytes/8.
func NewMemory(maxBytes, maxObject int64) *Memory {
	if maxObject <= 0 {
		maxObject = maxBytes / 8
	}
	m := &Memory{seed: maphash.MakeSeed(), maxBytes: maxBytes, maxObj: maxObject}
	for i := range m.shards {
		m.shards[i].objs = make(map[uint64]*Object)
		m.shards[i].fills = make(map[string]*Fill)
	}
	m.evict.init(maxBytes)
	return m
}

func (m *Memory) shard(key []byte) (*shard, uint64) {
	h := maphash.Bytes(m.seed, key)
	return &m.shards[h%shardCount], h
}

func (m *Memory) shardString(key string) (*shard, uint64) {
	h := maphash.String(m.seed, key)
	return &m.shards[h%shardCount], h
}

// MaxObject is the largest body the store keeps.
func (m *Memory) MaxObject() int64 { return m.maxObj }

// Used is the number of bytes accounted to stored objects.
func (m *Memory) Used() int64 { return m.used.Load() }

// Len is the number of stored objects.
func (m *Memory) Len() int64 { return m.count.Load() }

// Stats returns the store's counters.
func (m *Memory) Stats() *Stats { return &m.stats }

// Get returns the object stored under key, or nil. It does not allocate.
func (m *Memory) Get(key []byte) *Object {
	s, h := m.shard(key)
	s.mu.RLock()
	o := s.objs[h]
	if o != nil && o.key != string(key) {
		o = nil // another key with the same hash
	}
	s.mu.RUnlock()
	if o == nil {
		m.stats.Misses.Add(1)
		return nil
	}
	o.touch()
	m.stats.Hits.Add(1)
	return o
}

// Begin starts or joins the fill for key. The leader (leader == true) must
// eventually call Finish; the others call Wait on the returned fill.
func (m *Memory) Begin(key []byte) (f *Fill, leader bool) {
	s, _ := m.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.fills[string(key)]; f != nil {
		m.stats.Collapsed.Add(1)
		return f, false
	}
	f = &Fill{key: string(key), ready: make(chan struct{})}
	s.fills[f.key] = f
	return f, true
}

// Publish hands obj (whose body may still be growing) to the fill's waiters,
// and to anyone who joins the fill until Finish. A nil obj tells waiters to
// fetch for themselves; err says why, when the origin failed.
func (m *Memory) Publish(f *Fill, obj *Object, err error) { f.publish(obj, err) }

// Finish ends the fill: later requests for its key start a new one. It
// publishes nil to waiters if the leader never published.
func (m *Memory) Finish(f *Fill) {
	f.publish(nil, nil)
	s, _ := m.shardString(f.key)
	s.mu.Lock()
	if s.fills[f.key] == f {
		delete(s.fills, f.key)
	}
	s.mu.Unlock()
}

// Put stores obj under key, replacing what was there, and evicts to stay
// within bounds. An object whose body is complete and whose metadata is a
// Freezer is stored in its frozen form, a compact copy (frozen.go): Get
// returns the copy, while holders of obj carry on with it. Put reports false
// when obj is too large to keep (or its body was detached for growing so).
func (m *Memory) Put(key string, obj *Object) bool {
	size, done, err := obj.State()
	if err != nil && !done || obj.Body != nil && !obj.Body.attached() || size > m.maxObj {
		return false
	}
	given := obj
	if f := freeze(key, obj); f != nil {
		obj = f
	}
	if obj.Frozen() {
		key = obj.key // a view of its own bytes: nothing keeps the caller's copy
	}
	cost := obj.cost
	if !obj.Frozen() {
		cost = streamCost(key, obj)
	}
	if cost > m.maxBytes {
		return false
	}

	m.evictMu.Lock()
	// obj may be stored already: under another key, it moves; under key, the
	// old cost must leave the accounting before the new one replaces it.
	if given.queue != queueNone && given.key != key {
		m.removeLocked(given.key, given)
	}
	s, h := m.shardString(key)
	s.mu.RLock()
	old := s.objs[h]
	s.mu.RUnlock()
	wasMain := false
	if old != nil {
		// A replacement (a 304 refresh, a refetch) is the same content's
		// newer copy: it keeps the old one's standing in the main queue.
		// (Another key with the same hash just leaves.)
		wasMain = old.queue == queueMain && old.key == key
		m.unlinkLocked(old) // still found by Get until replaced below
	}
	// Make room first, as the paper does: obj cannot be its own victim.
	for m.used.Load()+cost > m.maxBytes {
		victim, toGhost := m.evict.victim()
		if victim == nil {
			break
		}
		if toGhost {
			m.evict.ghostAdd(maphash.String(m.seed, victim.key))
		}
		m.dropLocked(victim)
		m.stats.Evictions.Add(1)
	}
	s.mu.Lock()
	if obj.key != key {
		obj.key = key
	}
	obj.cost = cost
	s.objs[h] = obj
	s.mu.Unlock()
	ghost := m.evict.ghostHas(h)
	m.evict.insert(obj, ghost || wasMain)
	m.used.Add(cost)
	m.count.Add(1)
	m.stats.Inserts.Add(1)
	m.evictMu.Unlock()
	return true
}

// Remove deletes the object under key when it is obj (or anything, when obj
// is nil), and reports whether something was removed.
func (m *Memory) Remove(key string, obj *Object) bool {
	if obj == nil {
		// An invalidation: a fill in flight for key fetched too early.
		s, _ := m.shardString(key)
		s.mu.RLock()
		if f := s.fills[key]; f != nil {
			f.invalidated.Store(true)
		}
		s.mu.RUnlock()
	}
	m.evictMu.Lock()
	defer m.evictMu.Unlock()
	return m.removeLocked(key, obj)
}

func (m *Memory) removeLocked(key string, obj *Object) bool {
	s, h := m.shardString(key)
	s.mu.Lock()
	cur := s.objs[h]
	if cur == nil || cur.key != key || (obj != nil && cur != obj) {
		s.mu.Unlock()
		return false
	}
	delete(s.objs, h)
	s.mu.Unlock()
	m.unlinkLocked(cur)
	return true
}

// Range calls fn for every stored object until fn returns false. It sees a
// moment's view of each shard and holds no lock while fn runs.
func (m *Memory) Range(fn func(key string, o *Object) bool) {
	var batch []*Object
	for i := range m.shards {
		s := &m.shards[i]
		batch = batch[:0]
		s.mu.RLock()
		for _, o := range s.objs {
			batch = append(batch, o)
		}
		s.mu.RUnlock()
		for _, o := range batch {
			if !fn(o.key, o) {
				return
			}
		}
	}
}

// dropLocked removes an evicted object from its shard and the accounting.
func (m *Memory) dropLocked(o *Object) {
	s, h := m.shardString(o.key)
	s.mu.Lock()
	if s.objs[h] == o {
		delete(s.objs, h)
	}
	s.mu.Unlock()
	m.used.Add(-o.cost)
	m.count.Add(-1)
}

// unlinkLocked takes a replaced or removed object out of the queues.
func (m *Memory) unlinkLocked(o *Object) {
	if m.evict.remove(o) {
		m.used.Add(-o.cost)
		m.count.Add(-1)
	}
}
