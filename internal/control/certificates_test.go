package control

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/model"
)

func testCertPEM(t *testing.T, names ...string) (string, string) {
	t.Helper()
	ca, err := certs.NewCA("control test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.Issue(names, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k, _ := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}))
}

func TestCertificateLifecycle(t *testing.T) {
	s, ctx := startService(t)
	cert, key := testCertPEM(t, "shop.example.com", "*.shop.example.com")
	c, err := s.ImportCertificate(ctx, CertificateImport{Certificate: cert, PrivateKey: key, Comment: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if !model.ValidCertificateID(c.ID) || c.PrivateKeyPEM != "" || len(c.Names) != 2 || c.Names[1] != "*.shop.example.com" {
		t.Fatalf("imported %+v", c)
	}
	// The engine holds the key (edges need it); the API never returns it.
	v, _, err := s.cfg.Get(ctx, certs.CertPrefix+c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certs.DecodeRoot(v); err == nil {
		t.Fatal("certificate stored in the root's shape")
	}
	list, err := s.Certificates(ctx)
	if err != nil || len(list) != 1 || list[0].ID != c.ID || list[0].PrivateKeyPEM != "" {
		t.Fatalf("list: %v %+v", err, list)
	}
	if got, err := s.Certificate(ctx, c.ID); err != nil || got.PrivateKeyPEM != "" || got.Comment != "shop" {
		t.Fatalf("get: %v %+v", err, got)
	}

	// A distribution naming it keeps it from being deleted.
	d := testDist(model.Behavior{})
	d.ViewerCertificate.CertificateID = c.ID
	st, err := s.Create(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.DeleteCertificate(ctx, c.ID), "CertificateInUse")
	if err := s.Delete(ctx, st.Distribution.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCertificate(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Certificate(ctx, c.ID); !errors.Is(err, ErrNoSuchCertificate) {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.DeleteCertificate(ctx, c.ID); !errors.Is(err, ErrNoSuchCertificate) {
		t.Fatalf("second delete: %v", err)
	}
}

func TestCertificateImportNamesTheField(t *testing.T) {
	s, ctx := startService(t)
	cert, key := testCertPEM(t, "a.example")
	_, otherKey := testCertPEM(t, "a.example")
	_, err := s.ImportCertificate(ctx, CertificateImport{Certificate: cert, PrivateKey: otherKey})
	wantField(t, err, "privateKey")
	_, err = s.ImportCertificate(ctx, CertificateImport{Certificate: key, PrivateKey: key})
	wantField(t, err, "certificate")
	if list, _ := s.Certificates(ctx); len(list) != 0 {
		t.Fatalf("a refused import was stored: %+v", list)
	}
}

// A distribution may not name a certificate that was never imported.
func TestDistributionNamesAnUnknownCertificate(t *testing.T) {
	s, ctx := startService(t)
	d := testDist(model.Behavior{})
	d.ViewerCertificate.CertificateID = model.NewCertificateID()
	_, err := s.Create(ctx, d)
	var verr model.ValidationError
	if !errors.As(err, &verr) || len(verr) != 1 || verr[0].Field != "viewerCertificate.certificateId" {
		t.Fatalf("create naming an unknown certificate: %v, want a validation error on viewerCertificate.certificateId", err)
	}
}
