package store

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

// checkIndex compares x with the model and checks its own counts.
func checkIndex(t *testing.T, x *index, model map[string]*Object, hash func(string) uint64) {
	t.Helper()
	live, used := 0, 0
	for i, tag := range x.tags {
		if tag != tagEmpty {
			used++
		}
		if x.objs[i] != nil {
			live++
			if tag <= tagDeleted || tag != tagOf(hash(x.objs[i].Key())) {
				t.Fatalf("slot %d holds %q under tag %d", i, x.objs[i].Key(), tag)
			}
		} else if tag > tagDeleted {
			t.Fatalf("slot %d tagged %d but empty", i, tag)
		}
	}
	if live != x.live || used != x.used || live != len(model) {
		t.Fatalf("live %d (counted %d), used %d (counted %d), model %d", x.live, live, x.used, used, len(model))
	}
	if len(x.tags) > 0 && x.used*8 > len(x.tags)*7 {
		t.Fatalf("%d of %d slots used: over 7/8", x.used, len(x.tags))
	}
	for k, o := range model {
		if got := x.get(hash(k), k); got != o {
			t.Fatalf("get(%q) = %p, want %p", k, got, o)
		}
	}
}

func keyed(k string) *Object {
	o := newExt(nil, 0, nil)
	o.ext().key = k
	return o
}

// TestIndexAgainstAMap runs random sets and deletes against the index and
// a map, with hashes that collide in few, some or no bits, and checks after
// each step that they agree. Deletes shrink it back at the end.
func TestIndexAgainstAMap(t *testing.T) {
	seed := maphash.MakeSeed()
	for _, tt := range []struct {
		name string
		mask uint64
	}{{"every hash equal", 0}, {"16 hashes", 0xf << 56}, {"256 starting slots", 0xff << 8}, {"full hashes", ^uint64(0)}} {
		t.Run(tt.name, func(t *testing.T) {
			hash := func(k string) uint64 { return maphash.String(seed, k) & tt.mask }
			var x index
			model := map[string]*Object{}
			rng := rand.New(rand.NewPCG(4, 2))
			keys := 3000 // enough to grow past 1024 slots and shrink back
			if tt.mask != ^uint64(0) {
				keys = 300 // probes walk long chains
			}
			for step := range 20 * keys {
				k := fmt.Sprintf("key-%d", rng.IntN(keys))
				h := hash(k)
				if rng.IntN(3) == 0 {
					if i := x.find(h, k); i >= 0 {
						x.del(i, hash)
					}
					delete(model, k)
				} else {
					o := keyed(k)
					x.set(h, k, o, hash)
					model[k] = o
				}
				if x.get(h, k) != model[k] {
					t.Fatalf("step %d: get(%q) = %p, want %p", step, k, x.get(h, k), model[k])
				}
				if step%(keys/3) == 0 {
					checkIndex(t, &x, model, hash)
				}
			}
			checkIndex(t, &x, model, hash)
			size := len(x.tags)
			for k := range model {
				x.del(x.find(hash(k), k), hash)
				delete(model, k)
			}
			checkIndex(t, &x, model, hash)
			if size > 1024 && len(x.tags) > 1024 {
				t.Fatalf("emptied, the table still has %d slots (had %d)", len(x.tags), size)
			}
			if x.used != 0 {
				t.Fatalf("emptied, %d slots are still marked", x.used)
			}
		})
	}
}

// TestIndexDeleteClearsMarks deletes the last of a probe chain: the marks
// of the deleted slots before it go, so lookups stop early again.
func TestIndexDeleteClearsMarks(t *testing.T) {
	hash := func(string) uint64 { return 0 } // one chain from slot 0
	var x index
	var objs []*Object
	for i := range 5 {
		o := keyed(fmt.Sprint(i))
		objs = append(objs, o)
		x.set(0, fmt.Sprint(i), o, hash)
	}
	for _, i := range []int{1, 2, 3} {
		x.del(x.find(0, fmt.Sprint(i)), hash)
	}
	if x.used != 5 || x.tags[1] != tagDeleted {
		t.Fatalf("middle deletes: used %d, tags %v", x.used, x.tags[:6])
	}
	x.del(x.find(0, "4"), hash)
	if x.used != 1 || x.tags[1] != tagEmpty || x.tags[4] != tagEmpty {
		t.Fatalf("deleting the chain's end left marks: used %d, tags %v", x.used, x.tags[:6])
	}
	if x.get(0, "0") != objs[0] {
		t.Fatal("the chain's head was lost")
	}
}
