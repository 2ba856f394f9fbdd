package signedurl

import (
	"crypto"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/cloudfront/sign"
)

// URLs and cookies made by the AWS SDK for Go v2 verify, and Pharos's own
// signer makes byte-identical URLs (RSA PKCS#1 v1.5 is deterministic).
func TestSDKSignedURLs(t *testing.T) {
	r, _, e := testKeys(t)
	expires := now.Add(time.Hour)
	cases := []struct {
		name   string
		keyID  string
		signer crypto.Signer
		url    string
		policy *sign.Policy
	}{
		{name: "canned RSA", keyID: rsaID, signer: r, url: "https://d111111abcdef8.example/images/a.jpg"},
		{name: "canned RSA with own query", keyID: rsaID, signer: r, url: "https://d111111abcdef8.example/a.jpg?color=red&size=medium"},
		{name: "canned RSA with port", keyID: rsaID, signer: r, url: "http://127.0.0.1:8080/v/a%20b.mp4?x=1&y="},
		{name: "canned ECDSA", keyID: ecID, signer: e, url: "https://d111111abcdef8.example/a.jpg"},
		{name: "custom RSA wildcard", keyID: rsaID, signer: r, url: "https://d111111abcdef8.example/v/clip.mp4?q=1",
			policy: &sign.Policy{Statements: []sign.Statement{{
				Resource:  "https://d111111abcdef8.example/v/*",
				Condition: sign.Condition{DateLessThan: sign.NewAWSEpochTime(expires)},
			}}}},
		{name: "custom RSA all conditions", keyID: rsaID, signer: r, url: "https://d111111abcdef8.example/a.jpg?k=v",
			policy: &sign.Policy{Statements: []sign.Statement{{
				Resource: "https://d111111abcdef8.example/a.jpg?k=v",
				Condition: sign.Condition{
					IPAddress:       &sign.IPAddress{SourceIP: "192.0.2.0/24"},
					DateGreaterThan: sign.NewAWSEpochTime(now.Add(-time.Minute)),
					DateLessThan:    sign.NewAWSEpochTime(expires),
				},
			}}}},
		{name: "custom ECDSA", keyID: ecID, signer: e, url: "http://h.example/x",
			policy: &sign.Policy{Statements: []sign.Statement{{
				Resource:  "http*://h.example/*",
				Condition: sign.Condition{DateLessThan: sign.NewAWSEpochTime(expires)},
			}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sign.NewURLSigner(c.keyID, c.signer)
			var signed string
			var err error
			if c.policy == nil {
				signed, err = s.Sign(c.url, expires)
			} else {
				signed, err = s.SignWithPolicy(c.url, c.policy)
			}
			if err != nil {
				t.Fatal(err)
			}
			res, verr := Verify(request(t, signed), trusted(t))
			if verr != nil {
				t.Fatalf("%s: %v", signed, verr)
			}
			if want := request(t, c.url).RawQuery; res.Query != want {
				t.Errorf("query after stripping = %q, want %q", res.Query, want)
			}
			if c.policy == nil && c.keyID == rsaID {
				ours, err := Signer{KeyID: rsaID, Key: r}.Canned(c.url, expires.Unix())
				if err != nil {
					t.Fatal(err)
				}
				if got := ours.URL(c.url); got != signed {
					t.Errorf("pharos signer:\n%s\nSDK:\n%s", got, signed)
				}
			}
		})
	}
}

func TestSDKSignedCookies(t *testing.T) {
	r, _, _ := testKeys(t)
	expires := now.Add(time.Hour)
	cs := sign.NewCookieSigner(rsaID, r)
	canned, err := cs.Sign("https://d111111abcdef8.example/private/a.jpg", expires)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := cs.SignWithPolicy(&sign.Policy{Statements: []sign.Statement{{
		Resource:  "https://d111111abcdef8.example/private/*",
		Condition: sign.Condition{DateLessThan: sign.NewAWSEpochTime(expires)},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		cookies []*http.Cookie
		url     string
	}{
		"canned":         {canned, "https://d111111abcdef8.example/private/a.jpg"},
		"custom":         {custom, "https://d111111abcdef8.example/private/b/c.jpg?x=1"},
		"custom no path": {custom, "https://d111111abcdef8.example/private/"},
	} {
		t.Run(name, func(t *testing.T) {
			hr, _ := http.NewRequest("GET", c.url, nil)
			hr.Header.Set("Cookie", "session=abc")
			for _, ck := range c.cookies {
				hr.AddCookie(ck)
			}
			req := request(t, c.url)
			req.Cookies = hr.Header["Cookie"]
			res, verr := Verify(req, trusted(t))
			if verr != nil {
				t.Fatalf("%v (cookies %q)", verr, req.Cookies)
			}
			if !res.FromCookies {
				t.Error("FromCookies = false")
			}
			if got := StripCookies(req.Cookies); len(got) != 1 || got[0] != "session=abc" {
				t.Errorf("StripCookies = %q, want [session=abc]", got)
			}
		})
	}
	// The canned cookie names one URL only.
	req := request(t, "https://d111111abcdef8.example/private/other.jpg")
	hr, _ := http.NewRequest("GET", "https://x/", nil)
	for _, ck := range canned {
		hr.AddCookie(ck)
	}
	req.Cookies = hr.Header["Cookie"]
	if _, verr := Verify(req, trusted(t)); verr == nil || verr.Code != CodeAccessDenied {
		t.Errorf("canned cookie on another path: %v, want AccessDenied", verr)
	}
}
