package store

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestFullHashCollisions makes every key hash to the same 64 bits (one
// shard, one starting slot, one tag): each key must still find its own
// object, removals must leave the others reachable, and storing, replacing
// and evicting must keep the accounting whole.
func TestFullHashCollisions(t *testing.T) {
	for _, mask := range []uint64{0, 0xff00} { // all 64 bits; all but 8 (one shard, one tag)
		t.Run(fmt.Sprintf("mask %#x", mask), func(t *testing.T) {
			m := NewMemory(1<<20, 0)
			m.hashMask = mask
			const n = 300
			key := func(i int) string { return fmt.Sprintf("collide-%03d", i) }
			for i := range n {
				if !m.Put(key(i), fzObject("HEAD", key(i))) {
					t.Fatalf("Put %d refused", i)
				}
			}
			check := func(what string, present func(int) bool) {
				t.Helper()
				for i := range n {
					o := m.Get([]byte(key(i)))
					switch {
					case present(i) && (o == nil || o.Key() != key(i) || readObject(t, o) != key(i)):
						t.Fatalf("%s: Get(%s) = %v", what, key(i), o)
					case !present(i) && o != nil:
						t.Fatalf("%s: Get(%s) found %q", what, key(i), o.Key())
					}
				}
				var count, used int64
				m.Range(func(k string, o *Object) bool {
					count++
					used += o.cost()
					if i, err := strconv.Atoi(strings.TrimPrefix(k, "collide-")); err != nil || !present(i) {
						t.Errorf("%s: Range gave removed key %q", what, k)
					}
					return true
				})
				if count != m.Len() || used != m.Used() {
					t.Fatalf("%s: Range saw %d objects, %d bytes; Len %d, Used %d", what, count, used, m.Len(), m.Used())
				}
			}
			check("all stored", func(int) bool { return true })
			for i := 0; i < n; i += 3 {
				if !m.Remove(key(i), nil) {
					t.Fatalf("Remove(%s) found nothing", key(i))
				}
			}
			check("every third removed", func(i int) bool { return i%3 != 0 })
			// Replacing one key leaves its neighbours in the probe chain alone.
			m.Put(key(1), fzObject("HEAD", "new one"))
			if o := m.Get([]byte(key(1))); o == nil || readObject(t, o) != "new one" {
				t.Fatal("replacement not found")
			}
			m.Put(key(1), fzObject("HEAD", key(1)))
			check("after a replacement", func(i int) bool { return i%3 != 0 })
			// Absent keys with the same hash miss.
			if m.Get([]byte("collide-999")) != nil || m.Remove("collide-999", nil) {
				t.Fatal("an absent colliding key was found")
			}
		})
	}
}

// TestCollisionsUnderEviction fills a small store whose keys all collide
// well past its bound: evictions find their victims, and what is left adds
// up.
func TestCollisionsUnderEviction(t *testing.T) {
	m := NewMemory(32<<10, 0)
	m.hashMask = 0
	for i := range 2000 {
		k := fmt.Sprintf("k%d", i)
		m.Put(k, fzObject("HEAD", strings.Repeat("b", i%200)))
		if i%4 == 0 {
			m.Get([]byte(k))
		}
	}
	var n, used int64
	m.Range(func(k string, o *Object) bool {
		n++
		used += o.cost()
		if m.Get([]byte(k)) != o {
			t.Errorf("%s: Range's object is not what Get finds", k)
		}
		return true
	})
	if n != m.Len() || used != m.Used() || m.Used() > 32<<10 || m.Stats().Evictions.Load() == 0 {
		t.Fatalf("Len %d Used %d; the objects add up to %d, %d; evictions %d", m.Len(), m.Used(), n, used, m.Stats().Evictions.Load())
	}
	if q := m.evict.small.n + m.evict.main.n; int64(q) != m.Len() {
		t.Fatalf("queues hold %d objects, Len is %d", q, m.Len())
	}
}
