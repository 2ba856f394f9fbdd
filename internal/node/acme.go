package node

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/pharos-cdn/pharos/internal/bus"
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

// acmeDir is where an edge kept its ACME files before they moved into
// the engine; they are imported from there once (acmeimport.go).
func acmeDir(dataDir string) string { return filepath.Join(dataDir, "acme") }

// acmeEnv is the edge ACME serves.
type acmeEnv struct {
	id, dataDir   string
	e             *edge.Server
	tc            *edge.TLSCerts
	httpL, httpsL net.Listener
	log           *slog.Logger
}

// acmeRun is ACME on one edge: the client and its storage in the engine,
// shared with every other edge (bus.ACMEStore). Its methods do nothing
// when ACME is off.
type acmeRun struct {
	a       *certs.ACME
	store   *bus.ACMEStore
	dataDir string
	log     *slog.Logger
	once    sync.Once
}

// startACME turns ACME on for an edge when c asks for it. Its storage
// answers once attach hands it the engine; until then the edge serves
// other certificates and orders nothing. Without HTTPS there is nothing
// to present a certificate on, so it stays off.
func startACME(c ACMEConfig, env acmeEnv) (*acmeRun, error) {
	if c.Email == "" {
		return &acmeRun{}, nil
	}
	if env.httpsL == nil {
		env.log.Warn("ACME is off: the edge serves no HTTPS (give --https ADDR)")
		return &acmeRun{}, nil
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
	store := bus.NewACMEStore(env.id, env.log)
	a, err := certs.NewACME(certs.ACMEOptions{Email: c.Email, Agreed: c.Agree, CA: c.CA, Roots: roots,
		Storage: store, Challenges: c.Challenges, HTTP: env.httpL.Addr(), HTTPS: env.httpsL.Addr(), Logger: env.log})
	if err != nil {
		return nil, fmt.Errorf("--acme-email: %w", err)
	}
	env.e.EnableACME(env.tc, a, c.DomainNames)
	env.log.Info("ACME is on: certificates for aliases without an imported one come from the CA once a viewer asks",
		"ca", caOrDefault(c.CA), "email", c.Email, "storage", "engine bucket "+bus.ACMEBucket, "domain_names", c.DomainNames)
	return &acmeRun{a: a, store: store, dataDir: env.dataDir, log: env.log}, nil
}

// attach gives ACME the engine's storage, once connected, after importing
// what an earlier version kept under the data directory.
func (r *acmeRun) attach(ctx context.Context, b *bus.Bus) {
	if r.a == nil {
		return
	}
	if err := r.store.Attach(ctx, b); err != nil {
		r.log.Error("ACME storage unavailable: no certificates from the CA on this edge", "err", err)
		return
	}
	importACMEFiles(ctx, acmeDir(r.dataDir), r.store, r.log)
}

// stop ends ACME, then releases the storage locks it still holds; call it
// before the engine connection closes. Calling it again does nothing.
func (r *acmeRun) stop() {
	if r.a == nil {
		return
	}
	r.once.Do(func() {
		r.a.Stop()
		r.store.Close()
	})
}

func caOrDefault(ca string) string {
	if ca == "" {
		return certs.LetsEncrypt
	}
	return ca
}
