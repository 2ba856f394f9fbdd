package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/pharos-cdn/pharos/internal/certs"
)

var (
	httpsRe = regexp.MustCompile(`(?m)^\s+https\s+https://(\S+)`)
	caRe    = regexp.MustCompile(`(?m)^\s+ca\s+(\S+)`)
	quickRe = regexp.MustCompile(`distribution (E[A-Z0-9]{13}), (\S+),`)
)

// tlsEdge is a `pharos up --https` and what a client needs to reach it.
type tlsEdge struct {
	*pharos
	addr  string // 127.0.0.1:port, TCP and UDP
	roots *x509.CertPool
	quick string // the quick-start distribution's domain name
}

func startTLSEdge(t *testing.T, origin string) *tlsEdge {
	t.Helper()
	ph := startPharos(t, "--origin", origin)
	out := ph.Output()
	m, ca, q := httpsRe.FindStringSubmatch(out), caRe.FindStringSubmatch(out), quickRe.FindStringSubmatch(out)
	if m == nil || ca == nil || q == nil {
		t.Fatalf("banner lacks the https, ca or origin line:\n%s", out)
	}
	if ca[1] != filepath.Join(ph.DataDir, "ca", "root.pem") {
		t.Fatalf("root printed at %s, want under the data directory", ca[1])
	}
	pemBytes, err := os.ReadFile(ca[1])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("%s holds no certificate", ca[1])
	}
	return &tlsEdge{pharos: ph, addr: m[1], roots: roots, quick: q[2]}
}

// handshake connects over TLS with SNI name and returns the state.
func (e *tlsEdge) handshake(name string, cfg *tls.Config) (tls.ConnectionState, error) {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	cfg.ServerName = name
	if cfg.RootCAs == nil {
		cfg.RootCAs = e.roots
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", e.addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.ConnectionState(), nil
}

// client returns an HTTPS client that sends every request to the edge.
func (e *tlsEdge) client(cfg *tls.Config, h2 bool) *http.Client {
	if cfg == nil {
		cfg = &tls.Config{RootCAs: e.roots}
	}
	tr := &http.Transport{
		Proxy:              nil,
		TLSClientConfig:    cfg,
		DisableCompression: true,
		ForceAttemptHTTP2:  h2,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, e.addr)
		},
	}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // HTTP/1.1 only
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// h3client returns an HTTP/3 client that sends every request to the edge.
func (e *tlsEdge) h3client() (*http.Client, func()) {
	tr := &http3.Transport{
		TLSClientConfig: &tls.Config{RootCAs: e.roots},
		Dial: func(ctx context.Context, _ string, tlsCfg *tls.Config, cfg *quic.Config) (*quic.Conn, error) {
			return quic.DialAddrEarly(ctx, e.addr, tlsCfg, cfg)
		},
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, func() { tr.Close() }
}

func fetch(t *testing.T, c *http.Client, url string) (reply, *http.Response) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, resp
}

// tlsDist creates a distribution for alias (plus extra aliases) with an
// HTTP version and a security policy.
func (e *tlsEdge) tlsDist(t *testing.T, origin, httpVersion, policy string, aliases ...string) {
	t.Helper()
	d := distSpec{Alias: aliases[0], Origin: origin, MaxTTL: 3600, DefaultTTL: 60}.json(t)
	d["aliases"] = aliases
	d["httpVersion"] = httpVersion
	d["viewerCertificate"] = map[string]any{"minimumProtocolVersion": policy}
	resp := e.api(t, "POST", "/v1/distributions", d, nil)
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create %s: %d %s", aliases[0], resp.StatusCode, b)
	}
	eventually(t, 10*time.Second, "the edge to serve "+aliases[0], func() bool {
		return get(t, "GET", e.Edge+"/_origin/health", "Host: "+aliases[0]).Status == http.StatusOK
	})
}

// testCA is a certificate authority of the test's own, standing for a
// public one, to sign the certificate a user imports.
func testCA(t *testing.T) *certs.CA {
	t.Helper()
	ca, err := certs.NewCA("e2e import test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestTLS(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	e := startTLSEdge(t, origin)
	e.tlsDist(t, origin, "http2and3", "TLSv1.2_2021", "modern.tls.test", "*.wild.tls.test")
	e.tlsDist(t, origin, "http1.1", "TLSv1", "legacy.tls.test")

	t.Run("SNI picks a local-CA certificate for the domain name and each alias", func(t *testing.T) {
		for name, want := range map[string]string{
			e.quick:            e.quick,
			"modern.tls.test":  "modern.tls.test",
			"legacy.tls.test":  "legacy.tls.test",
			"a.wild.tls.test":  "*.wild.tls.test",
			"MODERN.tls.test.": "modern.tls.test",
		} {
			st, err := e.handshake(name, nil)
			if err != nil {
				t.Fatalf("%s: handshake verified against the printed root: %v", name, err)
			}
			if got := st.PeerCertificates[0].DNSNames; !slices.Equal(got, []string{want}) {
				t.Errorf("%s: leaf names %v, want [%s]", name, got, want)
			}
			if !strings.HasPrefix(st.PeerCertificates[0].Issuer.CommonName, "Pharos local CA (") {
				t.Errorf("%s: issuer %q", name, st.PeerCertificates[0].Issuer.CommonName)
			}
		}
		// An unknown name gets the edge's own certificate, which does not
		// name it: the handshake completes, verification fails.
		if _, err := e.handshake("nobody.invalid", nil); err == nil {
			t.Fatal("an unknown name verified")
		}
		st, err := e.handshake("nobody.invalid", &tls.Config{InsecureSkipVerify: true})
		if err != nil || !slices.Contains(st.PeerCertificates[0].DNSNames, "localhost") {
			t.Fatalf("unknown name: %v, leaf names %v", err, st.PeerCertificates)
		}
		// The quick-start distribution answers over HTTPS, by address too.
		r, _ := fetch(t, e.client(nil, false), "https://127.0.0.1/_origin/health")
		if r.Status != http.StatusOK {
			t.Fatalf("https by address: %d", r.Status)
		}
	})

	t.Run("MinimumProtocolVersion is enforced per distribution", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			max    uint16
			accept bool
		}{
			{"modern.tls.test", tls.VersionTLS11, false},
			{"modern.tls.test", tls.VersionTLS12, true},
			{"modern.tls.test", tls.VersionTLS13, true},
			{"legacy.tls.test", tls.VersionTLS11, true}, // TLSv1 policy
		} {
			st, err := e.handshake(tc.name, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tc.max})
			if tc.accept && (err != nil || st.Version != tc.max) {
				t.Errorf("%s with TLS %x: %v, version %x", tc.name, tc.max, err, st.Version)
			}
			if !tc.accept && err == nil {
				t.Errorf("%s accepted TLS %x", tc.name, tc.max)
			}
		}
	})

	t.Run("ALPN and Alt-Svc follow HttpVersion", func(t *testing.T) {
		alpn := &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
		if st, err := e.handshake("modern.tls.test", alpn); err != nil || st.NegotiatedProtocol != "h2" {
			t.Fatalf("http2and3: ALPN %q, %v", st.NegotiatedProtocol, err)
		}
		if st, err := e.handshake("legacy.tls.test", alpn); err != nil || st.NegotiatedProtocol != "http/1.1" {
			t.Fatalf("http1.1: ALPN %q, %v", st.NegotiatedProtocol, err)
		}
		_, port, _ := net.SplitHostPort(e.addr)
		r, resp := fetch(t, e.client(nil, true), "https://modern.tls.test/_origin/health")
		if resp.ProtoMajor != 2 || r.Header.Get("Alt-Svc") != `h3=":`+port+`"; ma=86400` {
			t.Fatalf("http2and3 over %s: Alt-Svc %q", resp.Proto, r.Header.Get("Alt-Svc"))
		}
		r, resp = fetch(t, e.client(nil, true), "https://legacy.tls.test/_origin/health")
		if resp.ProtoMajor != 1 || r.Header.Get("Alt-Svc") != "" {
			t.Fatalf("http1.1 over %s: Alt-Svc %q", resp.Proto, r.Header.Get("Alt-Svc"))
		}
		// No HTTP/3 for a distribution without it: the QUIC handshake is refused.
		h3, done := e.h3client()
		defer done()
		if resp, err := h3.Get("https://legacy.tls.test/_origin/health"); err == nil {
			resp.Body.Close()
			t.Fatalf("HTTP/3 to an http1.1 distribution answered %d", resp.StatusCode)
		}
	})

	t.Run("HTTP/1.1, HTTP/2 and HTTP/3 share one cached object", func(t *testing.T) {
		url := "https://a.wild.tls.test/tls-shared?cc=max-age=300&size=1024"
		h3, done := e.h3client()
		defer done()
		var body string
		for i, c := range []struct {
			client *http.Client
			proto  string
			cache  string
		}{
			{e.client(nil, false), "HTTP/1.1", "Miss from pharos"},
			{e.client(nil, true), "HTTP/2.0", "Hit from pharos"},
			{h3, "HTTP/3.0", "Hit from pharos"},
			{e.client(nil, false), "HTTP/1.1", "Hit from pharos"},
		} {
			r, resp := fetch(t, c.client, url)
			if r.Status != http.StatusOK || resp.Proto != c.proto || r.xcache() != c.cache {
				t.Fatalf("request %d: %d over %s, X-Cache %q; want 200 over %s, %q", i, r.Status, resp.Proto, r.xcache(), c.proto, c.cache)
			}
			if len(r.Body) != 1024 || i > 0 && r.Body != body {
				t.Fatalf("request %d over %s: body of %d bytes differs", i, c.proto, len(r.Body))
			}
			body = r.Body
		}
		if n := originCount(t, origin, "/tls-shared?cc=max-age=300&size=1024"); n != 1 {
			t.Fatalf("origin asked %d times, want 1", n)
		}
	})

	t.Run("HTTPS/1.1 starts on the fast path and stays HTTPS when handed off", func(t *testing.T) {
		// The quick-start distribution offers no HTTP/3, so its HTTP/1.1
		// connections start on the fast path; one connection per request.
		c := e.client(nil, false)
		c.Transport.(*http.Transport).DisableKeepAlives = true
		url := "https://" + e.quick + "/tls-fast?cc=max-age=300&size=1024"
		var body string
		for i, want := range []string{"Miss from pharos", "Hit from pharos", "Hit from pharos"} {
			r, resp := fetch(t, c, url)
			if r.Status != http.StatusOK || r.xcache() != want || resp.Proto != "HTTP/1.1" || len(r.Body) != 1024 || i > 0 && r.Body != body {
				t.Fatalf("request %d: %d %s, X-Cache %q, %d bytes", i, r.Status, resp.Proto, r.xcache(), len(r.Body))
			}
			if i > 0 && r.Header.Get("Age") == "" {
				t.Fatalf("request %d: a hit without Age", i)
			}
			body = r.Body
		}
		// A miss is handed to net/http, which must still see TLS: the
		// origin is told the viewer came over HTTPS.
		r, _ := fetch(t, c, "https://"+e.quick+"/_origin/echo")
		if got := decodeEcho(t, r).Header["X-Forwarded-Proto"]; !slices.Equal(got, []string{"https"}) {
			t.Fatalf("X-Forwarded-Proto after a hand-off: %v", got)
		}

		// On one connection: two pipelined hits (GET, HEAD), then a miss
		// that hands the connection to net/http mid-way; every answer
		// arrives, in order.
		conn, err := tls.Dial("tcp", e.addr, &tls.Config{ServerName: e.quick, RootCAs: e.roots, NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		path := "/tls-fast?cc=max-age=300&size=1024"
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\nHEAD %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, e.quick, path, e.quick)
		br := bufio.NewReader(conn)
		for i, method := range []string{"GET", "HEAD"} {
			resp, err := http.ReadResponse(br, &http.Request{Method: method})
			if err != nil {
				t.Fatalf("pipelined answer %d: %v", i+1, err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.Header.Get("X-Cache") != "Hit from pharos" || method == "GET" && string(b) != body || method == "HEAD" && len(b) != 0 {
				t.Fatalf("pipelined %s: X-Cache %q, %d bytes", method, resp.Header.Get("X-Cache"), len(b))
			}
		}
		fmt.Fprintf(conn, "GET /_origin/echo?same-conn HTTP/1.1\r\nHost: %s\r\n\r\n", e.quick)
		resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
		if err != nil {
			t.Fatalf("the answer after the hand-off: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"https"`) {
			t.Fatalf("after the hand-off: %d %s", resp.StatusCode, b)
		}
	})

	t.Run("session resumption", func(t *testing.T) {
		cfg := &tls.Config{RootCAs: e.roots, ClientSessionCache: tls.NewLRUClientSessionCache(8)}
		c := e.client(cfg, false)
		c.Transport.(*http.Transport).DisableKeepAlives = true
		for i, want := range []bool{false, true} {
			_, resp := fetch(t, c, "https://modern.tls.test/_origin/health")
			if resp.TLS.DidResume != want {
				t.Fatalf("connection %d: DidResume %v, want %v", i+1, resp.TLS.DidResume, want)
			}
		}
	})

	t.Run("an imported certificate replaces the local one at once", func(t *testing.T) {
		ca := testCA(t)
		leaf, err := ca.Issue([]string{"modern.tls.test"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		writeTLSPEM(t, certFile, "CERTIFICATE", leaf.Certificate[0])
		key, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
		writeTLSPEM(t, keyFile, "PRIVATE KEY", key)

		out := e.certCLI(t, "import", "--cert", certFile, "--key", keyFile, "-o", "json")
		var imported struct {
			ID         string   `json:"id"`
			Names      []string `json:"names"`
			PrivateKey string   `json:"privateKey"`
		}
		if err := json.Unmarshal([]byte(out), &imported); err != nil || imported.ID == "" || imported.PrivateKey != "" {
			t.Fatalf("import answered %q (%v)", out, err)
		}
		theirs := &tls.Config{RootCAs: ca.Pool()}
		eventually(t, 10*time.Second, "the edge to present the imported certificate", func() bool {
			st, err := e.handshake("modern.tls.test", theirs)
			return err == nil && st.PeerCertificates[0].Equal(leaf.Leaf)
		})
		// Other names keep their local certificates.
		if _, err := e.handshake("legacy.tls.test", nil); err != nil {
			t.Fatalf("legacy.tls.test after the import: %v", err)
		}
		if list := e.certCLI(t, "list"); !strings.Contains(list, imported.ID) || !strings.Contains(list, "modern.tls.test") {
			t.Fatalf("cert list:\n%s", list)
		}
		e.certCLI(t, "delete", imported.ID)
		eventually(t, 10*time.Second, "the edge to return to the local certificate", func() bool {
			_, err := e.handshake("modern.tls.test", nil)
			return err == nil
		})
	})
}

func (e *tlsEdge) certCLI(t *testing.T, args ...string) string {
	t.Helper()
	args = append([]string{"cert"}, args...)
	args = append(args, "--api-url", e.API, "--credentials", filepath.Join(e.DataDir, "credentials.json"))
	cmd := exec.Command(filepath.Join(binDir, "pharos"), args...)
	cmd.Env = append(os.Environ(), "PHAROS_SECRET_ACCESS_KEY=", "PHAROS_API_URL=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pharos %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeTLSPEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(fmt.Errorf("write %s: %w", path, err))
	}
}

// The roles apart: every `pharos edge --https` presents leaves under the
// control plane's one root (carried by the engine), and an import reaches
// every edge.
func TestTLS_EdgesShareOneRoot(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ctl := startControl(t)
	api := ctl.asPharos()
	rootPEM, err := os.ReadFile(filepath.Join(ctl.DataDir, "ca", "root.pem"))
	if err != nil {
		t.Fatalf("pharos control made no root: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	var edges []*tlsEdge
	for _, id := range []string{"t1", "t2"} {
		p := start(t, "pharos", "edge", "--nats", ctl.Engine, "--id", id, "--pop", "pop-"+id,
			"--http", "127.0.0.1:0", "--https", "127.0.0.1:0", "--data", t.TempDir(), "--shutdown-grace", "5s")
		m := p.waitLine(regexp.MustCompile(`^\s+https\s+https://(\S+)`), 30*time.Second)
		edges = append(edges, &tlsEdge{addr: m[1], roots: roots})
	}
	spec := distSpec{Alias: "roles.tls.test", Origin: origin, DefaultTTL: 60, MaxTTL: 3600}.json(t)
	if resp := api.api(t, "POST", "/v1/distributions", spec, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	for i, e := range edges {
		eventually(t, 15*time.Second, fmt.Sprintf("edge %d to present a leaf under the control plane's root", i+1), func() bool {
			st, err := e.handshake("roles.tls.test", nil)
			return err == nil && slices.Equal(st.PeerCertificates[0].DNSNames, []string{"roles.tls.test"})
		})
		r, _ := fetch(t, e.client(nil, true), "https://roles.tls.test/_origin/health")
		if r.Status != http.StatusOK {
			t.Fatalf("edge %d over HTTPS: %d", i+1, r.Status)
		}
	}
	ca := testCA(t)
	leaf, _ := ca.Issue([]string{"roles.tls.test"}, time.Now())
	key, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	body := map[string]string{
		"certificate": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})),
		"privateKey":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})),
	}
	if resp := api.api(t, "POST", "/v1/certificates", body, nil); resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("import: %d %s", resp.StatusCode, b)
	}
	for i, e := range edges {
		eventually(t, 15*time.Second, fmt.Sprintf("edge %d to present the imported certificate", i+1), func() bool {
			st, err := e.handshake("roles.tls.test", &tls.Config{RootCAs: ca.Pool()})
			return err == nil && st.PeerCertificates[0].Equal(leaf.Leaf)
		})
	}
}
