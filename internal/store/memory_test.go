package store

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// object returns a stored-ready object with a complete body of size bytes.
func object(size int) *Object {
	o := NewObject(nil, 0)
	if size > 0 {
		o.Body().Write(make([]byte, size))
	}
	o.Body().Close(nil)
	return o
}

// setMeta gives a test object other metadata, as if made with it.
func setMeta(o *Object, meta any, metaSize int) {
	x := o.ext()
	x.meta, x.metaSize = meta, metaSize
}

// cost is what the store should account for an object under key, kept in
// its growing form (its metadata is no Freezer) with its body in one chunk.
func cost(key string, size, metaSize int) int64 {
	c := int64(size + len(key) + metaSize + streamOverhead)
	if size > 0 {
		c += chunkOverhead
	}
	return c
}

// checkAccounting compares Used and Len with what Range sees, and checks
// that every ranged object is found under its key.
func checkAccounting(t *testing.T, m *Memory) {
	t.Helper()
	var n, used int64
	m.Range(func(key string, o *Object) bool {
		n++
		used += cost(key, int(o.Body().Size()), o.MetaSize())
		if o.Key() != key {
			t.Errorf("Range gave key %q for an object with Key %q", key, o.Key())
		}
		return true
	})
	if m.Len() != n || m.Used() != used {
		t.Fatalf("Len, Used = %d, %d; the stored objects add up to %d, %d", m.Len(), m.Used(), n, used)
	}
	if m.Used() > m.maxBytes {
		t.Fatalf("Used %d over the bound %d", m.Used(), m.maxBytes)
	}
}

func TestMemoryGetPutRemove(t *testing.T) {
	m := NewMemory(1<<20, 0)
	a, b := object(10), object(20)
	setMeta(a, "meta a", 6)

	steps := []struct {
		name string
		do   func() bool
		want bool
		// after the step
		key  string
		get  *Object
		n    int64
		used int64
	}{
		{"get missing", func() bool { return m.Get([]byte("a")) != nil }, false, "a", nil, 0, 0},
		{"put a", func() bool { return m.Put("a", a) }, true, "a", a, 1, cost("a", 10, 6)},
		{"put b", func() bool { return m.Put("bb", b) }, true, "bb", b, 2, cost("a", 10, 6) + cost("bb", 20, 0)},
		{"remove missing", func() bool { return m.Remove("c", nil) }, false, "c", nil, 2, cost("a", 10, 6) + cost("bb", 20, 0)},
		{"remove a", func() bool { return m.Remove("a", nil) }, true, "a", nil, 1, cost("bb", 20, 0)},
		{"remove a again", func() bool { return m.Remove("a", nil) }, false, "bb", b, 1, cost("bb", 20, 0)},
		{"remove bb exact", func() bool { return m.Remove("bb", b) }, true, "bb", nil, 0, 0},
	}
	for _, s := range steps {
		if got := s.do(); got != s.want {
			t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
		}
		if got := m.Get([]byte(s.key)); got != s.get {
			t.Fatalf("%s: Get(%q) = %p, want %p", s.name, s.key, got, s.get)
		}
		if m.Len() != s.n || m.Used() != s.used {
			t.Fatalf("%s: Len, Used = %d, %d; want %d, %d", s.name, m.Len(), m.Used(), s.n, s.used)
		}
		checkAccounting(t, m)
	}
	if a.Key() != "a" || b.Key() != "bb" {
		t.Fatalf("Key() = %q, %q", a.Key(), b.Key())
	}
	st := m.Stats()
	if st.Inserts.Load() != 2 || st.Hits.Load() != 3 || st.Misses.Load() != 5 {
		t.Fatalf("stats: inserts %d hits %d misses %d; want 2, 3, 5",
			st.Inserts.Load(), st.Hits.Load(), st.Misses.Load())
	}
}

func TestMemoryRange(t *testing.T) {
	m := NewMemory(1<<20, 0)
	want := map[string]*Object{}
	for i := range 200 {
		k := fmt.Sprintf("key-%d", i)
		want[k] = object(i)
		m.Put(k, want[k])
	}
	seen := map[string]bool{}
	m.Range(func(key string, o *Object) bool {
		if want[key] != o {
			t.Errorf("Range gave %q -> %p, stored %p", key, o, want[key])
		}
		if seen[key] {
			t.Errorf("Range gave %q twice", key)
		}
		seen[key] = true
		return true
	})
	if len(seen) != len(want) {
		t.Fatalf("Range saw %d objects, want %d", len(seen), len(want))
	}
	calls := 0
	m.Range(func(string, *Object) bool { calls++; return calls < 5 })
	if calls != 5 {
		t.Fatalf("Range went on for %d calls after fn returned false at 5", calls)
	}
	// fn may use the store: Range holds no lock while it runs.
	m.Range(func(key string, o *Object) bool {
		m.Remove(key, o)
		m.Get([]byte(key))
		return true
	})
	if m.Len() != 0 || m.Used() != 0 {
		t.Fatalf("after removing all in Range: Len %d, Used %d", m.Len(), m.Used())
	}
}

func TestMemoryReplace(t *testing.T) {
	tests := []struct {
		name    string
		sizes   []int // successive objects Put under one key
		metaOld int
		metaNew int
	}{
		{"grow", []int{10, 100}, 0, 0},
		{"shrink", []int{1000, 1}, 0, 0},
		{"same size", []int{50, 50}, 0, 0},
		{"meta", []int{50, 50}, 10, 300},
		{"many", []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(1<<20, 0)
			m.Put("other", object(7))
			var last *Object
			for i, size := range tt.sizes {
				o := object(size)
				setMeta(o, nil, tt.metaOld)
				if i == len(tt.sizes)-1 {
					setMeta(o, nil, tt.metaNew)
				}
				if !m.Put("k", o) {
					t.Fatalf("Put(%d bytes) refused", size)
				}
				last = o
			}
			if m.Get([]byte("k")) != last {
				t.Fatal("Get does not return the last object Put")
			}
			wantUsed := cost("other", 7, 0) + cost("k", tt.sizes[len(tt.sizes)-1], tt.metaNew)
			if m.Len() != 2 || m.Used() != wantUsed {
				t.Fatalf("Len, Used = %d, %d; want 2, %d", m.Len(), m.Used(), wantUsed)
			}
			checkAccounting(t, m)
			m.Remove("k", nil)
			m.Remove("other", nil)
			if m.Len() != 0 || m.Used() != 0 {
				t.Fatalf("after removing all: Len, Used = %d, %d", m.Len(), m.Used())
			}
		})
	}
}

// TestMemoryPutSameObjectAgain stores an object while its body is still
// growing and again once it is complete: the second Put must account the
// object's new size, not keep the old.
func TestMemoryPutSameObjectAgain(t *testing.T) {
	m := NewMemory(1<<20, 0)
	o := NewObject(nil, 0)
	o.Body().Write(make([]byte, 10))
	m.Put("k", o)
	if m.Used() != cost("k", 10, 0) {
		t.Fatalf("Used = %d, want %d", m.Used(), cost("k", 10, 0))
	}
	o.Body().Write(make([]byte, 990))
	o.Body().Close(nil)
	m.Put("k", o)
	want := cost("k", 1000, 0) + chunkOverhead // two chunks
	if m.Len() != 1 || m.Used() != want {
		t.Fatalf("after re-Put: Len, Used = %d, %d; want 1, %d", m.Len(), m.Used(), want)
	}
	m.Remove("k", o)
	if m.Len() != 0 || m.Used() != 0 {
		t.Fatalf("after Remove: Len, Used = %d, %d; want 0, 0", m.Len(), m.Used())
	}
}

// TestMemoryPutUnderNewKey stores one object under a second key: it moves
// there, and the queues and accounting stay whole.
func TestMemoryPutUnderNewKey(t *testing.T) {
	m := NewMemory(1<<20, 0)
	o := object(10)
	m.Put("a", o)
	m.Put("b", o)
	if m.Get([]byte("a")) != nil || m.Get([]byte("b")) != o || o.Key() != "b" {
		t.Fatalf("after Put under b: a -> %p, b -> %p, Key %q", m.Get([]byte("a")), m.Get([]byte("b")), o.Key())
	}
	if m.Len() != 1 || m.Used() != cost("b", 10, 0) {
		t.Fatalf("Len, Used = %d, %d; want 1, %d", m.Len(), m.Used(), cost("b", 10, 0))
	}
	if n := m.evict.small.n + m.evict.main.n; n != 1 {
		t.Fatalf("queues hold %d objects, want 1", n)
	}
	if !m.Remove("b", o) || m.Len() != 0 || m.Used() != 0 {
		t.Fatalf("after Remove: Len, Used = %d, %d", m.Len(), m.Used())
	}
}

func TestMemorySizeBound(t *testing.T) {
	const max = 64 << 10
	m := NewMemory(max, 0)
	rng := rand.New(rand.NewPCG(1, 1))
	n := 20000
	if raceEnabled {
		n = 5000
	}
	for i := range n {
		key := fmt.Sprintf("k%d", rng.IntN(2000))
		size := rng.IntN(int(m.MaxObject()) + 1)
		switch rng.IntN(10) {
		case 0:
			m.Remove(key, nil)
		case 1, 2, 3:
			m.Get([]byte(key))
		default:
			o := object(size)
			if !m.Put(key, o) {
				t.Fatalf("Put of %d bytes (MaxObject %d) refused", size, m.MaxObject())
			}
			if m.Get([]byte(key)) != o {
				t.Fatalf("Put of %d bytes reported true but did not keep it", size)
			}
		}
		if m.Used() > max {
			t.Fatalf("after %d operations Used = %d > %d", i+1, m.Used(), max)
		}
		if i%997 == 0 {
			checkAccounting(t, m)
		}
	}
	checkAccounting(t, m)
	if m.Stats().Evictions.Load() == 0 {
		t.Fatal("no evictions: the test did not fill the store")
	}
	if q := m.evict.small.n + m.evict.main.n; int64(q) != m.Len() {
		t.Fatalf("queues hold %d objects, Len is %d", q, m.Len())
	}
}

// TestMemoryPutKeepsWhatItAccepts fills the store with read objects, then
// Puts one bigger than the small queue's tenth: Put makes room for it by
// evicting others, never by evicting the object it was asked to store.
func TestMemoryPutKeepsWhatItAccepts(t *testing.T) {
	m := NewMemory(10_000, 0) // MaxObject 1250; small queue's share 1000
	for i := range 20 {
		k := fmt.Sprintf("k%02d", i)
		m.Put(k, object(300))
		m.Get([]byte(k))
	}
	big := object(1100)
	if !m.Put("big", big) {
		t.Fatal("Put refused an object within MaxObject")
	}
	if m.Get([]byte("big")) != big {
		t.Fatal("Put reported true but evicted the object it stored")
	}
	checkAccounting(t, m)
}

// TestMemoryRefusesDetached: a detached body can no longer be read from its
// start, so storing it would serve ErrDetached on every hit.
func TestMemoryRefusesDetached(t *testing.T) {
	m := NewMemory(1<<20, 0)
	o := NewObject(nil, 0)
	o.Body().Write([]byte("streamed through"))
	o.Body().Detach()
	o.Body().Close(nil)
	if m.Put("k", o) || m.Get([]byte("k")) != nil || m.Len() != 0 || m.Used() != 0 {
		t.Fatal("Put kept an object whose body is detached")
	}
}

func TestMemoryTooLarge(t *testing.T) {
	tests := []struct {
		name        string
		max, maxObj int64
		size        int
		want        bool
	}{
		{"default limit is an eighth", 8000, 0, 1000, true},
		{"one over default limit", 8000, 0, 1001, false},
		{"at explicit limit", 8000, 500, 500, true},
		{"over explicit limit", 8000, 500, 501, false},
		{"empty body", 8000, 500, 0, true},
		{"limit above the store", 1000, 4000, 2000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(tt.max, tt.maxObj)
			small := object(1)
			m.Put("k", small)
			m.Put("other", object(2))
			before := m.Used()
			o := object(tt.size)
			if got := m.Put("k", o); got != tt.want {
				t.Fatalf("Put(%d bytes) = %v, want %v (MaxObject %d)", tt.size, got, tt.want, m.MaxObject())
			}
			if tt.want {
				if m.Get([]byte("k")) != o {
					t.Fatal("accepted object not stored")
				}
				return
			}
			if m.Get([]byte("k")) != small || m.Get([]byte("other")) == nil || m.Used() != before {
				t.Fatalf("a refused Put changed the store: k -> %p (had %p), Used %d (was %d)",
					m.Get([]byte("k")), small, m.Used(), before)
			}
			checkAccounting(t, m)
		})
	}
}

func TestMemoryRemoveExact(t *testing.T) {
	m := NewMemory(1<<20, 0)
	o1, o2 := object(10), object(10)
	m.Put("k", o1)
	if m.Remove("k", o2) {
		t.Fatal("Remove(k, other object) removed something")
	}
	if m.Get([]byte("k")) != o1 || m.Len() != 1 {
		t.Fatal("Remove(k, other object) disturbed the stored one")
	}
	m.Put("k", o2) // o1 replaced: removing it now must do nothing
	if m.Remove("k", o1) {
		t.Fatal("Remove(k, replaced object) removed the replacement")
	}
	if m.Get([]byte("k")) != o2 || m.Len() != 1 || m.Used() != cost("k", 10, 0) {
		t.Fatalf("after stale Remove: Get %p (want %p), Len %d, Used %d", m.Get([]byte("k")), o2, m.Len(), m.Used())
	}
	if !m.Remove("k", o2) || m.Get([]byte("k")) != nil || m.Len() != 0 || m.Used() != 0 {
		t.Fatal("Remove(k, stored object) did not remove it")
	}
}

func TestWithMeta(t *testing.T) {
	o := object(5)
	setMeta(o, "old", 0)
	n := o.WithMeta("new", 3)
	if n.Body() != o.Body() || n.Meta() != "new" || n.MetaSize() != 3 || o.Meta() != "old" {
		t.Fatalf("WithMeta: %+v from %+v", n, o)
	}
	m := NewMemory(1<<20, 0)
	m.Put("k", o)
	m.Put("k", n)
	if m.Get([]byte("k")) != n || m.Used() != cost("k", 5, 3) {
		t.Fatalf("after storing the revalidated object: Used %d, want %d", m.Used(), cost("k", 5, 3))
	}
}

func TestGetDoesNotAllocate(t *testing.T) {
	m := NewMemory(1<<20, 0)
	m.Put("present", object(10))
	hit, miss := []byte("present"), []byte("absent")
	if n := testing.AllocsPerRun(100, func() { m.Get(hit); m.Get(miss) }); n != 0 {
		t.Fatalf("Get allocates %v times per call pair", n)
	}
}

// TestMemoryConcurrent mixes every operation from many goroutines; run with
// -race. Afterwards the accounting must still add up.
func TestMemoryConcurrent(t *testing.T) {
	m := NewMemory(32<<10, 0)
	ops := 5000
	if raceEnabled {
		ops = 1000
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			var mine []*Object
			for range ops {
				key := fmt.Sprintf("k%d", rng.IntN(300))
				switch rng.IntN(9) {
				case 0:
					m.Remove(key, nil)
				case 1:
					if len(mine) > 0 {
						o := mine[rng.IntN(len(mine))]
						m.Remove(o.Key(), o)
					}
				case 2:
					m.Range(func(k string, o *Object) bool { return o.Key() == k })
				case 5:
					if len(mine) > 0 { // store again, as when a body completes
						o := mine[rng.IntN(len(mine))]
						m.Put(o.Key(), o)
					}
				case 3, 4:
					o := object(rng.IntN(int(m.MaxObject())))
					m.Put(key, o)
					mine = append(mine, o)
				default:
					if o := m.Get([]byte(key)); o != nil {
						o.Body().Size()
					}
				}
			}
		})
	}
	for range 8 {
		wg.Go(func() {
			for i := range ops {
				key := fmt.Appendf(nil, "f%d", i%20)
				f, leader := m.Begin(key)
				if leader {
					m.Publish(f, object(1), nil)
					m.Finish(f)
				} else {
					f.Wait(t.Context())
				}
			}
		})
	}
	wg.Wait()
	checkAccounting(t, m)
}
