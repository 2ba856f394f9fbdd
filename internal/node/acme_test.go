package node

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pharos-cdn/pharos/internal/edge"
)

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// ACME stays off, and leaves nothing on disk, unless an email is given;
// with one, missing consent or a bad root file stops the start.
func TestStartACME(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	httpL, httpsL := listenLoopback(t), listenLoopback(t)
	for _, tc := range []struct {
		name    string
		cfg     ACMEConfig
		https   net.Listener
		wantErr string // "" for a start that leaves ACME off
	}{
		{"off by default", ACMEConfig{}, httpsL, ""},
		{"no HTTPS to serve on", ACMEConfig{Email: "ops@example.com", Agree: true}, nil, ""},
		{"terms not agreed", ACMEConfig{Email: "ops@example.com"}, httpsL, "--acme-agree"},
		{"missing root file", ACMEConfig{Email: "ops@example.com", Agree: true, CARoot: "/nonexistent/root.pem"}, httpsL, "--acme-ca-root"},
		{"root file without PEM", ACMEConfig{Email: "ops@example.com", Agree: true, CARoot: os.Args[0]}, httpsL, "no PEM certificate"},
		{"unknown challenge", ACMEConfig{Email: "ops@example.com", Agree: true, Challenges: []string{"dns-01"}}, httpsL, "dns-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			e := edge.New(edge.Config{ID: "e1", Logger: log})
			r, err := startACME(tc.cfg, acmeEnv{id: "e1", dataDir: data, e: e, tc: edge.NewTLSCerts(nil), httpL: httpL, httpsL: tc.https, log: log})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r.stop()
			if _, err := os.Stat(filepath.Join(data, "acme")); !os.IsNotExist(err) {
				t.Errorf("%s exists with ACME off (%v)", acmeDir(data), err)
			}
		})
	}
}
