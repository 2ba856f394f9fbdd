package store

import (
	"math/rand/v2"
	"testing"
)

// ghostModel is the ghost's behaviour written plainly: every add in order,
// and each hash's latest add.
type ghostModel struct {
	adds   []uint64
	latest map[uint64]int // hash -> index in adds
	oldest int
}

func (m *ghostModel) add(h uint64, limit int) {
	for ; len(m.adds)-m.oldest >= limit && len(m.adds) > m.oldest; m.oldest++ {
		if old := m.adds[m.oldest]; m.latest[old] == m.oldest {
			delete(m.latest, old)
		}
	}
	m.latest[h] = len(m.adds)
	m.adds = append(m.adds, h)
}

func (m *ghostModel) has(h uint64) bool {
	_, ok := m.latest[h]
	delete(m.latest, h)
	return ok
}

// TestGhostAgainstAModel runs random adds and lookups, with a limit that
// grows and shrinks as the main queue would and hashes that share their
// tags and slots, against the model.
func TestGhostAgainstAModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var g ghost
	m := ghostModel{latest: map[uint64]int{}}
	// Few distinct tags and starting slots: long probe chains.
	hashOf := func(k uint64) uint64 { return k<<56 | k%5<<8 | k }
	limit := 1024
	steps := 200_000
	if raceEnabled {
		steps = 40_000
	}
	for step := range steps {
		if step%5000 == 0 {
			limit = 1024 + rng.IntN(4000) // the main queue's length changes
		}
		h := hashOf(uint64(rng.IntN(6000)))
		if rng.IntN(3) == 0 {
			if got, want := g.has(h), m.has(h); got != want {
				t.Fatalf("step %d: has(%#x) = %v, want %v", step, h, got, want)
			}
			continue
		}
		g.add(h, limit)
		m.add(h, limit)
		if g.live != len(m.latest) || g.n != len(m.adds)-m.oldest {
			t.Fatalf("step %d: ghost remembers %d keys in %d entries, model %d in %d",
				step, g.live, g.n, len(m.latest), len(m.adds)-m.oldest)
		}
	}
	for h := range m.latest {
		if !g.has(h) {
			t.Fatalf("ghost forgot %#x", h)
		}
	}
	if g.live != 0 || g.used != 0 || len(g.tags) > 1024 {
		t.Fatalf("emptied: %d live, %d slots marked of %d", g.live, g.used, len(g.tags))
	}
}
