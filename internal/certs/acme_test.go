package certs

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// unreachableCA is a directory on a loopback port nothing listens on: an
// order started in a test fails at once and is retried in the background
// until Stop, never leaving the machine.
const unreachableCA = "https://127.0.0.1:1/dir"

func acmeOptions(t *testing.T) ACMEOptions {
	return ACMEOptions{Email: "ops@example.com", Agreed: true, CA: unreachableCA, Dir: t.TempDir(),
		HTTP:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080},
		HTTPS:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8443},
		Logger: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))}
}

func TestNewACMERefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*ACMEOptions)
		want string
	}{
		{"no email", func(o *ACMEOptions) { o.Email = "" }, "email"},
		{"terms not agreed", func(o *ACMEOptions) { o.Agreed = false }, "--acme-agree"},
		{"unknown challenge", func(o *ACMEOptions) { o.Challenges = []string{"dns-01"} }, `"dns-01"`},
		{"tls-alpn-01 without HTTPS", func(o *ACMEOptions) { o.HTTPS = nil }, "addresses"},
		{"http-01 without HTTP", func(o *ACMEOptions) { o.HTTP, o.Challenges = nil, []string{ChallengeHTTP01} }, "addresses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := acmeOptions(t)
			tc.edit(&o)
			if _, err := NewACME(o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
	o := acmeOptions(t)
	o.HTTP, o.Challenges = nil, []string{ChallengeTLSALPN01} // TLS-ALPN-01 alone needs no HTTP
	a, err := NewACME(o)
	if err != nil {
		t.Fatal(err)
	}
	a.Stop()
}

// Get starts managing only names a public CA could validate, once each,
// and the sweep drops names no longer allowed.
func TestACMEGetAndSweep(t *testing.T) {
	a, err := NewACME(acmeOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"www.example.com": true, "img.example.com": true}
	a.Start(func(name string) bool { return allowed[name] })
	defer a.Stop()
	for _, name := range []string{"localhost", "10.1.2.3", "printer.local", "db.internal", "x.localhost"} {
		if a.Get(name) != nil {
			t.Errorf("%s: a certificate", name)
		}
	}
	if n := a.Managed(); n != 0 {
		t.Fatalf("%d names managed after names no public CA validates, want 0", n)
	}
	for range 3 {
		if a.Get("www.example.com") != nil || a.Get("img.example.com") != nil {
			t.Fatal("a certificate before the CA answered")
		}
	}
	if n := a.Managed(); n != 2 {
		t.Fatalf("%d names managed, want 2", n)
	}
	allowed["img.example.com"] = false
	a.sweep()
	if n := a.Managed(); n != 1 {
		t.Fatalf("%d names managed after the sweep, want 1", n)
	}
}

// ChallengeConfig answers only a TLS-ALPN-01 validation's hello, and only
// when that challenge is on.
func TestACMEChallengeConfig(t *testing.T) {
	a, err := NewACME(acmeOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	for _, tc := range []struct {
		hello tls.ClientHelloInfo
		want  bool
	}{
		{tls.ClientHelloInfo{ServerName: "www.example.com", SupportedProtos: []string{"acme-tls/1"}}, true},
		{tls.ClientHelloInfo{ServerName: "", SupportedProtos: []string{"acme-tls/1"}}, false},
		{tls.ClientHelloInfo{ServerName: "www.example.com", SupportedProtos: []string{"h2", "acme-tls/1"}}, false},
		{tls.ClientHelloInfo{ServerName: "www.example.com", SupportedProtos: []string{"h2", "http/1.1"}}, false},
	} {
		c := a.ChallengeConfig(&tc.hello)
		if (c != nil) != tc.want {
			t.Errorf("%s %v: config %v, want %v", tc.hello.ServerName, tc.hello.SupportedProtos, c != nil, tc.want)
		}
		if c != nil && (len(c.NextProtos) != 1 || c.NextProtos[0] != "acme-tls/1") {
			t.Errorf("NextProtos %v", c.NextProtos)
		}
	}
	o := acmeOptions(t)
	o.Challenges = []string{ChallengeHTTP01}
	b, err := NewACME(o)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop()
	if b.ChallengeConfig(&tls.ClientHelloInfo{ServerName: "www.example.com", SupportedProtos: []string{"acme-tls/1"}}) != nil {
		t.Error("TLS-ALPN-01 answered with only http-01 on")
	}
}

// certmagic's zap logs reach the slog handler with level, message, the
// logger's name and fields.
func TestSlogCore(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})
	zl := zap.New(newSlogCore(h)).Named("acme").With(zap.String("ca", "test"))
	zl.Debug("hidden")
	zl.Info("obtaining certificate", zap.String("identifier", "www.example.com"), zap.Int("attempt", 2))
	zl.Check(zapcore.ErrorLevel, "failed").Write(zap.Strings("names", []string{"a", "b"}))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (debug filtered):\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	for k, want := range map[string]any{"level": "INFO", "msg": "obtaining certificate", "logger": "acme", "ca": "test", "identifier": "www.example.com", "attempt": float64(2)} {
		if first[k] != want {
			t.Errorf("%s = %v, want %v", k, first[k], want)
		}
	}
	if second["level"] != "ERROR" || second["msg"] != "failed" {
		t.Errorf("second line %v", second)
	}
	if names, _ := second["names"].([]any); len(names) != 2 {
		t.Errorf("names %v", second["names"])
	}
}
