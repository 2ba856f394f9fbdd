package router

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestRedirect(t *testing.T) {
	r := newTestRouter(t, Config{})
	srv := httptest.NewServer(r.HTTPHandler())
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, host, target, from string
		status                   int
		location, edge           string
	}{
		{"a distribution's name", "d111.cdn.test", "/a/b.jpg?w=100&h=50", inLondon, http.StatusFound,
			"http://e-lon.d111.cdn.test:8081/a/b.jpg?w=100&h=50", "lon"},
		{"port 80 is left out", "d111.cdn.test", "/x", inNewYork, http.StatusFound,
			"http://e-nyc.d111.cdn.test/x", "nyc"},
		{"escaped path kept", "d222.cdn.test:8053", "/a%20b/%E2%82%AC", inGermany6, http.StatusFound,
			"http://e-fra.d222.cdn.test:8081/a%20b/%E2%82%AC", "fra"},
		{"an alias", "WWW.example.com", "/", inLondon, http.StatusFound,
			"http://e-lon.d111.cdn.test:8081/", "lon"},
		{"a wildcard alias", "a.img.example.com:80", "/i.png", inNewYork, http.StatusFound,
			"http://e-nyc.d111.cdn.test/i.png", "nyc"},
		{"an edge's own name", "e-nyc.d111.cdn.test", "/again", inLondon, http.StatusFound,
			"http://e-lon.d111.cdn.test:8081/again", "lon"},
		{"unplaced client: by load, then id", "d111.cdn.test", "/", nowhere, http.StatusFound,
			"http://e-fra.d111.cdn.test:8081/", "fra"},
		{"unknown host", "img.example.com", "/i.png", inLondon, http.StatusNotFound, "", ""},
		{"unknown host's path", "other.test", "/metricsx", inLondon, http.StatusNotFound, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "http://"+tc.host+tc.target, nil)
			req.Host = tc.host
			req.RemoteAddr = joinPort(tc.from)
			w := httptest.NewRecorder()
			r.HTTPHandler().ServeHTTP(w, req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status != http.StatusFound {
				return
			}
			if loc := w.Header().Get("Location"); loc != tc.location {
				t.Errorf("Location = %s, want %s", loc, tc.location)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store: the choice is per client", cc)
			}
			if e := w.Header().Get("X-Pharos-Edge"); e != tc.edge {
				t.Errorf("X-Pharos-Edge = %q, want %q", e, tc.edge)
			}
		})
	}

	// Over a real connection: the client does not follow the redirect.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/p?q=1", nil)
	req.Host = "d111.cdn.test"
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// 127.0.0.1 is unplaced: fra by load, then id.
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "http://e-fra.d111.cdn.test:8081/p?q=1" {
		t.Errorf("over HTTP: %s, Location %s", resp.Status, resp.Header.Get("Location"))
	}
}

func joinPort(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:40000"
	}
	return ip + ":40000"
}

func TestRedirectWithoutEdges(t *testing.T) {
	r := New(Config{Zone: "cdn.test"}, NewEdges())
	r.SetDistributions(testDistributions(), 1)
	req := httptest.NewRequest(http.MethodGet, "http://d111.cdn.test/", nil)
	w := httptest.NewRecorder()
	r.HTTPHandler().ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
}

func TestRouterHTTPMetricsAndHealth(t *testing.T) {
	r := newTestRouter(t, Config{})
	h := r.HTTPHandler()
	get := func(host, target, from string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "http://"+host+target, nil)
		req.RemoteAddr = joinPort(from)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for range 2 {
		get("d111.cdn.test", "/", inLondon)
	}
	get("d111.cdn.test", "/", nowhere)
	ask(t, r, question("d111.cdn.test.", dns.TypeA), inNewYork, true)
	ask(t, r, question("d999.cdn.test.", dns.TypeA), inNewYork, true)
	for range ProbeFailures {
		r.edges.record("fra", false)
	}

	w := get("127.0.0.1:8053", "/healthz", nowhere)
	if w.Code != http.StatusOK || w.Body.String() != "ok\n" {
		t.Errorf("/healthz: %d %q", w.Code, w.Body)
	}
	w = get("127.0.0.1:8053", "/metrics", nowhere)
	body, _ := io.ReadAll(w.Body)
	for _, want := range []string{
		`pharos_router_answers_total{country="GB",edge="lon"} 2`,
		`pharos_router_answers_total{country="--",edge="fra"} 1`,
		`pharos_router_answers_total{country="US",edge="nyc"} 1`,
		`pharos_router_dns_responses_total{rcode="NOERROR"} 1`,
		`pharos_router_dns_responses_total{rcode="NXDOMAIN"} 1`,
		`pharos_router_edge_healthy{edge="fra",pop="fra"} 0`,
		`pharos_router_edge_healthy{edge="lon",pop="lhr"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
	// A distribution's /metrics is the distribution's: redirected.
	if w := get("d111.cdn.test", "/metrics", inLondon); w.Code != http.StatusFound {
		t.Errorf("d111.cdn.test/metrics: %d, want a redirect", w.Code)
	}
}
