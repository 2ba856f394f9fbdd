package certs

import (
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/model"
)

// imported makes a stored certificate for names, signed by its own CA.
func imported(t *testing.T, id string, names ...string) model.Certificate {
	t.Helper()
	ca := newCA(t)
	c, err := ca.Issue(names, t0)
	if err != nil {
		t.Fatal(err)
	}
	cp, kp := pemPair(t, c)
	m, err := Import(cp, kp, t0)
	if err != nil {
		t.Fatal(err)
	}
	m.ID = id
	return m
}

func names(c *tls.Certificate) string {
	return strings.Join(append(slices.Clone(c.Leaf.DNSNames), ipStrings(c)...), ",")
}

func ipStrings(c *tls.Certificate) []string {
	var out []string
	for _, ip := range c.Leaf.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

func TestSelectionOrder(t *testing.T) {
	set, skipped := NewSet([]model.Certificate{
		imported(t, "EXACT", "shop.example.com"),
		imported(t, "WILD", "*.example.com"),
		imported(t, "PINNED", "pinned.example.com", "shop.example.com"),
	})
	if len(skipped) != 0 || set.Len() != 3 {
		t.Fatalf("set: %v, %d", skipped, set.Len())
	}
	sel := &Selector{Imported: set, Issuer: NewIssuer(newCA(t), 0, func() time.Time { return t0 }),
		DefaultNames: []string{"edge-1", "127.0.0.1"}}
	for _, tc := range []struct {
		name      string
		req       Request
		source    Source
		certNames string
	}{
		{"exact imported beats wildcard", Request{ServerName: "shop.example.com", IssueFor: "shop.example.com"}, SourceImported, "shop.example.com"},
		{"the distribution's own certificate first", Request{ServerName: "shop.example.com", CertificateID: "PINNED", IssueFor: "shop.example.com"}, SourceImported, "pinned.example.com,shop.example.com"},
		{"its own certificate only if it covers the name", Request{ServerName: "www.example.com", CertificateID: "PINNED", IssueFor: "www.example.com"}, SourceImported, "*.example.com"},
		{"wildcard covers one label", Request{ServerName: "www.example.com"}, SourceImported, "*.example.com"},
		{"case and final dot ignored", Request{ServerName: "WWW.Example.com."}, SourceImported, "*.example.com"},
		{"wildcard does not cover two labels", Request{ServerName: "a.b.example.com", IssueFor: "a.b.example.com"}, SourceLocal, "a.b.example.com"},
		{"wildcard does not cover the apex", Request{ServerName: "example.com", IssueFor: "example.com"}, SourceLocal, "example.com"},
		{"claimed name gets a local leaf", Request{ServerName: "d123.pharos.test", IssueFor: "d123.pharos.test"}, SourceLocal, "d123.pharos.test"},
		{"a wildcard alias gets a wildcard leaf", Request{ServerName: "e-1.d123.pharos.test", IssueFor: "*.d123.pharos.test"}, SourceLocal, "*.d123.pharos.test"},
		{"unclaimed name gets the default", Request{ServerName: "random.invalid"}, SourceDefault, "edge-1,127.0.0.1"},
		{"no SNI gets the default", Request{}, SourceDefault, "edge-1,127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, src, err := sel.Select(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if src != tc.source || names(c) != tc.certNames {
				t.Fatalf("got %s %q, want %s %q", src, names(c), tc.source, tc.certNames)
			}
		})
	}
	// Without a local CA, only imported certificates can be presented.
	bare := &Selector{Imported: set}
	if _, _, err := bare.Select(Request{ServerName: "d123.pharos.test", IssueFor: "d123.pharos.test"}); err == nil {
		t.Fatal("no CA, unmatched name: want an error")
	}
	if _, src, err := bare.Select(Request{ServerName: "www.example.com"}); err != nil || src != SourceImported {
		t.Fatalf("no CA, imported name: %v %v", src, err)
	}
}

func TestSetPrefersLongestValidity(t *testing.T) {
	a, b := imported(t, "A", "x.example"), imported(t, "B", "x.example")
	b.NotAfter = a.NotAfter.Add(time.Hour)
	set, _ := NewSet([]model.Certificate{a, b})
	if got := set.Match("x.example").Model.ID; got != "B" {
		t.Fatalf("got %s, want the later-expiring B", got)
	}
	broken := a
	broken.ID, broken.PrivateKeyPEM = "BROKEN", b.PrivateKeyPEM
	if _, skipped := NewSet([]model.Certificate{broken}); skipped["BROKEN"] == nil {
		t.Fatal("a certificate whose key does not match was not skipped")
	}
}

func TestImportValidation(t *testing.T) {
	ca := newCA(t)
	good, _ := ca.Issue([]string{"a.example", "*.b.example"}, t0)
	gc, gk := pemPair(t, good)
	expired, _ := ca.Issue([]string{"a.example"}, t0.Add(-60*24*time.Hour))
	ec, ek := pemPair(t, expired)
	other, _ := ca.Issue([]string{"a.example"}, t0)
	_, ok := pemPair(t, other)
	noSAN, _ := ca.Issue([]string{"127.0.0.1"}, t0)
	nc, nk := pemPair(t, noSAN)
	// A chain given root first: not in order.
	leafPEM := strings.SplitAfter(gc, "-----END CERTIFICATE-----\n")
	reversed := leafPEM[1] + leafPEM[0]

	m, err := Import(gc, gk, t0)
	if err != nil {
		t.Fatalf("good certificate refused: %v", err)
	}
	if !slices.Equal(m.Names, []string{"a.example", "*.b.example"}) || !m.NotAfter.Equal(good.Leaf.NotAfter.UTC()) {
		t.Fatalf("names %v, not after %v", m.Names, m.NotAfter)
	}
	for _, tc := range []struct {
		name, cert, key, field, says string
	}{
		{"no PEM", "hello", gk, "certificate", "no PEM"},
		{"key where the certificate goes", gk, gk, "certificate", "want CERTIFICATE"},
		{"expired", ec, ek, "certificate", "expired"},
		{"not yet valid", gc, gk, "certificate", "not valid before"},
		{"no DNS names", nc, nk, "certificate", "no DNS names"},
		{"chain out of order", reversed, gk, "certificate", "not signed by"},
		{"key of another certificate", gc, ok, "privateKey", "does not match"},
		{"no key", gc, "", "privateKey", "no PEM"},
		{"certificate where the key goes", gc, gc, "privateKey", "not a private key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := t0
			if tc.says == "not valid before" {
				at = t0.Add(-2 * time.Hour)
			}
			_, err := Import(tc.cert, tc.key, at)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want %s: …%s…", err, tc.field, tc.says)
			}
		})
	}
}

func TestPolicyVersions(t *testing.T) {
	for _, tc := range []struct {
		policy string
		min    uint16
		aead   bool
	}{
		{"TLSv1", tls.VersionTLS10, false}, {"TLSv1_2016", tls.VersionTLS10, false},
		{"TLSv1.1_2016", tls.VersionTLS11, false}, {"TLSv1.2_2018", tls.VersionTLS12, false},
		{"TLSv1.2_2019", tls.VersionTLS12, true}, {"TLSv1.2_2021", tls.VersionTLS12, true},
		{"TLSv1.2_2025", tls.VersionTLS12, true}, {"", tls.VersionTLS12, true},
		{"TLSv1.3_2025", tls.VersionTLS13, false},
	} {
		min, suites, err := Policy(tc.policy)
		if err != nil || min != tc.min || (suites != nil) != tc.aead {
			t.Errorf("%q: min %x suites %v err %v", tc.policy, min, suites, err)
		}
		for _, s := range suites {
			if n := tls.CipherSuiteName(s); !strings.Contains(n, "ECDHE") || strings.Contains(n, "CBC") {
				t.Errorf("%q allows %s", tc.policy, n)
			}
		}
	}
	for _, p := range model.MinimumProtocolVersions {
		if _, _, err := Policy(p); err != nil {
			t.Errorf("model policy %s unmapped: %v", p, err)
		}
	}
	for _, bad := range []string{"SSLv3", "TLSv1.4"} {
		if _, _, err := Policy(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
