package signedurl

import (
	"crypto"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

const base = "https://d111111abcdef8.example/private/a.jpg"

func mustSign(t *testing.T, s Signer, policy []byte) Signed {
	t.Helper()
	g, err := s.Custom(policy)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestVerify covers every way through Verify: each refusal with the code
// CloudFront answers, and the accepted forms.
func TestVerify(t *testing.T) {
	r, r2, e := testKeys(t)
	rs := Signer{KeyID: rsaID, Key: r}
	rs256 := Signer{KeyID: rsaID, Key: r, Hash: crypto.SHA256}
	es := Signer{KeyID: ecID, Key: e}
	es256 := Signer{KeyID: ecID, Key: e, Hash: crypto.SHA256}
	exp := now.Add(time.Hour).Unix()
	canned := func(s Signer, resource string, expires int64) string {
		g, err := s.Canned(resource, expires)
		if err != nil {
			t.Fatal(err)
		}
		return g.URL(resource)
	}
	custom := func(s Signer, url string, p Policy) string {
		return mustSign(t, s, MarshalPolicy(p)).URL(url)
	}
	// botocore (the AWS CLI) writes DateLessThan first, then IpAddress, then
	// DateGreaterThan; the bytes received are what was signed.
	cliPolicy := []byte(`{"Statement":[{"Resource":"` + base + `","Condition":{"DateLessThan":{"AWS:EpochTime":` +
		fmt.Sprint(exp) + `},"IpAddress":{"AWS:SourceIp":"192.0.2.0/24"},"DateGreaterThan":{"AWS:EpochTime":` +
		fmt.Sprint(now.Unix()-10) + `}}}]}`)
	pretty := []byte("{\n  \"Statement\": {\n    \"Resource\": \"" + base + "\",\n    \"Condition\": {\"DateLessThan\": {\"AWS:EpochTime\": " + fmt.Sprint(exp) + "}}\n  }\n}")
	tampered := canned(rs, base, exp)

	cases := []struct {
		name    string
		url     string
		cookies []string
		ip      string
		code    string // "" = accepted
	}{
		{name: "canned RSA SHA1", url: canned(rs, base, exp)},
		{name: "canned RSA SHA256", url: canned(rs256, base, exp)},
		{name: "canned ECDSA SHA1", url: canned(es, base, exp)},
		{name: "canned ECDSA SHA256", url: canned(es256, base, exp)},
		{name: "canned keeps own query", url: canned(rs, base+"?a=1&b=%2F", exp)},
		{name: "custom exact", url: custom(rs, base, Policy{Resource: base, DateLessThan: exp})},
		{name: "custom without resource", url: custom(rs, base, Policy{DateLessThan: exp})},
		{name: "custom star", url: custom(rs, base+"?z=9", Policy{Resource: "*", DateLessThan: exp})},
		{name: "custom SHA256 ECDSA", url: custom(es256, base, Policy{Resource: "https://*.example/private/*", DateLessThan: exp})},
		{name: "custom in time window", url: custom(rs, base, Policy{Resource: base, DateLessThan: exp, HasStart: true, DateGreaterThan: now.Unix()})},
		{name: "custom IP range", url: custom(rs, base, Policy{Resource: base, DateLessThan: exp, SourceIP: netip.MustParsePrefix("192.0.2.0/24")})},
		{name: "custom IP from mapped IPv6", ip: "::ffff:192.0.2.10", url: custom(rs, base, Policy{Resource: base, DateLessThan: exp, SourceIP: netip.MustParsePrefix("192.0.2.10/32")})},
		{name: "CLI key order", url: mustSign(t, rs, cliPolicy).URL(base)},
		{name: "policy with whitespace, statement object", url: mustSign(t, rs, pretty).URL(base)},
		{name: "signed URL beats cookies", url: canned(rs, base, exp), cookies: []string{"CloudFront-Key-Pair-Id=KNOPE"}},
		{name: "cookies canned", url: base, cookies: cookieHeader(t, rs, base, exp, nil)},
		{name: "cookies custom SHA256", url: base + "?x=1", cookies: cookieHeader(t, rs256, "", 0, &Policy{Resource: "https://d111111abcdef8.example/private/*", DateLessThan: exp})},
		{name: "tilde percent-encoded", url: strings.ReplaceAll(canned(rs, base, exp), "~", "%7E")},

		{name: "unsigned", url: base, code: CodeMissingKey},
		{name: "no Key-Pair-Id", url: strings.Replace(tampered, "&Key-Pair-Id="+rsaID, "", 1), code: CodeMissingKey},
		{name: "empty Key-Pair-Id", url: strings.Replace(tampered, "Key-Pair-Id="+rsaID, "Key-Pair-Id=", 1), code: CodeMissingKey},
		{name: "cookie without key id", url: base, cookies: []string{"CloudFront-Expires=1", "CloudFront-Signature=abc"}, code: CodeMissingKey},
		{name: "unknown key", url: canned(Signer{KeyID: "KUNKNOWN000001", Key: r}, base, exp), code: CodeInvalidKey},
		{name: "wrong key", url: canned(Signer{KeyID: rsaID, Key: r2}, base, exp), code: CodeAccessDenied},
		{name: "ECDSA signature under RSA id", url: canned(Signer{KeyID: rsaID, Key: e}, base, exp), code: CodeAccessDenied},
		{name: "missing signature", url: strings.Replace(tampered, "Signature=", "Sig=", 1), code: CodeAccessDenied},
		{name: "garbage signature", url: strings.Replace(tampered, "Signature=", "Signature=%%%", 1), code: CodeAccessDenied},
		{name: "duplicate signature", url: tampered + "&Signature=AAAA", code: CodeAccessDenied},
		{name: "unknown hash algorithm", url: tampered + "&Hash-Algorithm=MD5", code: CodeAccessDenied},
		{name: "SHA256 claimed, SHA1 signed", url: tampered + "&Hash-Algorithm=SHA256", code: CodeAccessDenied},
		{name: "expired canned", url: canned(rs, base, now.Unix()), code: CodeAccessDenied},
		{name: "expired custom", url: custom(rs, base, Policy{Resource: base, DateLessThan: now.Unix() - 1}), code: CodeAccessDenied},
		{name: "not yet valid", url: custom(rs, base, Policy{Resource: base, DateLessThan: exp, HasStart: true, DateGreaterThan: now.Unix() + 60}), code: CodeAccessDenied},
		{name: "tampered path", url: strings.Replace(tampered, "/a.jpg", "/b.jpg", 1), code: CodeAccessDenied},
		{name: "tampered host", url: strings.Replace(tampered, "d111111abcdef8", "d222222abcdef8", 1), code: CodeAccessDenied},
		{name: "tampered scheme", url: strings.Replace(tampered, "https:", "http:", 1), code: CodeAccessDenied},
		{name: "query added", url: tampered + "&extra=1", code: CodeAccessDenied},
		{name: "query added to custom", url: custom(rs, base, Policy{Resource: base, DateLessThan: exp}) + "&extra=1", code: CodeAccessDenied},
		{name: "tampered expires", url: strings.Replace(tampered, fmt.Sprint(exp), fmt.Sprint(exp+1), 1), code: CodeAccessDenied},
		{name: "custom resource elsewhere", url: custom(rs, base, Policy{Resource: "https://d111111abcdef8.example/public/*", DateLessThan: exp}), code: CodeAccessDenied},
		{name: "wrong IP", url: custom(rs, base, Policy{Resource: base, DateLessThan: exp, SourceIP: netip.MustParsePrefix("198.51.100.0/24")}), code: CodeAccessDenied},
		{name: "IPv6 viewer, IPv4 policy", ip: "2001:db8::1", url: custom(rs, base, Policy{Resource: base, DateLessThan: exp, SourceIP: netip.MustParsePrefix("192.0.2.0/24")}), code: CodeAccessDenied},
		{name: "Expires not a number", url: base + "?Expires=soon&Signature=AAAA&Key-Pair-Id=" + rsaID, code: CodeMalformedPolicy},
		{name: "Expires past 2038", url: base + "?Expires=2147483648&Signature=AAAA&Key-Pair-Id=" + rsaID, code: CodeMalformedPolicy},
		{name: "no Expires or Policy", url: base + "?Signature=AAAA&Key-Pair-Id=" + rsaID, code: CodeMalformedPolicy},
		{name: "policy not base64", url: base + "?Policy=!!!&Signature=AAAA&Key-Pair-Id=" + rsaID, code: CodeMalformedPolicy},
		{name: "signed policy not JSON", url: mustSign(t, rs, []byte("not json")).URL(base), code: CodeMalformedPolicy},
		{name: "signed policy without DateLessThan", url: mustSign(t, rs, []byte(`{"Statement":[{"Resource":"`+base+`","Condition":{}}]}`)).URL(base), code: CodeMalformedPolicy},
		{name: "signed policy with quoted time", url: mustSign(t, rs, []byte(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"`+fmt.Sprint(exp)+`"}}}]}`)).URL(base), code: CodeMalformedPolicy},
		{name: "signed policy with two statements", url: mustSign(t, rs, []byte(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}},{"Condition":{"DateLessThan":{"AWS:EpochTime":1}}}]}`)).URL(base), code: CodeMalformedPolicy},
		{name: "signed policy with IPv6 source", url: mustSign(t, rs, []byte(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":`+fmt.Sprint(exp)+`},"IpAddress":{"AWS:SourceIp":"2001:db8::/32"}}}]}`)).URL(base), code: CodeMalformedPolicy},
		{name: "signed policy with unknown condition", url: mustSign(t, rs, []byte(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":`+fmt.Sprint(exp)+`},"Referer":{"x":"y"}}}]}`)).URL(base), code: CodeMalformedPolicy},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := request(t, c.url)
			if len(c.cookies) > 0 {
				req.Cookies = []string{strings.Join(c.cookies, "; ")}
			}
			if c.ip != "" {
				req.ClientIP = netip.MustParseAddr(c.ip)
			}
			res, err := Verify(req, trusted(t))
			switch {
			case c.code == "" && err != nil:
				t.Fatalf("refused %s: %v", c.url, err)
			case c.code != "" && err == nil:
				t.Fatalf("accepted %s, want %s", c.url, c.code)
			case c.code != "" && err.Code != c.code:
				t.Fatalf("code %s (%s), want %s", err.Code, err.Detail, c.code)
			case c.code == "" && strings.Contains(res.Query, "Signature="):
				t.Fatalf("query still signed: %q", res.Query)
			}
		})
	}
}

func cookieHeader(t *testing.T, s Signer, resource string, expires int64, p *Policy) []string {
	t.Helper()
	var g Signed
	var err error
	if p != nil {
		g, err = s.Custom(MarshalPolicy(*p))
	} else {
		g, err = s.Canned(resource, expires)
	}
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"theme=dark"}
	for _, c := range g.Cookies() {
		out = append(out, c.Name+"="+c.Value)
	}
	return out
}

func TestErrorBody(t *testing.T) {
	for code, want := range map[string]string{
		CodeMissingKey:      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>MissingKey</Code><Message>Missing Key-Pair-Id query parameter or cookie value</Message></Error>`,
		CodeInvalidKey:      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidKey</Code><Message>Unknown Key</Message></Error>`,
		CodeMalformedPolicy: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>MalformedPolicy</Code><Message>Malformed Policy</Message></Error>`,
		CodeAccessDenied:    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>`,
	} {
		if got := string(refuse(code, "x").Body()); got != want {
			t.Errorf("%s body:\n%s\nwant\n%s", code, got, want)
		}
	}
}

func TestStripQuery(t *testing.T) {
	for in, want := range map[string]string{
		"":    "",
		"a=1": "a=1",
		"a=1&Expires=2&Signature=x&Key-Pair-Id=K": "a=1",
		"Policy=p&a=1&Hash-Algorithm=SHA256&b=2":  "a=1&b=2",
		"expires=1&Signatures=2":                  "expires=1&Signatures=2",
		"Expires=1&Signature=2&Key-Pair-Id=3":     "",
	} {
		if got := StripQuery(in); got != want {
			t.Errorf("StripQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStripCookies(t *testing.T) {
	in := []string{"a=1; CloudFront-Policy=p; CloudFront-Signature=s", "CloudFront-Key-Pair-Id=K", "CloudFront-Other=keep; b=2"}
	got := StripCookies(in)
	want := []string{"a=1", "CloudFront-Other=keep; b=2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("StripCookies = %q, want %q", got, want)
	}
	if StripCookies([]string{"CloudFront-Expires=1"}) != nil {
		t.Error("a field of signed cookies only should go")
	}
}

func TestEncoding(t *testing.T) {
	b := []byte{0xfb, 0xff, 0xfe, 0x00}
	enc := Encode(b)
	if enc != "-~~-AA__" {
		t.Errorf("Encode = %q, want -~~-AA__", enc)
	}
	for _, s := range []string{enc, "+//+AA==", "-~~-AA"} {
		got, err := Decode(s)
		if err != nil || string(got) != string(b) {
			t.Errorf("Decode(%q) = %x, %v", s, got, err)
		}
	}
}
