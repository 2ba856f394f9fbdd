package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/security/signedurl"
)

func TestParseSignTime(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for in, want := range map[string]int64{
		"1900000000":                1900000000,
		"2030-01-02":                1893542400,
		"2030-01-02T03:04:05":       1893553445,
		"2030-01-02T03:04:05Z":      1893553445,
		"2030-01-02T05:04:05+02:00": 1893553445,
		"90m":                       1_800_005_400,
	} {
		if got, err := parseSignTime(in, now); err != nil || got != want {
			t.Errorf("parseSignTime(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseSignTime("tomorrow", now); err == nil {
		t.Error("tomorrow parsed")
	}
}

// What `pharos sign` makes, the edge's verifier accepts: canned, custom
// from flags, and a policy file.
func TestSignFlagsVerify(t *testing.T) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	policyFile := filepath.Join(dir, "policy.json")
	os.WriteFile(policyFile, []byte("{\n \"Statement\": [{\"Resource\": \"http://h.example/v/*\",\n \"Condition\": {\"DateLessThan\": {\"AWS:EpochTime\": 1900000000}}}]\n}\n"), 0o600)
	now := time.Unix(1_800_000_000, 0)
	const u = "http://h.example/v/a.mp4?q=1"
	for name, f := range map[string]signFlags{
		"canned":      {expires: "1h"},
		"custom":      {dateLessThan: "2030-01-01", dateGreaterThan: "1799999999", ipAddress: "192.0.2.1", resource: "http://h.example/v/*", hashAlg: "SHA256"},
		"policy file": {policyFile: "file://" + policyFile},
	} {
		f.keyPairID, f.privateKey, f.output = "KTESTKEY000001", keyFile, "text"
		g, err := f.sign(u, now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pu, _ := url.Parse(g.URL(u))
		req := &signedurl.Request{Scheme: "http", Host: pu.Host, Path: pu.EscapedPath(), RawQuery: pu.RawQuery,
			ClientIP: netip.MustParseAddr("192.0.2.1"), Now: now}
		if _, verr := signedurl.Verify(req, signedurl.Keys{"KTESTKEY000001": &k.PublicKey}); verr != nil {
			t.Errorf("%s: %s refused: %v", name, g.URL(u), verr)
		}
	}
	bad := signFlags{keyPairID: "K", privateKey: keyFile, output: "text", policyFile: policyFile, expires: "1h"}
	if _, err := bad.sign(u, now); err == nil {
		t.Error("--policy with --expires accepted")
	}
}
