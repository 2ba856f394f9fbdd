package edge

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

// BenchmarkMemoryPerObject fills the cache with small objects through the
// edge and reports the heap each one costs beyond its body bytes:
// go test -run x -bench MemoryPerObject -benchtime 1x ./internal/edge/
func BenchmarkMemoryPerObject(b *testing.B) {
	const n, size = 100_000, 100
	s, done := newFillBench(b, func(int) int { return size })
	defer done()
	for range b.N {
		before, after := fillMeasured(s, n)
		perObject := float64(after.HeapAlloc-before.HeapAlloc) / n
		b.ReportMetric(perObject, "heapB/object")
		b.ReportMetric(perObject-size, "overheadB/object")
		// What --cache-mem is charged per object: it should not be less
		// than the heap each one really takes.
		b.ReportMetric(float64(s.store.Used())/float64(s.store.Len()), "chargedB/object")
	}
	// Kept reachable so that -memprofile, written after the benchmark,
	// shows what the cached objects hold.
	memBenchServer = s
}

var memBenchServer *Server

// newFillBench starts an origin whose /objects/<i> has size(i) body bytes
// and an edge in front of it; done stops the origin.
func newFillBench(b *testing.B, size func(i int) int) (s *Server, done func()) {
	body := make([]byte, 64<<10)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/objects/"))
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body[:size(i)])
	}))
	o, _ := model.OriginFromURL(origin.URL)
	d := model.Distribution{ID: "EBENCH0000000B", DomainName: "d.test", Enabled: true, Default: true, Origins: []model.Origin{o}}
	doc, _ := json.Marshal(d)
	s = New(Config{ID: "bench", POP: "b", CacheMem: 4 << 30, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.Apply(1, map[string][]byte{"dist.x": doc}); err != nil {
		origin.Close()
		b.Fatal(err)
	}
	return s, origin.Close
}

// fillMeasured requests /objects/0 … n-1 through s and returns the heap
// statistics before and after, each read after two collections (the
// second frees what sync.Pools kept through the first).
func fillMeasured(s *Server, n int) (before, after runtime.MemStats) {
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		w := &benchWriter{h: http.Header{}}
		s.ServeHTTP(w, httptest.NewRequest("GET", "http://d.test/objects/"+strconv.Itoa(i), nil))
	}
	waitForObjects(s, int64(n))
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return before, after
}

func waitForObjects(s *Server, n int64) {
	for i := 0; i < 1000 && s.store.Len() < n; i++ {
		runtime.Gosched()
	}
}
