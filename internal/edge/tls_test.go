package edge

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"

	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/model"
)

// The local CA signs only for names the table claims, and one wildcard
// leaf for every one-label name under a wildcard.
func TestIssueName(t *testing.T) {
	s := newTestEdge(t, nil)
	o := model.Origin{ID: "o", DomainName: "127.0.0.1"}
	d := simpleDist("E1AAAAAAAAAAAA", "d1.pharos.test", o, nil)
	d.Aliases = []string{"www.example.com", "*.wild.example"}
	fallback := simpleDist("E2AAAAAAAAAAAA", "d2.pharos.test", o, nil)
	fallback.Default = true
	apply(t, s, 1, d, fallback)
	tbl := s.table.Load()
	for name, want := range map[string]string{
		"d1.pharos.test":        "d1.pharos.test",
		"e-edge.d1.pharos.test": "*.d1.pharos.test",
		"a.b.d1.pharos.test":    "a.b.d1.pharos.test",
		"www.example.com":       "www.example.com",
		"x.wild.example":        "*.wild.example",
		"wild.example":          "",
		"anything.else":         "", // the default distribution answers it, the CA does not sign it
		"":                      "",
	} {
		if got := tbl.issueName(name); got != want {
			t.Errorf("issueName(%q) = %q, want %q", name, got, want)
		}
	}
}

// In-process: HTTP/3 on a connection opened for a distribution with HTTP/3
// is refused with 421 for a Host whose distribution lacks it.
func TestHTTP3MisdirectedHost(t *testing.T) {
	s := newTestEdge(t, nil)
	origin := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	o := origin.modelOrigin(t, "o")
	h3 := simpleDist("E1AAAAAAAAAAAA", "h3.example", o, nil)
	h3.HTTPVersion = "http2and3"
	h1 := simpleDist("E2AAAAAAAAAAAA", "h1.example", o, nil)
	h1.HTTPVersion = "http1.1"
	apply(t, s, 1, h3, h1)

	ca, err := certs.NewCA("edge test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tc := NewTLSCerts([]string{"localhost"})
	tc.SetCA(ca)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeTLS(ctx, l, pc, tc, time.Second) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeTLS: %v", err)
		}
	}()

	tr := &http3.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool()},
		Dial: func(ctx context.Context, _ string, cfg *tls.Config, qc *quic.Config) (*quic.Conn, error) {
			cfg = cfg.Clone()
			cfg.ServerName = "h3.example" // one connection for both names
			return quic.DialAddrEarly(ctx, pc.LocalAddr().String(), cfg, qc)
		},
	}
	defer tr.Close()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	for host, want := range map[string]int{"h3.example": http.StatusOK, "h1.example": http.StatusMisdirectedRequest} {
		resp, err := c.Get("https://" + host + "/x")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s over HTTP/3: %d, want %d", host, resp.StatusCode, want)
		}
		if alt := resp.Header.Get("Alt-Svc"); (want == http.StatusOK) != (alt != "") {
			t.Errorf("%s: Alt-Svc %q", host, alt)
		}
	}
}
