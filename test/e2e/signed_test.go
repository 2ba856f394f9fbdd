package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// signedEnv is one `pharos up` with a distribution whose default behaviour
// trusts a key group of two keys (RSA-2048 and ECDSA P-256), created
// through the native API as a user would.
type signedEnv struct {
	ph              *pharos
	origin          string
	rsaKey, rsaKey2 *rsa.PrivateKey
	ecKey           *ecdsa.PrivateKey
	rsaID, ecID     string
	strangerID      string // a stored key that no group this behaviour trusts holds
	rsaFile, ecFile string // private keys as PEM files
}

const signedHost = "signed.e2e"

func TestSignedURLsAndCookies(t *testing.T) {
	env := newSignedEnv(t)
	t.Run("SDKCannedRSA", env.testSDKCanned)
	t.Run("SDKCustomAndECDSA", env.testSDKCustom)
	t.Run("SDKCookies", env.testSDKCookies)
	t.Run("AWSCLI", env.testAWSCLI)
	t.Run("PharosSign", env.testPharosSign)
	t.Run("Refusals", env.testRefusals)
	t.Run("CachedObjectStillNeedsSignature", env.testCachedNeedsSignature)
	t.Run("HTTPS", env.testHTTPS)
}

func newSignedEnv(t *testing.T) *signedEnv {
	t.Helper()
	env := &signedEnv{origin: startOrigin(t), ph: startPharos(t)}
	var err error
	if env.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if env.rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if env.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env.rsaFile = filepath.Join(dir, "rsa.pem")
	writePEM(t, env.rsaFile, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(env.rsaKey))
	ecDER, err := x509.MarshalPKCS8PrivateKey(env.ecKey)
	if err != nil {
		t.Fatal(err)
	}
	env.ecFile = filepath.Join(dir, "ec.pem")
	writePEM(t, env.ecFile, "PRIVATE KEY", ecDER)

	env.rsaID = env.createPublicKey(t, "rsa", &env.rsaKey.PublicKey)
	env.ecID = env.createPublicKey(t, "ec", &env.ecKey.PublicKey)
	env.strangerID = env.createPublicKey(t, "stranger", &env.rsaKey2.PublicKey)
	var group struct{ ID string }
	if r := env.ph.api(t, "POST", "/v1/key-groups", map[string]any{"name": "signers", "items": []string{env.rsaID, env.ecID}}, &group); r.StatusCode != http.StatusCreated {
		t.Fatalf("create key group: %d", r.StatusCode)
	}

	d := distSpec{Alias: signedHost, Origin: env.origin, MaxTTL: 3600}.json(t)
	def := d["defaultBehavior"].(map[string]any)
	def["trustedKeyGroups"] = []string{group.ID}
	def["originRequestPolicy"] = map[string]any{"cookies": map[string]any{"behavior": "all"}}
	// An unsigned path, so the test can tell when the edge serves the alias.
	d["behaviors"] = []any{map[string]any{"pathPattern": "/_origin/health", "targetOriginId": "o1"}}
	if r := env.ph.api(t, "POST", "/v1/distributions", d, nil); r.StatusCode != http.StatusCreated {
		t.Fatalf("create distribution: %d", r.StatusCode)
	}
	eventually(t, 10*time.Second, "the edge to serve "+signedHost, func() bool {
		return get(t, "GET", env.ph.Edge+"/_origin/health", "Host: "+signedHost).Status == http.StatusOK
	})
	return env
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (env *signedEnv) createPublicKey(t *testing.T, name string, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ ID string }
	body := map[string]any{"callerReference": "e2e-" + name, "name": name,
		"encodedKey": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
	if r := env.ph.api(t, "POST", "/v1/public-keys", body, &out); r.StatusCode != http.StatusCreated || out.ID == "" {
		t.Fatalf("create public key %s: %d", name, r.StatusCode)
	}
	return out.ID
}

// viewerURL is the URL viewers sign: the distribution's host, no port
// (the test sends Host: signed.e2e to the edge's loopback address).
func viewerURL(pathAndQuery string) string { return "http://" + signedHost + pathAndQuery }

// fetch sends a signed URL (as made for viewerURL) to the edge.
func (env *signedEnv) fetch(t *testing.T, signed string, hdr ...string) reply {
	t.Helper()
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	return get(t, "GET", env.ph.Edge+u.RequestURI(), append(hdr, "Host: "+u.Host)...)
}

// expectAccepted checks a 200 whose origin request kept the viewer's own
// query and lost every signing parameter and signed cookie.
func expectAccepted(t *testing.T, r reply, wantURI string) echoed {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d (%s): %s", r.Status, r.xcache(), r.Body)
	}
	e := decodeEcho(t, r)
	if e.URI != wantURI {
		t.Errorf("origin saw %q, want %q", e.URI, wantURI)
	}
	for _, c := range e.Header["Cookie"] {
		if strings.Contains(c, "CloudFront-") {
			t.Errorf("origin saw signed cookies: %q", c)
		}
	}
	return e
}

// expectRefused checks CloudFront's refusal: 403, text/xml, the XML body
// with code, and X-Cache: Error from pharos.
func expectRefused(t *testing.T, r reply, code string) {
	t.Helper()
	messages := map[string]string{
		"MissingKey":      "Missing Key-Pair-Id query parameter or cookie value",
		"InvalidKey":      "Unknown Key",
		"MalformedPolicy": "Malformed Policy",
		"AccessDenied":    "Access denied",
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>` + messages[code] + `</Message></Error>`
	if r.Status != http.StatusForbidden || r.Body != want {
		t.Errorf("got %d %q, want 403 %q", r.Status, r.Body, want)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type %q, want text/xml", ct)
	}
	if r.xcache() != "Error from pharos" {
		t.Errorf("X-Cache %q", r.xcache())
	}
}

func (env *signedEnv) testSDKCanned(t *testing.T) {
	s := sign.NewURLSigner(env.rsaID, env.rsaKey)
	signed, err := s.Sign(viewerURL("/_origin/echo/canned?keep=1&x=%2F"), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expectAccepted(t, env.fetch(t, signed), "/_origin/echo/canned?keep=1&x=%2F")
}

func (env *signedEnv) testSDKCustom(t *testing.T) {
	for name, c := range map[string]struct {
		id     string
		signer crypto.Signer
	}{"RSA": {env.rsaID, env.rsaKey}, "ECDSA": {env.ecID, env.ecKey}} {
		policy := &sign.Policy{Statements: []sign.Statement{{
			Resource: viewerURL("/_origin/echo/custom/*"),
			Condition: sign.Condition{
				IPAddress:       &sign.IPAddress{SourceIP: "127.0.0.0/8"},
				DateGreaterThan: sign.NewAWSEpochTime(time.Now().Add(-time.Minute)),
				DateLessThan:    sign.NewAWSEpochTime(time.Now().Add(time.Hour)),
			},
		}}}
		signed, err := sign.NewURLSigner(c.id, c.signer).SignWithPolicy(viewerURL("/_origin/echo/custom/a/b.mp4?q="+name), policy)
		if err != nil {
			t.Fatal(err)
		}
		expectAccepted(t, env.fetch(t, signed), "/_origin/echo/custom/a/b.mp4?q="+name)
	}
	// ECDSA canned, too.
	signed, err := sign.NewURLSigner(env.ecID, env.ecKey).Sign(viewerURL("/_origin/echo/ec"), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expectAccepted(t, env.fetch(t, signed), "/_origin/echo/ec")
}

func (env *signedEnv) testSDKCookies(t *testing.T) {
	cs := sign.NewCookieSigner(env.rsaID, env.rsaKey)
	cookies, err := cs.SignWithPolicy(&sign.Policy{Statements: []sign.Statement{{
		Resource:  viewerURL("/_origin/echo/members/*"),
		Condition: sign.Condition{DateLessThan: sign.NewAWSEpochTime(time.Now().Add(time.Hour))},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	hdr := "Cookie: session=s1"
	for _, c := range cookies {
		hdr += "; " + c.Name + "=" + c.Value
	}
	e := expectAccepted(t, env.fetch(t, viewerURL("/_origin/echo/members/page?p=2"), hdr), "/_origin/echo/members/page?p=2")
	if got := strings.Join(e.Header["Cookie"], "; "); got != "session=s1" {
		t.Errorf("origin saw Cookie %q, want session=s1", got)
	}
	// The same cookies do not open another path.
	expectRefused(t, env.fetch(t, viewerURL("/_origin/echo/other"), hdr), "AccessDenied")
}

// awsSign runs the Debian AWS CLI's `aws cloudfront sign`, offline.
func awsSign(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("/usr/bin/aws", append([]string{"cloudfront", "sign"}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "AWS_DEFAULT_REGION=us-east-1"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws cloudfront sign: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

func (env *signedEnv) testAWSCLI(t *testing.T) {
	exp := fmt.Sprint(time.Now().Add(time.Hour).Unix())
	canned := awsSign(t, "--url", viewerURL("/_origin/echo/cli?a=1&b=2"), "--key-pair-id", env.rsaID,
		"--private-key", "file://"+env.rsaFile, "--date-less-than", exp)
	if !strings.Contains(canned, "&Expires=") {
		t.Fatalf("not a canned URL: %s", canned)
	}
	expectAccepted(t, env.fetch(t, canned), "/_origin/echo/cli?a=1&b=2")

	// With an address and a start, the CLI writes a custom policy in its own
	// key order (DateLessThan first) and the URL's query after a plain '?'.
	custom := awsSign(t, "--url", viewerURL("/_origin/echo/cli2?a=1"), "--key-pair-id", env.rsaID,
		"--private-key", "file://"+env.rsaFile, "--date-less-than", exp,
		"--date-greater-than", fmt.Sprint(time.Now().Add(-time.Minute).Unix()), "--ip-address", "127.0.0.1")
	if !strings.Contains(custom, "&Policy=") {
		t.Fatalf("not a custom URL: %s", custom)
	}
	expectAccepted(t, env.fetch(t, custom), "/_origin/echo/cli2?a=1")
	// The same URL from another address than the policy's is refused.
	u, _ := url.Parse(custom)
	expectRefused(t, getFrom(t, "127.0.0.2", "GET", env.ph.Edge+u.RequestURI(), signedHost), "AccessDenied")
}

// pharosSign runs `pharos sign`.
func pharosSign(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "pharos"), append([]string{"sign"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("pharos sign %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (env *signedEnv) testPharosSign(t *testing.T) {
	u := pharosSign(t, "url", viewerURL("/_origin/echo/ps?z=1"), "--key-pair-id", env.rsaID, "--private-key", env.rsaFile, "--expires", "10m")
	expectAccepted(t, env.fetch(t, u), "/_origin/echo/ps?z=1")

	u = pharosSign(t, "url", viewerURL("/_origin/echo/ps/ec"), "--key-pair-id", env.ecID, "--private-key", env.ecFile,
		"--date-less-than", "1h", "--resource", viewerURL("/_origin/echo/ps/*"), "--hash-algorithm", "SHA256")
	if !strings.Contains(u, "&Hash-Algorithm=SHA256") {
		t.Fatalf("no Hash-Algorithm: %s", u)
	}
	expectAccepted(t, env.fetch(t, u), "/_origin/echo/ps/ec")

	out := pharosSign(t, "cookie", viewerURL("/_origin/echo/ps/*"), "--key-pair-id", env.ecID, "--private-key", env.ecFile,
		"--date-less-than", "1h", "--resource", viewerURL("/_origin/echo/ps/*"), "-o", "json")
	var got struct{ Cookies map[string]string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Cookies) != 3 {
		t.Fatalf("pharos sign cookie -o json: %v\n%s", err, out)
	}
	var pairs []string
	for k, v := range got.Cookies {
		pairs = append(pairs, k+"="+v)
	}
	expectAccepted(t, env.fetch(t, viewerURL("/_origin/echo/ps/c"), "Cookie: "+strings.Join(pairs, "; ")), "/_origin/echo/ps/c")
}

func (env *signedEnv) testRefusals(t *testing.T) {
	now := time.Now()
	rsaSigner := sign.NewURLSigner(env.rsaID, env.rsaKey)
	canned := func(s *sign.URLSigner, path string, expires time.Time) string {
		u, err := s.Sign(viewerURL(path), expires)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	custom := func(path string, c sign.Condition) string {
		u, err := rsaSigner.SignWithPolicy(viewerURL(path), &sign.Policy{Statements: []sign.Statement{{Resource: viewerURL(path), Condition: c}}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	good := canned(rsaSigner, "/_origin/echo/r?a=1", now.Add(time.Hour))
	// A policy the trusted key really signed, that is not one.
	malformed := pharosSign(t, "url", viewerURL("/_origin/echo/r"), "--key-pair-id", env.rsaID, "--private-key", env.rsaFile,
		"--expires", "1h")
	malformed = strings.Replace(malformed, "Expires=", "Expires=x", 1)

	cases := []struct {
		name, url, code string
	}{
		{"expired", canned(rsaSigner, "/_origin/echo/r", now.Add(-time.Minute)), "AccessDenied"},
		{"not yet valid", custom("/_origin/echo/r", sign.Condition{DateGreaterThan: sign.NewAWSEpochTime(now.Add(time.Hour)), DateLessThan: sign.NewAWSEpochTime(now.Add(2 * time.Hour))}), "AccessDenied"},
		{"tampered path", strings.Replace(good, "/r?", "/s?", 1), "AccessDenied"},
		{"tampered query", strings.Replace(good, "a=1", "a=2", 1), "AccessDenied"},
		{"query added", good + "&b=1", "AccessDenied"},
		{"wrong key", canned(sign.NewURLSigner(env.rsaID, env.rsaKey2), "/_origin/echo/r", now.Add(time.Hour)), "AccessDenied"},
		{"unknown key", canned(sign.NewURLSigner(env.strangerID, env.rsaKey2), "/_origin/echo/r", now.Add(time.Hour)), "InvalidKey"},
		{"wrong IP", custom("/_origin/echo/r", sign.Condition{IPAddress: &sign.IPAddress{SourceIP: "192.0.2.0/24"}, DateLessThan: sign.NewAWSEpochTime(now.Add(time.Hour))}), "AccessDenied"},
		{"malformed expiry", malformed, "MalformedPolicy"},
		{"policy nobody signed", viewerURL("/_origin/echo/r?Policy=bm90IGpzb24_&Signature=AAAA&Key-Pair-Id=" + env.rsaID), "AccessDenied"},
		{"no signing parameters", viewerURL("/_origin/echo/r"), "MissingKey"},
		{"no Key-Pair-Id", strings.Replace(good, "&Key-Pair-Id="+env.rsaID, "", 1), "MissingKey"},
		{"no Signature", strings.Replace(good, "&Signature=", "&Sig=", 1), "AccessDenied"},
		{"no Expires or Policy", strings.Replace(good, "&Expires=", "&Exp=", 1), "MalformedPolicy"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			expectRefused(t, env.fetch(t, c.url), c.code)
		})
	}
	// A custom policy signed by a trusted key that is not valid JSON.
	garbled := pharosSignPolicy(t, env, `{"Statement":[{"Resource":"`+viewerURL("/_origin/echo/r")+`","Condition":{"DateLessThan":{"AWS:EpochTime":"soon"}}}]}`)
	expectRefused(t, env.fetch(t, garbled), "MalformedPolicy")
}

// pharosSignPolicy signs policy bytes as given (the Go SDK's signer, which
// takes no raw policy, cannot make a malformed one).
func pharosSignPolicy(t *testing.T, env *signedEnv, policy string) string {
	t.Helper()
	b64, sig := signRaw(t, env.rsaKey, []byte(policy))
	return viewerURL("/_origin/echo/r?Policy=" + b64 + "&Signature=" + sig + "&Key-Pair-Id=" + env.rsaID)
}

// signRaw signs policy with RSA SHA-1 and returns policy and signature in
// CloudFront's base64 alphabet.
func signRaw(t *testing.T, key *rsa.PrivateKey, policy []byte) (b64Policy, b64Sig string) {
	t.Helper()
	d := sha1.Sum(policy)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, d[:])
	if err != nil {
		t.Fatal(err)
	}
	cf := strings.NewReplacer("+", "-", "=", "_", "/", "~")
	return cf.Replace(base64.StdEncoding.EncodeToString(policy)), cf.Replace(base64.StdEncoding.EncodeToString(sig))
}

func (env *signedEnv) testCachedNeedsSignature(t *testing.T) {
	path := "/cached.txt?cc=max-age%3D300"
	s := sign.NewURLSigner(env.rsaID, env.rsaKey)
	signed, err := s.Sign(viewerURL(path), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r := env.fetch(t, signed); r.Status != 200 || r.xcache() != "Miss from pharos" {
		t.Fatalf("first: %d %s", r.Status, r.xcache())
	}
	if r := env.fetch(t, signed); r.Status != 200 || r.xcache() != "Hit from pharos" {
		t.Fatalf("second: %d %s (the signing parameters must not be in the cache key)", r.Status, r.xcache())
	}
	// The stored object is there, on the key of the unsigned URL; the
	// fast path must still not hand it out unsigned.
	expectRefused(t, env.fetch(t, viewerURL(path)), "MissingKey")
	if n := originCount(t, env.origin, path); n != 1 {
		t.Errorf("origin saw %s %d times, want 1", path, n)
	}
}

// Over TLS the scheme signed is https: an https:// URL verifies there, and
// the same path signed as http:// does not.
func (env *signedEnv) testHTTPS(t *testing.T) {
	m := httpsRe.FindStringSubmatch(env.ph.Output())
	if m == nil {
		t.Fatalf("no https line in the banner:\n%s", env.ph.Output())
	}
	c := httpsClient(t, env.ph.DataDir, m[1])
	s := sign.NewURLSigner(env.rsaID, env.rsaKey)
	for scheme, want := range map[string]int{"https": 200, "http": 403} {
		signed, err := s.Sign(scheme+"://"+signedHost+"/_origin/echo/tls", time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		u := "https://" + signedHost + strings.TrimPrefix(signed, scheme+"://"+signedHost)
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s-signed URL over TLS: %d, want %d", scheme, resp.StatusCode, want)
		}
	}
}
