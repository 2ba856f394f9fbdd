package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// An origin nobody listens on: 502, an edge error that says so.
func TestE2E_Origin_Unreachable502(t *testing.T) {
	t.Parallel()
	ph := startPharos(t, "--origin", "http://"+freeAddr(t))
	r := get(t, "GET", ph.Edge+"/down")
	expect(t, "status", r.Status, http.StatusBadGateway)
	expect(t, "X-Cache", r.xcache(), edgeError)
	if !regexp.MustCompile(`(?i)unreachable|could not be reached|cannot be reached`).MatchString(r.Body) {
		t.Errorf("body %q does not say the origin is unreachable", r.Body)
	}
	if r.Header.Get("X-Pharos-Request-Id") == "" || r.Header.Get("Via") == "" {
		t.Errorf("an edge error lacks the edge's headers: %v", r.Header)
	}
}

// An origin slower than its readTimeout (1 s): 504 after about 1 s, not
// after the origin's 3 s.
func TestE2E_Origin_ReadTimeout504(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t)
	ph.createDist(t, distSpec{Alias: "slow.example", Origin: origin, DefaultTTL: 60, MaxTTL: 3600, ReadTimeout: 1})
	start := time.Now()
	r := get(t, "GET", ph.Edge+"/slow?delay=3000", "Host: slow.example")
	took := time.Since(start)
	expect(t, "status", r.Status, http.StatusGatewayTimeout)
	expect(t, "X-Cache", r.xcache(), edgeError)
	if took < 900*time.Millisecond || took > 2500*time.Millisecond {
		t.Errorf("the 504 came after %v, want about the 1 s read timeout", took)
	}
}

// An origin that closes (or resets) the connection without answering: 502.
func TestE2E_Origin_ClosedWithoutResponse502(t *testing.T) {
	t.Parallel()
	_, ph := quickStart(t)
	for _, how := range []string{"1", "rst"} {
		r := get(t, "GET", ph.Edge+"/close?close="+how)
		expect(t, "close="+how+" status", r.Status, http.StatusBadGateway)
		expect(t, "close="+how+" X-Cache", r.xcache(), edgeError)
	}
}

// An origin that breaks off mid-body: the viewer must see a broken
// response, never a short body that looks complete, and nothing is cached.
func TestE2E_Origin_AbortMidBodyIsVisible(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	for _, tc := range []struct{ name, uri string }{
		{"ContentLength", "/abort-cl?size=100000&abort=5000"},
		{"Chunked", "/abort-chunked?size=100000&abort=5000&cl=0"},
		{"Dripped", "/abort-drip?size=100000&drip=4&dripms=100&abort=60000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for i := 1; i <= 2; i++ {
				r := timedGet(ph.Edge + tc.uri)
				if r.Err == nil {
					t.Errorf("request %d: a clean %d-byte body (X-Cache %q) from an origin that broke off after 5000: the break is hidden",
						i, len(r.Body), r.Header.Get("X-Cache"))
				}
				if len(r.Body) >= 100000 {
					t.Errorf("request %d: %d bytes from an origin that sent fewer", i, len(r.Body))
				}
			}
			expect(t, "origin requests (a broken body is not cached)", originCount(t, origin, tc.uri), 2)
		})
	}
}

// What reaches the origin through the default policy: the edge's
// forwarding headers, the origin's own Host, and none of the viewer's
// headers the cache policy does not name.
func TestE2E_Origin_ForwardedHeaders(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	e := decodeEcho(t, get(t, "GET", ph.Edge+"/_origin/echo", "Host: viewer.example", "X-Secret: 1"))
	expect(t, "X-Forwarded-For", e.Header["X-Forwarded-For"], []string{"127.0.0.1"})
	expect(t, "X-Forwarded-Proto", e.Header["X-Forwarded-Proto"], []string{"http"})
	if via := strings.Join(e.Header["Via"], ", "); !strings.Contains(via, "(pharos)") {
		t.Errorf("Via toward the origin = %q, want it to contain (pharos)", via)
	}
	expect(t, "Host at the origin", e.Host, hostPort(t, origin))
	if v, ok := e.Header["X-Secret"]; ok {
		t.Errorf("X-Secret %q reached the origin: the default policy forwards no viewer headers", v)
	}

	// A viewer's X-Forwarded-For is kept, with the viewer's address appended.
	e = decodeEcho(t, get(t, "GET", ph.Edge+"/_origin/echo", "X-Forwarded-For: 203.0.113.7"))
	expect(t, "X-Forwarded-For after a proxy", strings.Join(e.Header["X-Forwarded-For"], ", "), "203.0.113.7, 127.0.0.1")
}

// hopRequest is a raw viewer request with hop-by-hop fields, a header the
// policies may name (X-Normal) and one they may not (X-Secret).
const hopRequest = "GET /_origin/echo HTTP/1.1\r\n" +
	"Host: %s\r\n" +
	"Connection: close, X-Foo\r\n" +
	"X-Foo: 1\r\n" +
	"Keep-Alive: timeout=5\r\n" +
	"TE: trailers\r\n" +
	"Proxy-Authorization: Basic Zm9vOmJhcg==\r\n" +
	"X-Normal: yes\r\n" +
	"X-Secret: 1\r\n" +
	"\r\n"

// RFC 9110 §7.6.1: hop-by-hop fields (and those Connection names) are never
// forwarded, even when the origin request policy names them; the origin's
// custom headers are added.
func TestE2E_Origin_HopByHopNotForwarded(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t)
	ph.createDist(t, distSpec{
		Alias: "hop.example", Origin: origin, DefaultTTL: 60, MaxTTL: 3600,
		CustomHeaders: map[string]string{"X-Origin-Secret": "s3cret"},
		OriginRequestHeaders: map[string]any{"behavior": "whitelist",
			"items": []string{"X-Foo", "Keep-Alive", "TE", "Proxy-Authorization", "X-Normal"}},
	})
	ph.createDist(t, distSpec{
		Alias: "hopall.example", Origin: origin, DefaultTTL: 60, MaxTTL: 3600,
		OriginRequestHeaders: map[string]any{"behavior": "allViewer"},
	})
	addr := hostPort(t, ph.Edge)

	for _, tc := range []struct {
		host       string
		forwarded  []string
		withheld   []string
		originHost bool
	}{
		{"hop.example", []string{"X-Normal"}, []string{"X-Secret"}, true},
		{"hopall.example", []string{"X-Normal", "X-Secret"}, nil, false},
	} {
		t.Run(tc.host, func(t *testing.T) {
			raw := rawExchange(t, addr, strings.ReplaceAll(hopRequest, "%s", tc.host), 10*time.Second)
			resp, body := raw.full(t)
			e := decodeEcho(t, reply{Status: resp.StatusCode, Header: resp.Header, Body: string(body)})
			for _, h := range []string{"X-Foo", "Keep-Alive", "Te", "Proxy-Authorization", "Connection"} {
				if v, ok := e.Header[h]; ok {
					t.Errorf("hop-by-hop %s: %q reached the origin", h, v)
				}
			}
			for _, h := range tc.forwarded {
				if _, ok := e.Header[h]; !ok {
					t.Errorf("%s, named by the origin request policy, did not reach the origin", h)
				}
			}
			for _, h := range tc.withheld {
				if v, ok := e.Header[h]; ok {
					t.Errorf("%s %q, named by no policy, reached the origin", h, v)
				}
			}
			if tc.originHost {
				expect(t, "Host at the origin", e.Host, hostPort(t, origin))
				expect(t, "custom origin header", e.Header["X-Origin-Secret"], []string{"s3cret"})
			}
		})
	}
}
