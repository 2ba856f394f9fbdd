package certs

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

// gatedStorage is a FileStorage that says it cannot answer until opened,
// as the engine's storage does before an edge reaches the engine.
type gatedStorage struct {
	*certmagic.FileStorage
	open atomic.Bool
}

func (g *gatedStorage) Ready() bool { return g.open.Load() }

// Until the storage can answer, no name starts management and no
// validation is answered; once it can, they do.
func TestACMEWaitsForStorage(t *testing.T) {
	o := acmeOptions(t)
	g := &gatedStorage{FileStorage: &certmagic.FileStorage{Path: t.TempDir()}}
	o.Storage = g
	a, err := NewACME(o)
	if err != nil {
		t.Fatal(err)
	}
	a.Start(func(string) bool { return true })
	defer a.Stop()

	hello := &tls.ClientHelloInfo{ServerName: "www.example.com", SupportedProtos: []string{"acme-tls/1"}}
	challenge := func() bool {
		r := httptest.NewRequest(http.MethodGet, "http://www.example.com/.well-known/acme-challenge/tok", nil)
		return a.HandleHTTP(httptest.NewRecorder(), r)
	}
	if a.Get("www.example.com") != nil || a.Managed() != 0 {
		t.Fatalf("management started before the storage could answer (%d names)", a.Managed())
	}
	if a.ChallengeConfig(hello) != nil || challenge() {
		t.Errorf("a validation answered before the storage could answer")
	}
	g.open.Store(true)
	if a.Get("www.example.com") != nil || a.Managed() != 1 {
		t.Fatalf("%d names managed once the storage answers, want 1", a.Managed())
	}
	if a.ChallengeConfig(hello) == nil {
		t.Errorf("TLS-ALPN-01 not answered once the storage answers")
	}
}

// A certificate another edge stored is picked up at a handshake while
// this edge's own attempt waits to retry: not before recheckEvery since
// the last look, and without a restart.
func TestACMEPicksUpAStoredCertificate(t *testing.T) {
	o := acmeOptions(t)
	a, err := NewACME(o)
	if err != nil {
		t.Fatal(err)
	}
	a.Start(func(string) bool { return true })
	defer a.Stop()
	const name = "www.example.com"
	if a.Get(name) != nil {
		t.Fatal("a certificate before anyone obtained one")
	}

	// Another edge obtains it and stores it where certmagic looks.
	ca, err := NewCA("other edge", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue([]string{name}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := pemPair(t, leaf)
	meta, _ := json.Marshal(certmagic.CertificateResource{SANs: []string{name}})
	store := &certmagic.FileStorage{Path: o.Dir}
	ik := a.issuer.IssuerKey()
	ctx := context.Background()
	for key, v := range map[string]string{
		certmagic.StorageKeys.SiteCert(ik, name): certPEM, certmagic.StorageKeys.SitePrivateKey(ik, name): keyPEM,
		certmagic.StorageKeys.SiteMeta(ik, name): string(meta),
	} {
		if err := store.Store(ctx, key, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}

	if a.Get(name) != nil {
		t.Errorf("storage read again sooner than every %s", recheckEvery)
	}
	a.mu.Lock()
	a.managed[name].checked = time.Now().Add(-recheckEvery)
	a.mu.Unlock()
	got := a.Get(name)
	if got == nil || got.Leaf == nil || got.Leaf.SerialNumber.Cmp(leaf.Leaf.SerialNumber) != 0 {
		t.Fatalf("after %s: %v, want the stored certificate", recheckEvery, got)
	}
}
