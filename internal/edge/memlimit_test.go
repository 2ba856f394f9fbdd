package edge

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/model"
)

// TestCacheMemBoundsTheHeap fills the memory tier with small objects well
// past --cache-mem and checks that the heap the cache holds stays within
// the limit: the store charges each object what it really costs (its bytes
// plus a measured per-object overhead, store/frozen.go), not just its body.
// Bound: heap growth ≤ 1.15 × limit + 512 KiB (the edge's own buffers).
func TestCacheMemBoundsTheHeap(t *testing.T) {
	const limit, objects, workers = 1 << 20, 5_000, 4
	body := make([]byte, 100)
	// Not newTestOrigin: it records every request, which would be most of
	// the heap measured here.
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	}))
	defer origin.Close()
	mo, err := model.OriginFromURL(origin.URL)
	if err != nil {
		t.Fatal(err)
	}
	mo.ID = "o1"
	s := New(Config{ID: "e1", POP: "tst", CacheMem: limit, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	apply(t, s, 1, simpleDist("E1MEMLIMIT0001", "mem.test", mo, nil))
	serve(s, "GET", "http://mem.test/warm-up", nil) // the origin connection and pools
	heap := func() uint64 {
		var ms runtime.MemStats
		// Twice: sync.Pool's buffers (the fills' copy buffers, as many as
		// ran at once) survive one collection in the pools' victim cache.
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < objects; i += workers {
				rw := &benchWriter{h: http.Header{}}
				s.ServeHTTP(rw, httptest.NewRequest("GET", "http://mem.test/o/"+strconv.Itoa(i), nil))
				if rw.code != http.StatusOK {
					t.Errorf("object %d: status %d", i, rw.code)
					return
				}
			}
		})
	}
	wg.Wait()
	// Fills store their object just after the viewer's answer: wait for all.
	if !waitFor(10*time.Second, func() bool { return s.store.Stats().Inserts.Load() >= objects+1 }) {
		t.Fatalf("only %d of %d objects were stored", s.store.Stats().Inserts.Load(), objects+1)
	}
	grown := int64(heap()) - int64(before)
	if s.store.Used() > limit || s.store.Stats().Evictions.Load() == 0 {
		t.Fatalf("Used %d of %d after %d evictions", s.store.Used(), limit, s.store.Stats().Evictions.Load())
	}
	bound := int64(limit)*115/100 + 512<<10
	t.Logf("%d objects kept, %d B charged each; heap grew %d B (%d B per object), bound %d",
		s.store.Len(), s.store.Used()/s.store.Len(), grown, grown/s.store.Len(), bound)
	if grown > bound {
		t.Fatalf("the heap grew %d bytes for a %d-byte cache (bound %d): the store undercharges its objects", grown, limit, bound)
	}
}
