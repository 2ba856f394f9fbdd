package signedurl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// ParsePublicKey reads a PEM-encoded public key of a kind CloudFront takes
// for signed URLs: RSA (2048 bits or more) or ECDSA on P-256, as a
// SubjectPublicKeyInfo ("PUBLIC KEY") or, for RSA, PKCS#1 ("RSA PUBLIC KEY").
func ParsePublicKey(pemText []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("signedurl: no PEM block in public key")
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("signedurl: PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("signedurl: parse public key: %w", err)
	}
	if err := checkKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// ParsePrivateKey reads a PEM-encoded RSA or ECDSA P-256 private key
// (PKCS#1, SEC 1 or PKCS#8), as CloudFront key pairs and openssl make them.
func ParsePrivateKey(pemText []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("signedurl: no PEM block in private key")
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("signedurl: PEM block %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("signedurl: parse private key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signedurl: unsupported private key type %T", key)
	}
	if err := checkKey(signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

func checkKey(pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("signedurl: RSA key of %d bits; CloudFront keys have 2048", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("signedurl: ECDSA key on %s; only P-256 is supported", k.Curve.Params().Name)
		}
	default:
		return fmt.Errorf("signedurl: unsupported public key type %T (RSA or ECDSA P-256)", pub)
	}
	return nil
}

// digest hashes msg with SHA-1 or SHA-256.
func digest(h crypto.Hash, msg []byte) []byte {
	if h == crypto.SHA256 {
		d := sha256.Sum256(msg)
		return d[:]
	}
	d := sha1.Sum(msg)
	return d[:]
}

// verifySignature reports whether sig is pub's signature of msg under h.
// ECDSA signatures are ASN.1 DER, as Go's and Java's signers make them; a
// raw 64-byte r||s is taken too, since it says the same thing.
func verifySignature(pub crypto.PublicKey, h crypto.Hash, msg, sig []byte) bool {
	d := digest(h, msg)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, h, d, sig) == nil
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(k, d, sig) {
			return true
		}
		if len(sig) == 64 {
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(k, d, r, s)
		}
	}
	return false
}
