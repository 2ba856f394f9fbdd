package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pharos-cdn/pharos/internal/certs"
)

// ServeTLS serves HTTPS on l (HTTP/1.1, and HTTP/2 by ALPN) and, when pc
// is not nil, HTTP/3 over QUIC on pc (http3.go), until ctx is done; then
// both shut down gracefully (up to grace). Every request goes through
// ServeHTTP, the same handler as plain HTTP, so caching and every stage
// behave the same whatever the protocol. HTTP/1.1 connections start on the
// fast path, as plain ones do, and HTTP/2 ones go to the edge's own
// HTTP/2 server (tlsaccept.go, fasth2.go), unless the fast path is off.
func (s *Server) ServeTLS(ctx context.Context, l net.Listener, pc net.PacketConn, tc *TLSCerts, grace time.Duration) error {
	ts := &tlsServing{s: s, tc: tc}
	if pc != nil {
		ts.altSvc = `h3=":` + strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port) + `"; ma=86400`
	}
	srv := s.HTTPServer()
	srv.Handler = http.HandlerFunc(ts.serveHTTPS)
	srv.ConnContext = tlsConnContext
	acc := &tlsAcceptor{ts: ts, cfg: &tls.Config{GetConfigForClient: ts.configTCP}, direct: newHandoffListener(l.Addr())}
	errc := make(chan error, 5)
	go func() { errc <- srv.Serve(acc.direct) }() // net/http sets up h2 for *tls.Conn by ALPN
	var fs *fastServer
	if !s.cfg.DisableFastPath {
		fs = newFastServer(s, l.Addr())
		acc.h2 = ts.newH2Server()
		acc.fast = newHandoffListener(l.Addr())
		go func() { errc <- srv.Serve(fs.handoff) }()
		go func() { errc <- fs.accept(acc.fast) }()
	}
	go func() { errc <- acc.accept(l) }()
	var h3 *h3Server
	if pc != nil {
		h3 = ts.newH3(pc)
		go func() { errc <- h3.serve() }()
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	l.Close()
	if acc.fast != nil {
		acc.fast.Close()
	}
	if err != nil {
		srv.Close()
		if h3 != nil {
			h3.srv.Close()
		}
		if acc.h2 != nil {
			acc.h2.Close()
		}
		return fmt.Errorf("edge: serve https: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var wg sync.WaitGroup
	if h3 != nil {
		wg.Add(1)
		go func() { defer wg.Done(); h3.srv.Shutdown(sctx) }()
	}
	if acc.h2 != nil {
		wg.Add(1)
		go func() { defer wg.Done(); acc.h2.Shutdown(sctx) }()
	}
	if fs != nil {
		fs.shutdown(sctx)
	}
	err = srv.Shutdown(sctx)
	wg.Wait()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("edge: shutdown https: %w", err)
	}
	return nil
}

// tlsServing is one ServeTLS's state.
type tlsServing struct {
	s      *Server
	tc     *TLSCerts
	altSvc string // the Alt-Svc value advertising HTTP/3, "" without it

	mu    sync.Mutex
	table *Table                  // the table configs were made for
	confs map[confKey]*tls.Config // per distribution and transport
}

type confKey struct {
	d    *Dist // nil: no distribution answers the name
	quic bool
}

// serveHTTPS is the handler for HTTPS over TCP: it advertises HTTP/3 for
// distributions that offer it, then serves as for plain HTTP. Alt-Svc is
// not sent on plain HTTP: clients take an alternative only for https.
func (ts *tlsServing) serveHTTPS(w http.ResponseWriter, r *http.Request) {
	restoreTLS(r)
	if ts.altSvc != "" {
		if d := ts.s.table.Load().Lookup(hostOnly(r.Host)); d != nil && d.Model.OffersHTTP3() {
			w.Header().Set("Alt-Svc", ts.altSvc)
		}
	}
	ts.s.ServeHTTP(w, r)
}

// configTCP picks the TLS settings for a TLS-over-TCP handshake by SNI.
func (ts *tlsServing) configTCP(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if c := ts.tc.challengeConfig(hello); c != nil {
		return c, nil // an ACME CA validating by TLS-ALPN-01 (tlsacme.go)
	}
	return ts.config(hello, false)
}

// config returns the settings of the distribution that answers the
// server name (the default distribution for an unknown name or none):
// its minimum TLS version and ciphers, the protocols it offers by ALPN,
// and certificate selection. Configs are made once per distribution and
// table; they carry no session ticket keys, so Go uses the listener's,
// and a session resumes whichever distribution it started on.
func (ts *tlsServing) config(hello *tls.ClientHelloInfo, quic bool) (*tls.Config, error) {
	t := ts.s.table.Load()
	d := t.Lookup(certs.NormalizeName(hello.ServerName))
	if quic && (d == nil || !d.Model.OffersHTTP3()) {
		// QUIC carries only HTTP/3 here: a distribution without it
		// refuses the handshake, and viewers stay on TCP.
		return nil, fmt.Errorf("edge: HTTP/3 is not enabled for %q", hello.ServerName)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.table != t {
		ts.table, ts.confs = t, map[confKey]*tls.Config{}
	}
	k := confKey{d: d, quic: quic}
	if c := ts.confs[k]; c != nil {
		return c, nil
	}
	c, err := ts.newConfig(t, d, quic)
	if err != nil {
		return nil, err
	}
	ts.confs[k] = c
	return c, nil
}

func (ts *tlsServing) newConfig(t *Table, d *Dist, quic bool) (*tls.Config, error) {
	policy, certID, protos := "", "", []string{"h2", "http/1.1"}
	if d != nil {
		policy, certID = d.Model.ViewerCertificate.MinimumProtocolVersion, d.Model.ViewerCertificate.CertificateID
		if !d.Model.OffersHTTP2() {
			protos = []string{"http/1.1"}
		}
	}
	minV, suites, err := certs.Policy(policy)
	if err != nil {
		return nil, err
	}
	if quic {
		minV, suites, protos = tls.VersionTLS13, nil, nil // QUIC is TLS 1.3 only; quic-go sets h3
	}
	return &tls.Config{
		MinVersion:   minV,
		CipherSuites: suites,
		NextProtos:   protos,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return ts.tc.certificate(t, certs.NormalizeName(hello.ServerName), certID) // tlscerts.go
		},
	}, nil
}

// issueName says what the local CA may issue for a server name: the name
// when a distribution names it exactly, "*.parent" when a wildcard
// (an alias, or the per-edge names under a domain name) covers it by one
// label, the name itself for a deeper match, and "" when no distribution
// claims it (the default distribution answers every Host, but the CA
// does not sign whatever name a viewer sends).
func (t *Table) issueName(name string) string {
	if name == "" {
		return ""
	}
	if t.hosts[name] != nil {
		return name
	}
	for _, w := range t.wild {
		if rest, ok := strings.CutSuffix(name, w.suffix); ok && rest != "" {
			if strings.Contains(rest, ".") {
				return name
			}
			return "*" + w.suffix
		}
	}
	return ""
}
