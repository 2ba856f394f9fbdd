package edge

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/model"
)

// fakeClock is the edge's injectable clock (Config.Now): tests move time
// forward instead of sleeping.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	// A whole second, so that the Date an origin derives from the clock
	// carries no fraction that would blur Age.
	return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestEdge returns an edge with a quiet logger and the given clock (nil:
// the real one).
func newTestEdge(t testing.TB, clock *fakeClock) *Server {
	t.Helper()
	cfg := Config{ID: "e1", POP: "tst", CacheMem: 16 << 20,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if clock != nil {
		cfg.Now = clock.Now
	}
	return New(cfg)
}

// seenRequest is what a test origin recorded of one request.
type seenRequest struct {
	Method string
	Host   string
	URI    string // path and query as received
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// testOrigin is an httptest origin that records every request it answers.
type testOrigin struct {
	*httptest.Server
	count atomic.Int64
	mu    sync.Mutex
	reqs  []seenRequest
}

// newTestOrigin starts an origin on 127.0.0.1 that records each request and
// then runs h.
func newTestOrigin(t testing.TB, h http.HandlerFunc) *testOrigin {
	t.Helper()
	o := &testOrigin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.reqs = append(o.reqs, seenRequest{Method: r.Method, Host: r.Host, URI: r.RequestURI,
			Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(body)})
		o.mu.Unlock()
		o.count.Add(1)
		h(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

// last returns the most recent request the origin saw.
func (o *testOrigin) last(t testing.TB) seenRequest {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.reqs) == 0 {
		t.Fatal("the origin saw no request")
	}
	return o.reqs[len(o.reqs)-1]
}

// requests returns a copy of every request the origin saw.
func (o *testOrigin) requests() []seenRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]seenRequest(nil), o.reqs...)
}

// modelOrigin returns the model origin for a test origin server.
func (o *testOrigin) modelOrigin(t testing.TB, id string) model.Origin {
	t.Helper()
	mo, err := model.OriginFromURL(o.URL)
	if err != nil {
		t.Fatal(err)
	}
	mo.ID = id
	return mo
}

// distDoc marshals a distribution the way the control plane stores it.
func distDoc(t testing.TB, d model.Distribution) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// simpleDist is an enabled distribution for domain in front of o, with its
// default behaviour using policy (nil: the default policy).
func simpleDist(id, domain string, o model.Origin, policy *model.CachePolicy) model.Distribution {
	return model.Distribution{ID: id, DomainName: domain, Enabled: true, Origins: []model.Origin{o},
		DefaultBehavior: model.Behavior{TargetOriginID: o.ID, CachePolicy: policy}}
}

// apply applies docs at rev and fails the test on error.
func apply(t testing.TB, s *Server, rev uint64, dists ...model.Distribution) {
	t.Helper()
	docs := map[string][]byte{}
	for _, d := range dists {
		docs["dist."+d.ID] = distDoc(t, d)
	}
	if err := s.Apply(rev, docs); err != nil {
		t.Fatalf("Apply(%d): %v", rev, err)
	}
}

// serve sends one viewer request through the edge's handler.
func serve(s *Server, method, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// waitFor polls cond every few milliseconds for at most d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// echoTag is an origin handler that answers with its X-Tag request header
// (set per origin with a custom header) and forbids storing.
func echoTag(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, r.Header.Get("X-Tag"))
}
