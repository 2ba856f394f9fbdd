package model

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// PublicKey is a key that may verify signed URLs and cookies (CloudFront's
// PublicKey). EncodedKey is a PEM "PUBLIC KEY" block (SubjectPublicKeyInfo)
// holding an RSA-2048 or ECDSA P-256 key.
type PublicKey struct {
	ID              string    `json:"id,omitempty"`
	CallerReference string    `json:"callerReference"`
	Name            string    `json:"name"`
	EncodedKey      string    `json:"encodedKey"`
	Comment         string    `json:"comment,omitempty"`
	CreatedTime     time.Time `json:"createdTime,omitzero"`
}

// KeyGroup is a set of public keys a behaviour trusts (CloudFront's
// KeyGroup); Items are public key ids.
type KeyGroup struct {
	ID           string    `json:"id,omitempty"`
	Name         string    `json:"name"`
	Items        []string  `json:"items"`
	Comment      string    `json:"comment,omitempty"`
	LastModified time.Time `json:"lastModified,omitzero"`
}

// MaxKeysPerGroup is CloudFront's quota of public keys in a key group.
const MaxKeysPerGroup = 5

// Validate checks a public key: a caller reference, a name, and a PEM that
// is an RSA-2048 or ECDSA P-256 public key.
func (k *PublicKey) Validate() error {
	v := &validator{}
	if k.CallerReference == "" || len(k.CallerReference) > 128 {
		v.fail("callerReference", "required, at most 128 characters")
	}
	checkPolicyName(v, k.Name, k.Comment)
	if err := checkPublicKeyPEM(k.EncodedKey); err != nil {
		v.fail("encodedKey", "%v", err)
	}
	return v.err()
}

// Validate checks a key group's own fields; that each key exists is the
// control plane's check.
func (g *KeyGroup) Validate() error {
	v := &validator{}
	checkPolicyName(v, g.Name, g.Comment)
	if len(g.Items) == 0 || len(g.Items) > MaxKeysPerGroup {
		v.fail("items", "must list 1 to %d public key ids", MaxKeysPerGroup)
	}
	seen := map[string]bool{}
	for i, id := range g.Items {
		if !ValidID(id, 'K') {
			v.fail(fmt.Sprintf("items[%d]", i), "%q: must be K followed by 13 of [A-Z0-9]", id)
		} else if seen[id] {
			v.fail(fmt.Sprintf("items[%d]", i), "%q is listed twice", id)
		}
		seen[id] = true
	}
	return v.err()
}

// checkPublicKeyPEM accepts exactly one PEM "PUBLIC KEY" block holding an
// RSA key of 2048 bits or an ECDSA key on P-256, the two kinds CloudFront
// signs with.
func checkPublicKeyPEM(s string) error {
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return errors.New("not a PEM block")
	}
	if block.Type != "PUBLIC KEY" {
		return fmt.Errorf("PEM block is %q, want PUBLIC KEY", block.Type)
	}
	if len(pemTrim(rest)) != 0 {
		return errors.New("more than one PEM block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return fmt.Errorf("not a public key: %v", err)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() != 2048 {
			return fmt.Errorf("RSA key of %d bits, want 2048", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("ECDSA key on %s, want P-256", k.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("%T keys are not supported: use RSA-2048 or ECDSA P-256", pub)
	}
	return nil
}

func pemTrim(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
