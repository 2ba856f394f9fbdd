package edge

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

// rhOrigin answers every path with a cacheable body and a few fields a
// response headers policy acts on.
func rhOrigin(t *testing.T) *testOrigin {
	return newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "max-age=60")
		h.Set("Server", "origin/1.0")
		h.Set("X-Frame-Options", "ALLOWALL")
		h.Set("X-Origin", "kept")
		io.WriteString(w, "hello")
	})
}

var rhPolicy = &model.ResponseHeadersPolicy{ID: "p1", Name: "p1",
	SecurityHeadersConfig: &model.SecurityHeaders{
		FrameOptions:            &model.ValueHeader{Value: "DENY", Override: true},
		StrictTransportSecurity: &model.HSTS{MaxAgeSec: 600, IncludeSubdomains: true},
	},
	CustomHeadersConfig: []model.ResponseHeader{
		{Header: "X-Team", Value: "edge"},
		{Header: "X-Origin", Value: "policy"}, // origin's value wins: no override
	},
	RemoveHeadersConfig: []string{"server"},
}

// wantPolicyFields checks what rhPolicy does to rhOrigin's answer.
func wantPolicyFields(t *testing.T, step string, r *rawResp) {
	t.Helper()
	for k, want := range map[string]string{
		"X-Team": "edge", "X-Origin": "kept", "X-Frame-Options": "DENY",
		"Strict-Transport-Security": "max-age=600; includeSubDomains", "Server": "",
	} {
		if got := r.header.Values(k); strings.Join(got, ",") != want {
			t.Errorf("%s: %s = %q, want %q (%v)", step, k, got, want, r)
		}
	}
}

func TestResponseHeadersPolicyOnMissAndFastHit(t *testing.T) {
	org := rhOrigin(t)
	e := serveEdge(t, org, edgeOpts{mutate: func(d *model.Distribution) { d.DefaultBehavior.ResponseHeaders = rhPolicy }})
	miss := fetch(t, e, rq("GET", "/a"))
	if miss.get("X-Cache") != xMiss {
		t.Fatalf("first request: %v", miss)
	}
	wantPolicyFields(t, "miss", miss)
	waitStored(t, e.s, "/a", false)
	hit := fetch(t, e, rq("GET", "/a"))
	if hit.get("X-Cache") != xHit || !hit.fast() {
		t.Fatalf("second request was not a fast-path hit: %v", hit)
	}
	wantPolicyFields(t, "fast hit", hit)
	if string(hit.body) != "hello" {
		t.Errorf("hit body %q", hit.body)
	}
	// Through net/http (a conditional that does not match) as well.
	full := fetch(t, e, rq("GET", "/a", `If-None-Match: "nope"`))
	if full.fast() || full.get("X-Cache") != xHit {
		t.Fatalf("third request: %v", full)
	}
	wantPolicyFields(t, "full-path hit", full)
}

func TestResponseHeadersCORSAndServerTiming(t *testing.T) {
	org := rhOrigin(t)
	age := int64(300)
	p := &model.ResponseHeadersPolicy{ID: "p2", Name: "p2",
		CorsConfig: &model.CorsConfig{AllowOrigins: []string{"https://*.example.com"}, AllowHeaders: []string{"X-A", "X-B"},
			AllowMethods: []string{"ALL"}, AllowCredentials: true, ExposeHeaders: []string{"X-Team"}, MaxAgeSec: &age},
		ServerTimingHeadersConfig: &model.ServerTimingHeaders{Enabled: true},
	}
	e := serveEdge(t, org, edgeOpts{mutate: func(d *model.Distribution) { d.DefaultBehavior.ResponseHeaders = p }})
	if e.s.table.Load().Lookup(fpHost).Match("/").fast {
		t.Fatal("a behaviour with CORS kept the fast path")
	}
	r := fetch(t, e, rq("GET", "/c", "Origin: https://app.example.com", "Pragma: server-timing"))
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin": "https://app.example.com", "Access-Control-Allow-Credentials": "true",
		"Access-Control-Expose-Headers": "X-Team", "Access-Control-Allow-Methods": "",
	} {
		if got := r.get(k); got != want {
			t.Errorf("simple CORS: %s = %q, want %q", k, got, want)
		}
	}
	if st := r.get("Server-Timing"); !strings.HasPrefix(st, `cdn-cache-miss, cdn-pop;desc="tst", cdn-rid;desc="`) {
		t.Errorf("Server-Timing = %q", st)
	}
	pre := fetch(t, e, rq("OPTIONS", "/c", "Origin: https://app.example.com", "Access-Control-Request-Method: PUT"))
	if got := pre.get("Access-Control-Allow-Methods"); got != allCORSMethods {
		t.Errorf("preflight Allow-Methods = %q", got)
	}
	if got := pre.get("Access-Control-Allow-Headers"); got != "X-A, X-B" || pre.get("Access-Control-Max-Age") != "300" {
		t.Errorf("preflight: %v", pre)
	}
	other := fetch(t, e, rq("GET", "/c", "Origin: https://evil.test"))
	if other.get("Access-Control-Allow-Origin") != "" || other.get("Server-Timing") != "" {
		t.Errorf("a foreign origin got CORS fields or an unsampled request Server-Timing: %v", other)
	}
}

func TestRewriteHitAllocatesNothing(t *testing.T) {
	rh := compileRespHeaders(rhPolicy)
	head := "HTTP/1.1 200 OK\r\nServer: x\r\nX-Frame-Options: SAMEORIGIN\r\nX-Origin: o\r\nVia: 1.1 e1 (pharos)\r\n"
	buf := make([]byte, 0, 1024)
	var out []byte
	if n := testing.AllocsPerRun(100, func() { out = rh.rewriteHit(append(buf[:0], head...)) }); n != 0 {
		t.Errorf("rewriteHit allocates %.0f times per hit", n)
	}
	want := "HTTP/1.1 200 OK\r\nX-Origin: o\r\nVia: 1.1 e1 (pharos)\r\nX-Frame-Options: DENY\r\n" +
		"Strict-Transport-Security: max-age=600; includeSubDomains\r\nX-Team: edge\r\n"
	if string(out) != want {
		t.Errorf("rewriteHit:\n%q\nwant\n%q", out, want)
	}
}

func TestCORSOriginMatch(t *testing.T) {
	for _, c := range []struct {
		allowed, origin string
		ok              bool
	}{
		{"https://a.test", "https://A.test", true},
		{"https://*.example.com", "https://x.y.example.com", true},
		{"https://*.example.com", "https://example.com", false},
		{"https://*.example.com", "http://x.example.com", false},
		{"https://a.test", "https://a.test:8443", false},
	} {
		if got := corsOriginMatch(c.allowed, c.origin); got != c.ok {
			t.Errorf("corsOriginMatch(%q, %q) = %v", c.allowed, c.origin, got)
		}
	}

}
