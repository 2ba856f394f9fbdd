package node

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/edge"
)

// ACMEConfig is the ACME part of an edge's flags. ACME is off unless
// Email is set: then, and only then, the edge talks to the CA.
type ACMEConfig struct {
	Email string
	Agree bool   // the operator agrees to the CA's terms of service
	CA    string // directory URL; "" is Let's Encrypt's production CA
	// CARoot is a PEM file of the roots to trust for the CA's HTTPS
	// instead of the system's (a test CA such as Pebble).
	CARoot string
	// DomainNames asks for certificates for the distributions' own
	// domain names (dXXXX.<zone>) too, not only their aliases.
	DomainNames bool
	Challenges  []string // http-01, tls-alpn-01; empty: both
}

// acmeDir is where an edge keeps its ACME accounts and certificates.
func acmeDir(dataDir string) string { return filepath.Join(dataDir, "acme") }

// startACME turns ACME on for an edge when c asks for it, storing under
// dataDir/acme, and returns what stops it. Without HTTPS there is nothing
// to present a certificate on, so it stays off.
func startACME(c ACMEConfig, dataDir string, e *edge.Server, tc *edge.TLSCerts, httpL, httpsL net.Listener, log *slog.Logger) (stop func(), err error) {
	if c.Email == "" {
		return func() {}, nil
	}
	if httpsL == nil {
		log.Warn("ACME is off: the edge serves no HTTPS (give --https ADDR)")
		return func() {}, nil
	}
	if !c.Agree {
		return nil, fmt.Errorf("--acme-email: ACME needs --acme-agree, saying you agree to the CA's terms of service (%s)", caOrDefault(c.CA))
	}
	var roots *x509.CertPool
	if c.CARoot != "" {
		pemBytes, err := os.ReadFile(c.CARoot)
		if err != nil {
			return nil, fmt.Errorf("--acme-ca-root: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("--acme-ca-root %s: no PEM certificate in it", c.CARoot)
		}
	}
	a, err := certs.NewACME(certs.ACMEOptions{Email: c.Email, Agreed: c.Agree, CA: c.CA, Roots: roots,
		Dir: acmeDir(dataDir), Challenges: c.Challenges, HTTP: httpL.Addr(), HTTPS: httpsL.Addr(), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("--acme-email: %w", err)
	}
	e.EnableACME(tc, a, c.DomainNames)
	log.Info("ACME is on: certificates for aliases without an imported one come from the CA once a viewer asks",
		"ca", caOrDefault(c.CA), "email", c.Email, "storage", acmeDir(dataDir), "domain_names", c.DomainNames)
	return a.Stop, nil
}

func caOrDefault(ca string) string {
	if ca == "" {
		return certs.LetsEncrypt
	}
	return ca
}
