package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/security/geo/geotest"
)

// geoEnv is one `pharos up` with a GeoIP database the test wrote: viewers
// pick their country by the loopback address they connect from.
type geoEnv struct {
	ph        *pharos
	origin    string
	httpsPort string
}

// Where the test's database places loopback addresses.
const (
	viewerDE    = "127.0.0.2"
	viewerUS    = "127.0.0.3"
	viewerNone  = "127.0.0.6" // in no country the database knows
	trustedLB   = "127.0.0.5" // the load balancer --trust-forwarded names
	untrustedLB = "127.0.0.7"
)

func TestGeoRestrictionAndViewerProtocol(t *testing.T) {
	env := newGeoEnv(t)
	t.Run("AllowList", env.testAllowList)
	t.Run("DenyList", env.testDenyList)
	t.Run("TrustForwarded", env.testTrustForwarded)
	t.Run("ViewerHeaders", env.testViewerHeaders)
	t.Run("ViewerProtocolPolicy", env.testViewerProtocolPolicy)
	t.Run("RedirectLandsOnHTTPS", env.testRedirectLandsOnHTTPS)
}

func newGeoEnv(t *testing.T) *geoEnv {
	t.Helper()
	db := filepath.Join(t.TempDir(), "countries.mmdb")
	if err := geotest.Write(db, true, []geotest.Entry{
		{CIDR: viewerDE + "/32", Country: "DE"},
		{CIDR: viewerUS + "/32", Country: "US"},
		{CIDR: trustedLB + "/32", Country: "FR"},
		{CIDR: untrustedLB + "/32", Country: "FR"},
	}); err != nil {
		t.Fatal(err)
	}
	https := freeAddr(t)
	_, port, _ := net.SplitHostPort(https)
	env := &geoEnv{origin: startOrigin(t), httpsPort: port,
		ph: startPharos(t, "--geoip", db, "--trust-forwarded", trustedLB+"/32", "--https", https)}
	viewerHeaders := map[string]any{"behavior": "whitelist",
		"items": []string{"CloudFront-Viewer-Country", "CloudFront-Viewer-Address", "CloudFront-Forwarded-Proto"}}
	env.create(t, "allow.geo", func(d map[string]any) {
		d["geoRestriction"] = map[string]any{"type": "whitelist", "locations": []string{"DE"}}
	})
	env.create(t, "deny.geo", func(d map[string]any) {
		d["geoRestriction"] = map[string]any{"type": "blacklist", "locations": []string{"DE"}}
		d["defaultBehavior"].(map[string]any)["originRequestPolicy"] = map[string]any{"headers": viewerHeaders}
	})
	env.create(t, "vpp.geo", func(d map[string]any) {
		def := d["defaultBehavior"].(map[string]any)
		def["viewerProtocolPolicy"] = "redirect-to-https"
		def["allowedMethods"] = []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
		d["behaviors"] = []any{
			map[string]any{"pathPattern": "/only/*", "targetOriginId": "o1", "viewerProtocolPolicy": "https-only"},
			map[string]any{"pathPattern": "/_origin/health", "targetOriginId": "o1"},
		}
	})
	return env
}

// create makes a distribution for alias, shaped by edit, and waits until
// the edge serves it.
func (env *geoEnv) create(t *testing.T, alias string, edit func(map[string]any)) {
	t.Helper()
	d := distSpec{Alias: alias, Origin: env.origin}.json(t)
	edit(d)
	if r := env.ph.api(t, "POST", "/v1/distributions", d, nil); r.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("create %s: %d %s", alias, r.StatusCode, b)
	}
	eventually(t, 10*time.Second, "the edge to serve "+alias, func() bool {
		return get(t, "GET", env.ph.Edge+"/_origin/health", "Host: "+alias).Status == http.StatusOK
	})
}

// from sends a request to the edge from a given loopback address.
func (env *geoEnv) from(t *testing.T, src, method, host, path string, hdr ...string) reply {
	t.Helper()
	return getFrom(t, src, method, env.ph.Edge+path, host, hdr...)
}

// getFrom sends a request from the loopback address src, with the given
// Host, and does not follow redirects.
func getFrom(t *testing.T, src, method, url, host string, hdr ...string) reply {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c := &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	req, err := http.NewRequest(method, url, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(k, strings.TrimSpace(v))
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s from %s: %v", method, url, src, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

func expectGeo(t *testing.T, r reply, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	if status == http.StatusForbidden && r.xcache() != "Error from pharos" {
		t.Errorf("%s: X-Cache %q, want Error from pharos", what, r.xcache())
	}
}

func (env *geoEnv) testAllowList(t *testing.T) {
	expectGeo(t, env.from(t, viewerDE, "GET", "allow.geo", "/a"), 200, "DE on the allow list")
	expectGeo(t, env.from(t, viewerUS, "GET", "allow.geo", "/a"), 403, "US off the allow list")
	expectGeo(t, env.from(t, viewerNone, "GET", "allow.geo", "/a"), 200, "unknown country (served, as CloudFront does)")
	// A cached answer is refused too: the restriction runs before the cache.
	expectGeo(t, env.from(t, viewerDE, "GET", "allow.geo", "/c?cc=max-age%3D300"), 200, "DE fills the cache")
	expectGeo(t, env.from(t, viewerUS, "GET", "allow.geo", "/c?cc=max-age%3D300"), 403, "US asks for the cached object")
}

func (env *geoEnv) testDenyList(t *testing.T) {
	expectGeo(t, env.from(t, viewerDE, "GET", "deny.geo", "/a"), 403, "DE on the deny list")
	expectGeo(t, env.from(t, viewerUS, "GET", "deny.geo", "/a"), 200, "US off the deny list")
	expectGeo(t, env.from(t, viewerNone, "GET", "deny.geo", "/a"), 200, "unknown country")
}

func (env *geoEnv) testTrustForwarded(t *testing.T) {
	expectGeo(t, env.from(t, trustedLB, "GET", "deny.geo", "/a", "X-Forwarded-For: "+viewerDE), 403,
		"DE viewer behind the trusted load balancer")
	expectGeo(t, env.from(t, trustedLB, "GET", "deny.geo", "/a", "X-Forwarded-For: "+viewerDE+", "+viewerUS), 200,
		"right-most untrusted address (US) wins over what the client wrote")
	expectGeo(t, env.from(t, untrustedLB, "GET", "deny.geo", "/a", "X-Forwarded-For: "+viewerDE), 200,
		"an untrusted peer's X-Forwarded-For is not believed")
	expectGeo(t, env.from(t, untrustedLB, "GET", "allow.geo", "/a", "X-Forwarded-For: "+viewerDE), 403,
		"an untrusted peer cannot claim a DE viewer")
}

func (env *geoEnv) testViewerHeaders(t *testing.T) {
	e := decodeEcho(t, env.from(t, viewerUS, "GET", "deny.geo", "/_origin/echo", "CloudFront-Viewer-Country: DE"))
	h := http.Header(e.Header)
	if got := h.Get("Cloudfront-Viewer-Country"); got != "US" {
		t.Errorf("CloudFront-Viewer-Country %q, want US (the viewer's own value is never believed)", got)
	}
	if got := h.Get("Cloudfront-Viewer-Address"); !strings.HasPrefix(got, viewerUS+":") || got == viewerUS+":0" {
		t.Errorf("CloudFront-Viewer-Address %q, want %s:<port>", got, viewerUS)
	}
	if got := h.Get("Cloudfront-Forwarded-Proto"); got != "http" {
		t.Errorf("CloudFront-Forwarded-Proto %q, want http", got)
	}
	e = decodeEcho(t, env.from(t, trustedLB, "GET", "deny.geo", "/_origin/echo", "X-Forwarded-For: "+viewerUS))
	h = http.Header(e.Header)
	if got := h.Get("Cloudfront-Viewer-Country"); got != "US" {
		t.Errorf("behind the load balancer: CloudFront-Viewer-Country %q, want US", got)
	}
	if got := h.Get("Cloudfront-Viewer-Address"); got != viewerUS+":0" {
		t.Errorf("behind the load balancer: CloudFront-Viewer-Address %q, want %s:0", got, viewerUS)
	}
	// A behaviour whose policy names none of them sends none.
	e = decodeEcho(t, env.from(t, viewerDE, "GET", "allow.geo", "/_origin/echo", "CloudFront-Viewer-Country: US"))
	for k := range e.Header {
		if strings.HasPrefix(strings.ToLower(k), "cloudfront-") {
			t.Errorf("allow.geo: origin got %s", k)
		}
	}
}

func (env *geoEnv) testViewerProtocolPolicy(t *testing.T) {
	base := "https://vpp.geo:" + env.httpsPort
	for _, c := range []struct {
		method, path string
		status       int
		location     string
	}{
		{"GET", "/a/b?x=1&y=%2F", 301, base + "/a/b?x=1&y=%2F"},
		{"HEAD", "/a", 301, base + "/a"},
		{"POST", "/form", 307, base + "/form"},
		{"PUT", "/up", 307, base + "/up"},
		{"GET", "/only/x", 403, ""},
	} {
		r := env.from(t, viewerUS, c.method, "vpp.geo", c.path)
		if r.Status != c.status || r.Header.Get("Location") != c.location {
			t.Errorf("%s %s: %d Location %q, want %d %q", c.method, c.path, r.Status, r.Header.Get("Location"), c.status, c.location)
		}
	}
	if n := originCount(t, env.origin, "/a/b?x=1&y=%2F"); n != 0 {
		t.Errorf("a redirected request reached the origin %d times", n)
	}
	// A trusted load balancer that ended the viewer's TLS says so.
	if r := env.from(t, trustedLB, "GET", "vpp.geo", "/lb", "X-Forwarded-Proto: https"); r.Status != 200 {
		t.Errorf("HTTPS viewer behind the trusted load balancer: %d", r.Status)
	}
	if r := env.from(t, untrustedLB, "GET", "vpp.geo", "/lb", "X-Forwarded-Proto: https"); r.Status != 301 {
		t.Errorf("X-Forwarded-Proto from an untrusted peer: %d, want 301", r.Status)
	}
}

// httpsClient trusts the root of the `pharos up` whose data directory is
// dataDir and sends every request to addr, without following redirects.
func httpsClient(t *testing.T, dataDir, addr string) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(filepath.Join(dataDir, "ca", "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatal("no certificate in the CDN's root.pem")
	}
	return &http.Client{
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// The Location of a redirect-to-https answer leads to the edge's HTTPS
// listener, where the behaviours serve.
func (env *geoEnv) testRedirectLandsOnHTTPS(t *testing.T) {
	loc := env.from(t, viewerUS, "GET", "vpp.geo", "/_origin/echo?x=1").Header.Get("Location")
	if loc == "" {
		t.Fatal("no redirect")
	}
	c := httpsClient(t, env.ph.DataDir, "127.0.0.1:"+env.httpsPort)
	for _, u := range []string{loc, "https://vpp.geo:" + env.httpsPort + "/only/x"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s over TLS: %d, want 200", u, resp.StatusCode)
		}
	}
}
