package certs

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"
)

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func newCA(t *testing.T) *CA {
	t.Helper()
	ca, err := NewCA("test", t0)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// pemPair encodes a leaf (with the chain it carries) and its key.
func pemPair(t *testing.T, c *tls.Certificate) (certPEM, keyPEM string) {
	t.Helper()
	for _, der := range c.Certificate {
		certPEM += string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	k, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}))
}

func verify(t *testing.T, ca *CA, c *tls.Certificate, name string, at time.Time) error {
	t.Helper()
	_, err := c.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: name, CurrentTime: at})
	return err
}
