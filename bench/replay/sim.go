package main

import (
	"container/list"

	"github.com/pharos-cdn/pharos/internal/store"
)

// config is one cache to simulate. Every policy charges an object what
// store.Memory charges (body + key + overhead, no metadata) and refuses, as
// it does, bodies over maxObject and objects costing more than capacity.
type config struct {
	capacity  int64
	maxObject int64
	overhead  int64
}

func (c config) admits(size, cost int64) bool {
	return size <= c.maxObject && cost <= c.capacity
}

// result counts hits. A request hits when the cache holds its key with the
// requested size; a cached copy of another size is replaced, as a miss.
type result struct {
	hits, hitBytes int64
}

// storeOverhead measures the store's fixed per-object charge (unexported)
// for an object like the replay's: a complete one-chunk body and no edge
// metadata, so that the other policies charge the same.
func storeOverhead() int64 {
	m := store.NewMemory(1<<20, 0)
	if !m.Put("k", store.NewObjectWithBody(nil, 0, store.CompleteBody([]byte{0}))) {
		panic("store refused a one-byte object")
	}
	return m.Used() - int64(len("k")) - 1
}

// simS3FIFO replays t through the real store: Get on every request, Put on a
// miss. Bodies are views of one zero buffer, one Body per size (a Body can be
// shared by objects, as Object.WithMeta does), so objects cost the simulation
// a few words each while the store accounts their full size.
func simS3FIFO(t *trace, c config) result {
	m := store.NewMemory(c.capacity, c.maxObject)
	// A body over maxObject is refused for its size alone, so one just over
	// the limit stands in for all of them and the buffer stays bounded.
	var bufSize int64
	for _, s := range t.sizes {
		bufSize = max(bufSize, min(s, c.maxObject+1))
	}
	buf := make([]byte, bufSize)
	bodies := make(map[int64]*store.Body)
	var r result
	for i, k := range t.reqs {
		size := t.sizes[i]
		if o := m.Get(t.keyBytes[k]); o != nil && o.Body().Size() == size {
			r.hits++
			r.hitBytes += size
			continue
		}
		n := min(size, c.maxObject+1)
		b := bodies[n]
		if b == nil {
			b = store.CompleteBody(buf[:n])
			bodies[n] = b
		}
		m.Put(t.keys[k], store.NewObjectWithBody(nil, 0, b))
	}
	return r
}

type lruEntry struct {
	id         int32
	size, cost int64
}

// simLRU is a byte-bounded LRU: hits move to the front, inserts evict from
// the back until the newcomer fits.
func simLRU(t *trace, c config) result {
	l := list.New()
	elems := make([]*list.Element, len(t.keys))
	var used int64
	var r result
	for i, k := range t.reqs {
		size := t.sizes[i]
		if e := elems[k]; e != nil {
			ent := e.Value.(*lruEntry)
			if ent.size == size {
				r.hits++
				r.hitBytes += size
				l.MoveToFront(e)
				continue
			}
			l.Remove(e)
			elems[k] = nil
			used -= ent.cost
		}
		cost := size + int64(len(t.keys[k])) + c.overhead
		if !c.admits(size, cost) {
			continue
		}
		for used+cost > c.capacity {
			e := l.Back()
			ent := e.Value.(*lruEntry)
			l.Remove(e)
			elems[ent.id] = nil
			used -= ent.cost
		}
		elems[k] = l.PushFront(&lruEntry{id: k, size: size, cost: cost})
		used += cost
	}
	return r
}

// simBelady is the offline farthest-next-use policy: to make room it evicts
// the cached objects whose next request is farthest away, and it declines to
// admit a newcomer that is itself requested later than what it would evict
// (or never again). With equal object costs this is Belady's MIN, the
// optimum; with variable sizes it is the classic heuristic, not the
// (NP-hard) exact optimum. next is t.nextUse().
func simBelady(t *trace, c config, next []int32) result {
	never := int32(len(t.reqs))
	h := beladyHeap{pos: make([]int32, len(t.keys)), prio: make([]int32, len(t.keys))}
	for i := range h.pos {
		h.pos[i] = -1
	}
	cost := make([]int64, len(t.keys))
	csize := make([]int64, len(t.keys))
	var used int64
	var r result
	var popped []int32
	for i, k := range t.reqs {
		size := t.sizes[i]
		if h.pos[k] >= 0 {
			if csize[k] == size {
				r.hits++
				r.hitBytes += size
				h.prio[k] = next[i]
				h.fix(int(h.pos[k]))
				continue
			}
			h.remove(k)
			used -= cost[k]
		}
		kc := size + int64(len(t.keys[k])) + c.overhead
		if !c.admits(size, kc) || next[i] == never {
			continue
		}
		// Evict objects wanted later than the newcomer until it fits; if it
		// cannot fit that way, it is the one to go, and nothing else need.
		popped = popped[:0]
		for used+kc > c.capacity && len(h.ids) > 0 && h.prio[h.ids[0]] > next[i] {
			v := h.pop()
			popped = append(popped, v)
			used -= cost[v]
		}
		if used+kc > c.capacity {
			for _, v := range popped {
				h.push(v)
				used += cost[v]
			}
			continue
		}
		cost[k], csize[k] = kc, size
		h.prio[k] = next[i]
		h.push(k)
		used += kc
	}
	return r
}

// beladyHeap is a max-heap of key ids by prio (next request index), with
// each id's position kept for updates.
type beladyHeap struct {
	ids  []int32
	pos  []int32 // by id; -1 when absent
	prio []int32 // by id
}

func (h *beladyHeap) less(i, j int) bool { return h.prio[h.ids[i]] > h.prio[h.ids[j]] }

func (h *beladyHeap) swap(i, j int) {
	h.ids[i], h.ids[j] = h.ids[j], h.ids[i]
	h.pos[h.ids[i]] = int32(i)
	h.pos[h.ids[j]] = int32(j)
}

func (h *beladyHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *beladyHeap) down(i int) bool {
	start := i
	n := len(h.ids)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

func (h *beladyHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *beladyHeap) push(id int32) {
	h.ids = append(h.ids, id)
	h.pos[id] = int32(len(h.ids) - 1)
	h.up(len(h.ids) - 1)
}

func (h *beladyHeap) pop() int32 {
	id := h.ids[0]
	h.remove(id)
	return id
}

func (h *beladyHeap) remove(id int32) {
	i := int(h.pos[id])
	last := len(h.ids) - 1
	if i != last {
		h.swap(i, last)
	}
	h.ids = h.ids[:last]
	h.pos[id] = -1
	if i != last {
		h.fix(i)
	}
}
