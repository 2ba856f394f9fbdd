package edge

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

// benchWriter is a minimal ResponseWriter, so the benchmark measures the
// edge's own work on a hit rather than a network stack.
type benchWriter struct {
	h    http.Header
	code int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(c int)           { w.code = c }

// newBenchEdge returns an edge in front of an in-process origin that
// answers size bytes, cacheable for an hour.
func newBenchEdge(b testing.TB, size int) (*Server, *http.Request) {
	body := make([]byte, size)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.Write(body)
	}))
	b.Cleanup(origin.Close)
	o, err := model.OriginFromURL(origin.URL)
	if err != nil {
		b.Fatal(err)
	}
	d := model.Distribution{ID: "EBENCH0000000A", DomainName: "d.test", Enabled: true, Default: true,
		Origins: []model.Origin{o}}
	doc, _ := json.Marshal(d)
	s := New(Config{ID: "bench", POP: "b", CacheMem: 64 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.Apply(1, map[string][]byte{"dist.EBENCH0000000A": doc}); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "http://d.test/obj?x=1", nil)
	w := &benchWriter{h: http.Header{}}
	s.ServeHTTP(w, req) // fill
	if w.h.Get("X-Cache") != "Miss from pharos" {
		b.Fatalf("first request: X-Cache %q", w.h.Get("X-Cache"))
	}
	return s, req
}

// BenchmarkHit measures a 1 KiB cache hit through the whole edge handler.
func BenchmarkHit(b *testing.B) {
	s, req := newBenchEdge(b, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &benchWriter{h: make(http.Header, 16)}
		for pb.Next() {
			clear(w.h)
			s.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
		}
	})
	if w := (&benchWriter{h: http.Header{}}); true {
		s.ServeHTTP(w, req)
		if w.h.Get("X-Cache") != "Hit from pharos" {
			b.Fatalf("X-Cache %q", w.h.Get("X-Cache"))
		}
	}
}
