package signedurl

import (
	"crypto"
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Signer makes signed URLs and cookies, as the AWS SDKs and CLI do, for
// `pharos sign` and for tests.
type Signer struct {
	KeyID string
	Key   crypto.Signer
	// Hash is crypto.SHA1 (the default when zero) or crypto.SHA256, which
	// adds Hash-Algorithm=SHA256.
	Hash crypto.Hash
}

// Signed is one signature's parameters.
type Signed struct {
	Expires   int64  // canned policy: its expiry (0 for a custom policy)
	Policy    []byte // custom policy: its JSON (nil for a canned policy)
	Signature string // CloudFront base64
	KeyPairID string
	HashName  string // "" (SHA-1) or "SHA256"
}

// Canned signs a canned policy for resource (the full URL, its own query
// included) expiring at the Unix second expires.
func (s Signer) Canned(resource string, expires int64) (Signed, error) {
	if expires <= 0 || expires > MaxCannedExpires {
		return Signed{}, fmt.Errorf("signedurl: expiry %d outside a canned policy's range", expires)
	}
	out, err := s.sign(CannedPolicy(resource, expires))
	out.Expires = expires
	return out, err
}

// Custom signs a custom policy's exact bytes.
func (s Signer) Custom(policy []byte) (Signed, error) {
	out, err := s.sign(policy)
	out.Policy = policy
	return out, err
}

func (s Signer) sign(policy []byte) (Signed, error) {
	h := s.Hash
	if h == 0 {
		h = crypto.SHA1
	}
	name := ""
	if h == crypto.SHA256 {
		name = "SHA256"
	} else if h != crypto.SHA1 {
		return Signed{}, fmt.Errorf("signedurl: unsupported hash %v", h)
	}
	sig, err := s.Key.Sign(rand.Reader, digest(h, policy), h)
	if err != nil {
		return Signed{}, fmt.Errorf("signedurl: sign: %w", err)
	}
	return Signed{Signature: Encode(sig), KeyPairID: s.KeyID, HashName: name}, nil
}

// URL appends the signing parameters to rawURL.
func (g Signed) URL(rawURL string) string {
	var b strings.Builder
	b.WriteString(rawURL)
	if strings.Contains(rawURL, "?") {
		b.WriteByte('&')
	} else {
		b.WriteByte('?')
	}
	for i, kv := range g.pairs() {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0] + "=" + kv[1])
	}
	return b.String()
}

// Cookies returns the signed cookies; the caller sets Domain, Path and
// the other attributes.
func (g Signed) Cookies() []*http.Cookie {
	var cs []*http.Cookie
	for _, kv := range g.pairs() {
		cs = append(cs, &http.Cookie{Name: CookiePrefix + kv[0], Value: kv[1], HttpOnly: true})
	}
	return cs
}

func (g Signed) pairs() [][2]string {
	var out [][2]string
	if g.Policy != nil {
		out = append(out, [2]string{ParamPolicy, Encode(g.Policy)})
	} else {
		out = append(out, [2]string{ParamExpires, strconv.FormatInt(g.Expires, 10)})
	}
	out = append(out, [2]string{ParamSignature, g.Signature}, [2]string{ParamKeyPairID, g.KeyPairID})
	if g.HashName != "" {
		out = append(out, [2]string{ParamHashAlgorithm, g.HashName})
	}
	return out
}
