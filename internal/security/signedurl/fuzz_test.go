package signedurl

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzVerifyPolicy: any bytes parse or fail without panicking, and what
// parses survives MarshalPolicy unchanged.
func FuzzVerifyPolicy(f *testing.F) {
	f.Add([]byte(`{"Statement":[{"Resource":"https://a/*","Condition":{"DateLessThan":{"AWS:EpochTime":2000000000}}}]}`))
	f.Add([]byte(`{"Statement":[{"Resource":"https://a/b","Condition":{"IpAddress":{"AWS:SourceIp":"10.0.0.0/8"},"DateGreaterThan":{"AWS:EpochTime":1},"DateLessThan":{"AWS:EpochTime":2}}}]}`))
	f.Add([]byte(`{"Statement":{"Condition":{"DateLessThan":{"AWS:EpochTime":5}}}}`))
	f.Add([]byte(`{"Statement":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePolicy(b)
		if err != nil {
			return
		}
		q, err := ParsePolicy(MarshalPolicy(p))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", MarshalPolicy(p), err)
		}
		if q != p {
			t.Fatalf("round trip %+v → %+v", p, q)
		}
	})
}

// FuzzVerifySignature: whatever a viewer sends as signing parameters or
// cookies, Verify answers with one of CloudFront's codes and never
// accepts a request no trusted key signed.
func FuzzVerifySignature(f *testing.F) {
	r, _, _ := testKeys(f)
	g, _ := Signer{KeyID: rsaID, Key: r}.Canned(base, now.Unix()+60)
	f.Add(strings.TrimPrefix(g.URL(base), base+"?"), "")
	f.Add("Policy=eyJ9&Signature=AAAA&Key-Pair-Id="+rsaID, "")
	f.Add("", "CloudFront-Policy=e30_; CloudFront-Signature=AAAA; CloudFront-Key-Pair-Id="+ecID)
	f.Add("Expires=1&Expires=2&Signature=~~~&Key-Pair-Id="+ecID+"&Hash-Algorithm=SHA256", "")
	f.Fuzz(func(t *testing.T, query, cookie string) {
		req := &Request{Scheme: "https", Host: "d111111abcdef8.example", Path: "/other", RawQuery: query,
			Cookies: []string{cookie}, ClientIP: netip.MustParseAddr("192.0.2.1"), Now: now}
		res, err := Verify(req, trusted(t))
		if err == nil {
			t.Fatalf("accepted %q / %q", query, cookie)
		}
		if messages[err.Code] == "" || err.Message != messages[err.Code] {
			t.Fatalf("unknown code %q", err.Code)
		}
		if strings.Contains("&"+res.Query, "&Signature=") {
			t.Fatalf("signing parameter left in %q", res.Query)
		}
	})
}

// FuzzVerifyResource: the matcher never panics, a pattern without
// wildcards matches exactly its own URL, and "*" matches everything.
func FuzzVerifyResource(f *testing.F) {
	f.Add("https://*.example/v/*.mp4", "https", "a.example", "/v/x.mp4", "")
	f.Add(`http*://h/p\?q=*`, "http", "h", "/p", "q=1")
	f.Add("*", "http", "h", "/", "a?b")
	f.Fuzz(func(t *testing.T, pattern, scheme, host, path, query string) {
		MatchResource(pattern, scheme, host, path, query)
		if !MatchResource("*", scheme, host, path, query) {
			t.Fatal(`"*" did not match`)
		}
		if strings.ContainsAny(scheme+host+path+query, `*?\:/`) || scheme == "" {
			return
		}
		u := scheme + "://" + host + "/" + path
		if !MatchResource(u, scheme, host, "/"+path, "") {
			t.Fatalf("%q does not match itself", u)
		}
	})
}
