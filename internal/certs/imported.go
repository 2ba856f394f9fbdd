package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pharos-cdn/pharos/internal/model"
)

// FieldError says which input of an import is wrong: "certificate" or
// "privateKey", the names of the API's fields.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Import checks a PEM chain (leaf first, then intermediates) and its key
// and returns the model certificate to store (without an id): the leaf's
// DNS names, its dates, and the PEMs as given. It refuses a chain that
// does not parse or whose links are not signed in order, a leaf with no
// DNS names, outside its validity at now, or whose key is not the one given.
func Import(certPEM, keyPEM string, now time.Time) (model.Certificate, error) {
	chain, err := parseChain([]byte(certPEM))
	if err != nil {
		return model.Certificate{}, &FieldError{Field: "certificate", Err: err}
	}
	leaf := chain[0]
	if len(leaf.DNSNames) == 0 {
		return model.Certificate{}, fieldErr("certificate", "the leaf has no DNS names (subjectAltName)")
	}
	if now.After(leaf.NotAfter) {
		return model.Certificate{}, fieldErr("certificate", "expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return model.Certificate{}, fieldErr("certificate", "not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	key, err := parseKey([]byte(keyPEM))
	if err != nil {
		return model.Certificate{}, &FieldError{Field: "privateKey", Err: err}
	}
	pub, ok := key.(interface{ Public() crypto.PublicKey })
	if !ok || !publicEqual(pub.Public(), leaf.PublicKey) {
		return model.Certificate{}, fieldErr("privateKey", "does not match the certificate's public key")
	}
	names := make([]string, len(leaf.DNSNames))
	for i, n := range leaf.DNSNames {
		names[i] = strings.ToLower(n)
	}
	return model.Certificate{Names: names, NotBefore: leaf.NotBefore.UTC(), NotAfter: leaf.NotAfter.UTC(),
		CertificatePEM: certPEM, PrivateKeyPEM: keyPEM}, nil
}

// KeyPair turns a stored certificate into what a TLS server presents.
func KeyPair(c model.Certificate) (*tls.Certificate, error) {
	kp, err := tls.X509KeyPair([]byte(c.CertificatePEM), []byte(c.PrivateKeyPEM))
	if err != nil {
		return nil, fmt.Errorf("certs: certificate %s: %w", c.ID, err)
	}
	return &kp, nil
}

func parseChain(data []byte) ([]*x509.Certificate, error) {
	var chain []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is %q, want CERTIFICATE", len(chain)+1, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d of the chain: %w", len(chain)+1, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	for i := 0; i+1 < len(chain); i++ {
		if err := chain[i].CheckSignatureFrom(chain[i+1]); err != nil {
			return nil, fmt.Errorf("certificate %d of the chain is not signed by certificate %d (give the leaf first, then each issuer): %w", i+1, i+2, err)
		}
	}
	return chain, nil
}

// parseKey reads a PKCS#8, SEC 1 (EC) or PKCS#1 (RSA) private key.
func parseKey(data []byte) (crypto.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	switch b.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PKCS #8 key: %w", err)
		}
		return k, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("EC key: %w", err)
		}
		return k, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("RSA key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a private key", b.Type)
}

func publicEqual(a, b crypto.PublicKey) bool {
	switch k := a.(type) {
	case *ecdsa.PublicKey:
		return k.Equal(b)
	case *rsa.PublicKey:
		return k.Equal(b)
	case ed25519.PublicKey:
		return k.Equal(b)
	}
	return false
}
