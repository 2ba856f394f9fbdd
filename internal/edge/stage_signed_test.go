package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/model"
	"github.com/pharos-cdn/pharos/internal/security/signedurl"
)

type signingKey struct {
	trusted model.TrustedKey
	signer  signedurl.Signer
}

var (
	signingKeyOnce sync.Once
	signingKeyVal  signingKey
)

// testSigningKey is an ECDSA P-256 key pair, as a behaviour trusts it and
// as a signer uses it.
func testSigningKey(t testing.TB) signingKey {
	t.Helper()
	signingKeyOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			panic(err)
		}
		id := "KEDGETESTKEY01"
		signingKeyVal = signingKey{
			trusted: model.TrustedKey{ID: id, PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
			signer:  signedurl.Signer{KeyID: id, Key: k},
		}
	})
	return signingKeyVal
}

func TestSignedStage(t *testing.T) {
	clock := newFakeClock()
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", clock.Now().Format(http.TimeFormat))
		w.Header().Set("Cache-Control", "max-age=60")
		w.Write([]byte("secret " + r.URL.Path))
	})
	s := newTestEdge(t, clock)
	key := testSigningKey(t)
	mo := o.modelOrigin(t, "o1")
	d := simpleDist(distID('S'), "signed.test", mo, &model.CachePolicy{
		MinTTL: 0, DefaultTTL: 60, MaxTTL: 600,
		QueryStrings: model.ListConfig{Behavior: "all"},
	})
	d.DefaultBehavior.OriginRequest = &model.OriginRequestPolicy{Cookies: model.ListConfig{Behavior: "all"}}
	d.DefaultBehavior.TrustedKeyGroups = []string{"kg1"}
	d.DefaultBehavior.TrustedKeys = []model.TrustedKey{key.trusted}
	apply(t, s, 1, d)

	exp := clock.Now().Add(time.Hour).Unix()
	signURL := func(u string) string {
		g, err := key.signer.Canned(u, exp)
		if err != nil {
			t.Fatal(err)
		}
		return g.URL(u)
	}
	get := func(target string, header http.Header) *httptest.ResponseRecorder {
		return serve(s, "GET", target, header)
	}

	// Refused: CloudFront's XML, 403, X-Cache Error.
	w := get("http://signed.test/a.txt", nil)
	if w.Code != 403 || w.Header().Get("Content-Type") != "text/xml" || w.Header().Get("X-Cache") != "Error from pharos" ||
		w.Body.String() != `<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>` {
		t.Fatalf("unsigned: %d %v %q", w.Code, w.Header(), w.Body)
	}
	if o.count.Load() != 0 {
		t.Fatal("an unsigned request reached the origin")
	}

	// Accepted: the origin sees neither the signing parameters nor cookies.
	w = get(signURL("http://signed.test/a.txt?v=1"), http.Header{"Cookie": {"CloudFront-Key-Pair-Id=x; theme=dark"}})
	if w.Code != 200 || w.Body.String() != "secret /a.txt" {
		t.Fatalf("signed: %d %q", w.Code, w.Body)
	}
	seen := o.last(t)
	if seen.URI != "/a.txt?v=1" || seen.Header.Get("Cookie") != "theme=dark" {
		t.Errorf("origin saw %q with Cookie %q", seen.URI, seen.Header.Get("Cookie"))
	}

	// The signing parameters are not in the cache key: a second URL signed
	// afresh is a hit on the same object.
	exp++
	w = get(signURL("http://signed.test/a.txt?v=1"), nil)
	if w.Code != 200 || w.Header().Get("X-Cache") != "Hit from pharos" || o.count.Load() != 1 {
		t.Errorf("re-signed: %d %s, origin count %d", w.Code, w.Header().Get("X-Cache"), o.count.Load())
	}
	// ...but a cached object still needs a signature.
	if w = get("http://signed.test/a.txt?v=1", nil); w.Code != 403 {
		t.Errorf("unsigned request for a cached object: %d", w.Code)
	}

	// Signed cookies.
	g, err := key.signer.Custom(signedurl.MarshalPolicy(signedurl.Policy{Resource: "http://signed.test/c/*", DateLessThan: exp}))
	if err != nil {
		t.Fatal(err)
	}
	var ck []string
	for _, c := range g.Cookies() {
		ck = append(ck, c.Name+"="+c.Value)
	}
	w = get("http://signed.test/c/b.txt", http.Header{"Cookie": {"a=1; " + strings.Join(ck, "; ")}})
	if w.Code != 200 {
		t.Fatalf("cookies: %d %q", w.Code, w.Body)
	}
	if c := o.last(t).Header.Get("Cookie"); c != "a=1" {
		t.Errorf("origin saw Cookie %q, want a=1", c)
	}

	// Expiry is checked at the request's start, on the edge's clock.
	u := signURL("http://signed.test/late.txt")
	clock.Advance(2 * time.Hour)
	if w = get(u, nil); w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>AccessDenied</Code>") {
		t.Errorf("expired: %d %q", w.Code, w.Body)
	}
	// HEAD gets the status and headers, no body.
	if w = serve(s, "HEAD", "http://signed.test/x", nil); w.Code != 403 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d body bytes", w.Code, w.Body.Len())
	}
}

// A behaviour whose key groups' keys are missing or unusable lets nothing in.
func TestSignedStageFailsClosed(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	s := newTestEdge(t, nil)
	key := testSigningKey(t)
	d := simpleDist(distID('C'), "closed.test", o.modelOrigin(t, "o1"), nil)
	other := key.trusted
	other.ID = "KOTHERKEY00001"
	d.DefaultBehavior.TrustedKeys = []model.TrustedKey{other}
	apply(t, s, 1, d)
	g, _ := key.signer.Canned("http://closed.test/a", time.Now().Add(time.Hour).Unix())
	w := serve(s, "GET", g.URL("http://closed.test/a"), nil)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>InvalidKey</Code><Message>Unknown Key</Message>") {
		t.Errorf("untrusted key: %d %q", w.Code, w.Body)
	}
}
