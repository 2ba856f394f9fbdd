package signedurl

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Keys are made once: RSA generation is slow under -race.
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	rsaKey2  *rsa.PrivateKey
	ecKey    *ecdsa.PrivateKey
)

func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey, *ecdsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return rsaKey, rsaKey2, ecKey
}

const (
	rsaID = "K2JCJMDEHXQW5F"
	ecID  = "K3ECDSAKEY0001"
)

func trusted(t testing.TB) Keys {
	r, _, e := testKeys(t)
	return Keys{rsaID: &r.PublicKey, ecID: &e.PublicKey}
}

// now is the tests' request time.
var now = time.Unix(1_800_000_000, 0)

// request describes a viewer's request for a signed URL.
func request(t testing.TB, rawURL string, cookies ...string) *Request {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	path := u.EscapedPath()
	if i := strings.Index(rawURL[len(u.Scheme)+3:], "/"); i >= 0 {
		// The path as written, not as url re-escapes it.
		p := rawURL[len(u.Scheme)+3+i:]
		path, _, _ = strings.Cut(p, "?")
	}
	var ck []string
	if len(cookies) > 0 {
		ck = []string{strings.Join(cookies, "; ")}
	}
	return &Request{
		Scheme: u.Scheme, Host: u.Host, Path: path, RawQuery: u.RawQuery,
		Cookies: ck, ClientIP: netip.MustParseAddr("192.0.2.10"), Now: now,
	}
}
