package store

import (
	"container/list"
	"fmt"
	"math/rand/v2"
	"testing"
)

// lru is a plain least-recently-used cache of a fixed number of keys, the
// baseline S3-FIFO claims to beat on skewed traffic.
type lru struct {
	cap   int
	order *list.List // front is most recent
	elems map[string]*list.Element
}

func newLRU(n int) *lru {
	return &lru{cap: n, order: list.New(), elems: make(map[string]*list.Element, n)}
}

// access reports a hit, or inserts key (evicting the least recent) on a miss.
func (c *lru) access(key string) bool {
	if e, ok := c.elems[key]; ok {
		c.order.MoveToFront(e)
		return true
	}
	c.elems[key] = c.order.PushFront(key)
	if c.order.Len() > c.cap {
		e := c.order.Back()
		c.order.Remove(e)
		delete(c.elems, e.Value.(string))
	}
	return false
}

// cacheOf returns a store holding exactly n objects of bodySize bytes under
// keys of keyLen bytes, and a function that serves a key as the edge does:
// Get, and Put on a miss. It reports hits.
func cacheOf(n, keyLen, bodySize int) (*Memory, func(key string) bool) {
	body := CompleteBody(make([]byte, bodySize))
	m := NewMemory(int64(n)*cost(string(make([]byte, keyLen)), bodySize, 0), 0)
	return m, func(key string) bool {
		if m.Get([]byte(key)) != nil {
			return true
		}
		m.Put(key, NewObjectWithBody(nil, 0, body))
		return false
	}
}

// TestS3FIFOBeatsLRUOnZipf replays a Zipf-distributed trace of equal-sized
// objects against the store and an LRU of the same capacity.
func TestS3FIFOBeatsLRUOnZipf(t *testing.T) {
	keys, requests := 100_000, 1_000_000
	if raceEnabled || testing.Short() {
		keys, requests = 10_000, 100_000
	}
	rng := rand.New(rand.NewPCG(2023, 10))
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(keys-1))
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("obj-%07d", i) // equal lengths: equal costs
	}
	trace := make([]string, requests)
	for i := range trace {
		trace[i] = names[zipf.Uint64()]
	}
	for _, pct := range []int{1, 2, 5, 10} {
		t.Run(fmt.Sprintf("%d%%", pct), func(t *testing.T) {
			t.Parallel()
			n := keys * pct / 100
			m, serve := cacheOf(n, len(names[0]), 100)
			l := newLRU(n)
			var s3Hits, lruHits int
			for _, key := range trace {
				if serve(key) {
					s3Hits++
				}
				if l.access(key) {
					lruHits++
				}
			}
			s3, lr := float64(s3Hits)/float64(requests), float64(lruHits)/float64(requests)
			t.Logf("cache %d of %d keys: S3-FIFO hit ratio %.4f, LRU %.4f (%+.2f points)", n, keys, s3, lr, 100*(s3-lr))
			if m.Len() != int64(n) {
				t.Errorf("store holds %d objects, sized for %d", m.Len(), n)
			}
			if s3 < lr {
				t.Errorf("S3-FIFO hit ratio %.4f below LRU %.4f", s3, lr)
			}
		})
	}
}

// TestScanResistance warms a hot set, then streams a one-time sequential
// scan of ten times the cache's capacity through it while the hot keys keep
// being requested now and then. The hot set must survive: scanned keys are
// one-hit wonders the small queue filters out. An LRU loses it.
func TestScanResistance(t *testing.T) {
	const (
		capacity = 1000
		hot      = 400
		scan     = 10 * capacity
	)
	m, serve := cacheOf(capacity, 10, 100)
	l := newLRU(capacity)
	hotKey := func(i int) string { return fmt.Sprintf("hot-%06d", i) }
	for range 3 {
		for i := range hot {
			serve(hotKey(i))
			l.access(hotKey(i))
		}
	}
	for i := range scan {
		k := fmt.Sprintf("scn-%06d", i)
		if serve(k) {
			t.Fatalf("scan key %s hit", k)
		}
		l.access(k)
		if i%10 == 0 { // each hot key about every 4000 scanned ones
			h := hotKey(i / 10 % hot)
			serve(h)
			l.access(h)
		}
	}
	var s3Kept, lruKept int
	for i := range hot {
		if m.Get([]byte(hotKey(i))) != nil {
			s3Kept++
		}
		if _, ok := l.elems[hotKey(i)]; ok {
			lruKept++
		}
	}
	t.Logf("hot keys kept through the scan: S3-FIFO %d/%d, LRU %d/%d", s3Kept, hot, lruKept, hot)
	if s3Kept < hot*95/100 {
		t.Errorf("S3-FIFO kept %d of %d hot keys through the scan", s3Kept, hot)
	}
	if lruKept > hot/2 {
		t.Errorf("LRU kept %d of %d hot keys: the scan is too gentle to show anything", lruKept, hot)
	}
	if m.Used() > m.maxBytes {
		t.Fatalf("Used %d over %d", m.Used(), m.maxBytes)
	}
}

// TestGhostSendsReturningKeyToMain checks the ghost queue: a key evicted
// from the small queue unread goes straight to main when it comes back,
// while a never-seen key starts in small.
func TestGhostSendsReturningKeyToMain(t *testing.T) {
	m, serve := cacheOf(100, 6, 10)
	serve("first ")
	for i := range 200 {
		serve(fmt.Sprintf("k%05d", i))
	}
	if m.Get([]byte("first ")) != nil {
		t.Fatal("a key read once survived 200 newer ones in a cache of 100")
	}
	serve("first ")
	if o := m.Get([]byte("first ")); o == nil || o.queue != queueMain {
		t.Fatalf("returning key not put in main (queue %v)", o.queue)
	}
	serve("new   ")
	if o := m.Get([]byte("new   ")); o == nil || o.queue != queueSmall {
		t.Fatal("a new key did not start in small")
	}
}

// TestGhostRemembersLatest adds a key to the ghost, takes it out (it came
// back), adds it again, and then adds fewer other keys than the ghost holds:
// the key must still be remembered, its earlier entry notwithstanding.
func TestGhostRemembersLatest(t *testing.T) {
	var e evictor
	e.init(1 << 20)
	const limit = 1024 // the ghost's least capacity
	e.ghostAdd(1)
	if !e.ghostHas(1) || e.ghostHas(1) {
		t.Fatal("ghostHas does not report, then forget, a key")
	}
	e.ghostAdd(1)
	for h := uint64(100); h < 100+limit-1; h++ {
		e.ghostAdd(h)
	}
	if !e.ghostHas(1) {
		t.Fatalf("key added %d keys ago forgotten by a ghost of %d", limit-1, limit)
	}
	// And the ghost does forget: the oldest of the others goes with the next add.
	e.ghostAdd(7)
	e.ghostAdd(8)
	if e.ghostHas(100) {
		t.Fatal("ghost remembers more keys than its capacity")
	}
}

// TestGhostIsFIFO grows the main queue, and so the ghost's capacity, after
// the ghost has filled: it must still forget its oldest keys first.
func TestGhostIsFIFO(t *testing.T) {
	var e evictor
	e.init(1 << 20)
	add := func(from, to uint64) {
		for h := from; h <= to; h++ {
			e.ghostAdd(h)
		}
	}
	add(1, 1500)    // over the least capacity, 1024
	e.main.n = 2000 // the main queue grew: the ghost may hold 2000 keys
	add(10_001, 11_000)
	add(20_001, 21_500)
	// The last 2000 added: 10501..11000 and 20001..21500.
	for _, h := range []uint64{10_501, 10_976, 11_000, 20_001, 21_500} {
		if !e.ghostHas(h) {
			t.Errorf("ghost forgot key %d, one of the last 2000 added", h)
		}
	}
	for _, h := range []uint64{1, 476, 1025, 1500, 10_001, 10_500} {
		if e.ghostHas(h) {
			t.Errorf("ghost still remembers key %d, older than the last 2000", h)
		}
	}
	// The main queue shrank: the next add trims the ghost to the last 1024.
	e.main.n = 0
	e.ghostAdd(30_000)
	// 20478..21500 and 30000, less 21500 taken out by ghostHas above.
	if e.ghost.live != 1023 {
		t.Errorf("ghost holds %d keys after shrinking, want 1023", e.ghost.live)
	}
	for _, h := range []uint64{20_478, 21_499, 30_000} {
		if !e.ghostHas(h) {
			t.Errorf("ghost forgot key %d, one of the last 1024 added", h)
		}
	}
	if e.ghostHas(20_477) {
		t.Error("ghost kept more than 1024 keys after shrinking")
	}
}

// TestVictim checks the eviction order on hand-built queues.
func TestVictim(t *testing.T) {
	mk := func(key string, freq int32) *Object {
		o := newExt(nil, 0, nil)
		o.ext().key, o.ext().cost = key, 10
		o.freq.Store(freq)
		return o
	}
	t.Run("small unread goes to ghost", func(t *testing.T) {
		var e evictor
		e.init(100) // small's share is 10 bytes: one object
		a, b := mk("a", 0), mk("b", 0)
		e.insert(a, false)
		e.insert(b, false)
		if v, ghost := e.victim(); v != a || !ghost {
			t.Fatalf("victim = %v, ghost %v; want a, true", v.Key(), ghost)
		}
	})
	t.Run("small read moves to main", func(t *testing.T) {
		var e evictor
		e.init(100)
		a, b, c := mk("a", 0), mk("b", 0), mk("c", 0)
		e.insert(a, false)
		e.insert(b, false)
		e.insert(c, false)
		a.touch()
		if v, ghost := e.victim(); v != b || !ghost {
			t.Fatalf("victim = %v, ghost %v; want b, true", v.Key(), ghost)
		}
		if a.queue != queueMain || a.freq.Load() != 0 || e.main.n != 1 || e.small.n != 1 {
			t.Fatalf("a: queue %d freq %d; main %d small %d", a.queue, a.freq.Load(), e.main.n, e.small.n)
		}
	})
	t.Run("main reinserts while freq lasts", func(t *testing.T) {
		var e evictor
		e.init(1000) // small within its share: main is evicted
		a, b, c := mk("a", 0), mk("b", 0), mk("c", 0)
		for _, o := range []*Object{a, b, c} {
			e.insert(o, true)
		}
		e.insert(mk("s", 0), false)
		a.touch()
		a.touch()
		b.touch()
		// main, tail first: a(2) b(1) c(0)
		var got []string
		for range 3 {
			v, ghost := e.victim()
			if ghost {
				t.Fatalf("main victim %s sent to ghost", v.Key())
			}
			got = append(got, v.Key())
		}
		if fmt.Sprint(got) != "[c b a]" || e.main.n != 0 || e.small.n != 1 {
			t.Fatalf("main evicted %v, want [c b a]; main %d small %d", got, e.main.n, e.small.n)
		}
	})
	t.Run("freq saturates at 3", func(t *testing.T) {
		o := mk("o", 0)
		for range 10 {
			o.touch()
		}
		if f := o.freq.Load(); f != 3 {
			t.Fatalf("freq = %d after 10 touches, want 3", f)
		}
	})
	t.Run("empty", func(t *testing.T) {
		var e evictor
		e.init(100)
		if v, _ := e.victim(); v != nil {
			t.Fatal("victim from empty queues")
		}
	})
}
