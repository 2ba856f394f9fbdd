package edge

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/model"
)

// newTestACME is an ACME client whose CA is a closed loopback port: orders
// it starts fail and are retried in the background until the test ends.
func newTestACME(t *testing.T) *certs.ACME {
	t.Helper()
	a, err := certs.NewACME(certs.ACMEOptions{Email: "ops@example.com", Agreed: true, CA: "https://127.0.0.1:1/dir",
		Dir:    t.TempDir(),
		HTTP:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080},
		HTTPS:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443},
		Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	return a
}

// importedFor makes an imported certificate for names, as the engine
// stores it.
func importedFor(t *testing.T, names ...string) model.Certificate {
	t.Helper()
	ca, err := certs.NewCA("imported", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(names, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	m, err := certs.Import(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m.ID = model.NewCertificateID()
	return m
}

// Only exact aliases without an imported certificate get ACME
// certificates; domain names only when asked.
func TestACMEEligible(t *testing.T) {
	s := newTestEdge(t, nil)
	o := model.Origin{ID: "o", DomainName: "127.0.0.1"}
	d := simpleDist("E1AAAAAAAAAAAA", "d1.pharos.test", o, nil)
	d.Aliases = []string{"www.example.com", "Shop.Example.com", "*.wild.example", "covered.example.com"}
	fallback := simpleDist("E2AAAAAAAAAAAA", "d2.pharos.test", o, nil)
	fallback.Default = true
	apply(t, s, 1, d, fallback)
	tc := NewTLSCerts([]string{"localhost"})
	local, err := certs.NewCA("local", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tc.SetCA(local)
	set, skipped := certs.NewSet([]model.Certificate{importedFor(t, "covered.example.com")})
	if len(skipped) > 0 {
		t.Fatal(skipped)
	}
	tc.SetImported(set)
	a := newTestACME(t)
	s.EnableACME(tc, a, false)
	withDomains := &edgeACME{a: a, s: s, tc: tc, domainNames: true}
	tbl := s.table.Load()
	for _, c := range []struct {
		name              string
		want, wantDomains bool
	}{
		{"www.example.com", true, true},
		{"shop.example.com", true, true}, // names arrive lower-cased
		{"covered.example.com", false, false},
		{"x.wild.example", false, false},
		{"d1.pharos.test", false, true},
		{"e-edge.d1.pharos.test", false, false},
		{"d2.pharos.test", false, true},
		{"anything.else", false, false}, // the default distribution answers it
		{"", false, false},
	} {
		if got := s.acme.eligible(tbl, c.name); got != c.want {
			t.Errorf("eligible(%q) = %v, want %v", c.name, got, c.want)
		}
		if got := withDomains.eligible(tbl, c.name); got != c.wantDomains {
			t.Errorf("with domain names: eligible(%q) = %v, want %v", c.name, got, c.wantDomains)
		}
	}
	// Handshakes start management for eligible names only; until the CA
	// answers the local CA's leaf is presented.
	for _, name := range []string{"www.example.com", "www.example.com", "covered.example.com", "x.wild.example", "anything.else"} {
		c, err := tc.certificate(tbl, name, "")
		if err != nil || c == nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if n := a.Managed(); n != 1 {
		t.Errorf("%d names managed, want 1 (www.example.com)", n)
	}
	if c, _ := tc.certificate(tbl, "www.example.com", ""); c.Leaf.DNSNames[0] != "www.example.com" || c.Leaf.Issuer.CommonName != tc.CA().Cert.Subject.CommonName {
		t.Errorf("while obtaining: %v from %q, want the local CA's leaf", c.Leaf.DNSNames, c.Leaf.Issuer.CommonName)
	}
}

// A challenge path whose token this edge did not start goes on to the
// distribution (an origin may run its own ACME client behind the CDN).
func TestACMEChallengePassesThrough(t *testing.T) {
	s := newTestEdge(t, nil)
	org := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("from origin")) })
	d := simpleDist("E1AAAAAAAAAAAA", "d1.pharos.test", org.modelOrigin(t, "o"), nil)
	d.Aliases = []string{"www.example.com"}
	apply(t, s, 1, d)
	s.EnableACME(NewTLSCerts(nil), newTestACME(t), false)
	req := httptest.NewRequest("GET", "/.well-known/acme-challenge/abcDEF123", nil)
	req.Host = "www.example.com"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Body.String() != "from origin" {
		t.Fatalf("%d %q, want the origin's answer", w.Code, w.Body.String())
	}
}
