package store

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"unsafe"
)

// shardCount spreads the index over this many locks and tables; many
// small tables also keep each rebuild (a table's growth) short.
const shardCount = 256

// Memory is a size-bounded in-memory object index with S3-FIFO eviction.
//
// Lookups take a shard's read lock and bump the object's access counter;
// they never touch the eviction queues. Inserts and evictions take one lock:
// they happen on misses, which already wait on an origin.
type Memory struct {
	seed maphash.Seed
	// hashMask is all ones; tests clear bits of it to make keys collide.
	hashMask uint64
	shards   [shardCount]shard
	maxBytes int64
	maxObj   int64

	evict evictor // guarded by evictMu
	used  atomic.Int64
	count atomic.Int64

	evictMu sync.Mutex
	stats   Stats
}

// shard holds the objects whose keys hash to it (index.go) and the fills
// in flight for them. It fills a cache line, so that read locks taken on
// one shard do not slow lookups on its neighbours.
type shard struct {
	mu    sync.RWMutex
	objs  index
	fills map[string]*Fill
	_     [64 - (unsafe.Sizeof(sync.RWMutex{})+unsafe.Sizeof(index{})+8)%64]byte
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
	m := &Memory{seed: maphash.MakeSeed(), hashMask: ^uint64(0), maxBytes: maxBytes, maxObj: maxObject}
	for i := range m.shards {
		m.shards[i].fills = make(map[string]*Fill)
	}
	m.evict.init(maxBytes)
	return m
}

// hash is key's 64-bit hash: the low bits choose the shard, the others the
// slot in its index and the slot's tag.
func (m *Memory) hash(key string) uint64 { return maphash.String(m.seed, key) & m.hashMask }

func (m *Memory) shard(key []byte) (*shard, uint64) {
	return m.shardString(unsafe.String(unsafe.SliceData(key), len(key)))
}

func (m *Memory) shardString(key string) (*shard, uint64) {
	h := m.hash(key)
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
	// A view of key's bytes, not a copy: get does not keep it.
	o := s.objs.get(h, unsafe.String(unsafe.SliceData(key), len(key)))
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
	if err != nil && !done || obj.Body() != nil && !obj.Body().attached() || size > m.maxObj {
		return false
	}
	given := obj
	if f := freeze(key, obj); f != nil {
		obj = f
	} else if obj.Frozen() && obj.Key() != key {
		obj = thaw(obj) // too large to freeze beside the new key
	}
	if obj.Frozen() {
		key = obj.Key() // a view of its own bytes: nothing keeps the caller's copy
	}
	cost := obj.cost()
	if !obj.Frozen() {
		cost = streamCost(key, obj)
	}
	if cost > m.maxBytes {
		return false
	}

	m.evictMu.Lock()
	// obj may be stored already: under another key, it moves; under key, the
	// old cost must leave the accounting before the new one replaces it.
	if given.queue != queueNone && given.Key() != key {
		m.removeLocked(given.Key(), given)
	}
	s, h := m.shardString(key)
	s.mu.RLock()
	old := s.objs.get(h, key)
	s.mu.RUnlock()
	wasMain := false
	if old != nil {
		// A replacement (a 304 refresh, a refetch) is the same content's
		// newer copy: it keeps the old one's standing in the main queue.
		wasMain = old.queue == queueMain
		m.unlinkLocked(old) // still found by Get until replaced below
	}
	// Make room first, as the paper does: obj cannot be its own victim.
	for m.used.Load()+cost > m.maxBytes {
		victim, toGhost := m.evict.victim()
		if victim == nil {
			break
		}
		if toGhost {
			m.evict.ghostAdd(m.hash(victim.Key()))
		}
		m.dropLocked(victim)
		m.stats.Evictions.Add(1)
	}
	s.mu.Lock()
	if x := obj.ext(); x != nil {
		if x.key != key {
			x.key = key
		}
		x.cost = cost
	}
	s.objs.set(h, key, obj, m.hash)
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
	i := s.objs.find(h, key)
	if i < 0 || (obj != nil && s.objs.objs[i] != obj) {
		s.mu.Unlock()
		return false
	}
	cur := s.objs.objs[i]
	s.objs.del(i, m.hash)
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
		s.objs.each(func(o *Object) { batch = append(batch, o) })
		s.mu.RUnlock()
		for _, o := range batch {
			if !fn(o.Key(), o) {
				return
			}
		}
	}
}

// dropLocked removes an evicted object from its shard and the accounting.
func (m *Memory) dropLocked(o *Object) {
	s, h := m.shardString(o.Key())
	s.mu.Lock()
	if i := s.objs.find(h, o.Key()); i >= 0 && s.objs.objs[i] == o {
		s.objs.del(i, m.hash)
	}
	s.mu.Unlock()
	m.used.Add(-o.cost())
	m.count.Add(-1)
}

// unlinkLocked takes a replaced or removed object out of the queues.
func (m *Memory) unlinkLocked(o *Object) {
	if m.evict.remove(o) {
		m.used.Add(-o.cost())
		m.count.Add(-1)
	}
}
