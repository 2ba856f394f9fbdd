package certs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCACreateAndReload(t *testing.T) {
	dir := t.TempDir()
	ca, created, err := LoadOrCreateCA(dir, "/srv/pharos-data")
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	if cn := ca.Cert.Subject.CommonName; cn != "Pharos local CA (/srv/pharos-data)" {
		t.Errorf("common name %q", cn)
	}
	if got := ca.Cert.NotAfter.Sub(ca.Cert.NotBefore); got < 19*365*24*time.Hour {
		t.Errorf("root valid only %v", got)
	}
	if ca.Cert.PublicKeyAlgorithm.String() != "ECDSA" || ca.Key.Curve.Params().Name != "P-256" {
		t.Errorf("root key %s %s, want ECDSA P-256", ca.Cert.PublicKeyAlgorithm, ca.Key.Curve.Params().Name)
	}
	st, err := os.Stat(filepath.Join(dir, "ca", "root-key.pem"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, st.Mode())
	}
	if RootPath(dir) != filepath.Join(dir, "ca", "root.pem") {
		t.Errorf("root path %s", RootPath(dir))
	}
	again, created, err := LoadOrCreateCA(dir, "elsewhere")
	if err != nil || created {
		t.Fatalf("reload: %v, created %v", err, created)
	}
	if !again.Cert.Equal(ca.Cert) || !again.Key.Equal(ca.Key) {
		t.Fatal("reload gave another root")
	}
	// A key file that is not the root's is refused, not silently replaced.
	other := newCA(t)
	os.WriteFile(filepath.Join(dir, "ca", "root-key.pem"), other.KeyPEM, 0o600)
	if _, _, err := LoadOrCreateCA(dir, "x"); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("mismatched key: %v", err)
	}
}

func TestRootTravelsThroughTheEngine(t *testing.T) {
	ca := newCA(t)
	back, err := DecodeRoot(EncodeRoot(ca))
	if err != nil || !back.Cert.Equal(ca.Cert) || !back.Key.Equal(ca.Key) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := DecodeRoot([]byte(`{"certificate":"x"}`)); err == nil {
		t.Fatal("garbage root accepted")
	}
}

func TestLeafIssuance(t *testing.T) {
	ca := newCA(t)
	c, err := ca.Issue([]string{"d123.pharos.test", "127.0.0.1"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(t, ca, c, "d123.pharos.test", t0); err != nil {
		t.Fatalf("leaf does not verify under the root: %v", err)
	}
	if err := verify(t, ca, c, "other.pharos.test", t0); err == nil {
		t.Fatal("leaf verifies for a name it does not carry")
	}
	if len(c.Leaf.IPAddresses) != 1 || !c.Leaf.IPAddresses[0].IsLoopback() {
		t.Errorf("IP SANs %v", c.Leaf.IPAddresses)
	}
	if c.Leaf.NotAfter.Sub(t0) > LeafValidity || c.Leaf.NotAfter.Sub(t0) < LeafValidity-time.Minute {
		t.Errorf("leaf valid until %v", c.Leaf.NotAfter)
	}
	if err := verify(t, ca, c, "d123.pharos.test", t0.Add(LeafValidity+time.Hour)); err == nil {
		t.Fatal("leaf verifies after its validity")
	}
}

func TestIssuerCachesAndRenews(t *testing.T) {
	ca := newCA(t)
	now := t0
	is := NewIssuer(ca, 4, func() time.Time { return now })
	a, err := is.Get("a.example")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := is.Get("a.example"); b != a || is.Issued() != 1 {
		t.Fatalf("second Get issued again (issued %d)", is.Issued())
	}
	// Two thirds into its life the leaf is replaced by a fresh one.
	now = t0.Add(LeafValidity * 2 / 3).Add(time.Hour)
	b, _ := is.Get("a.example")
	if b == a || is.Issued() != 2 || !b.Leaf.NotAfter.After(a.Leaf.NotAfter) {
		t.Fatalf("not renewed: same %v, issued %d", b == a, is.Issued())
	}
	// The cache stays within its bound.
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		if _, err := is.Get(n + ".example"); err != nil {
			t.Fatal(err)
		}
	}
	is.mu.Lock()
	n := len(is.leaves)
	is.mu.Unlock()
	if n > 4 {
		t.Fatalf("%d leaves kept, bound 4", n)
	}
}
