package edge

import (
	"crypto/tls"
	"sync"
	"sync/atomic"

	"github.com/pharos-cdn/pharos/internal/certs"
)

// TLSCerts is what an edge presents over HTTPS: the imported certificates
// and the local CA, swapped in whole (an atomic pointer to a Selector) when
// the engine's certificates or root change, so the next handshake uses
// them and handshakes in progress keep what they read.
type TLSCerts struct {
	sel          atomic.Pointer[certs.Selector]
	mu           sync.Mutex // serialises changes
	defaultNames []string
	acme         *edgeACME // nil unless ACME is on (tlsacme.go); set before serving
}

// NewTLSCerts returns certificates with no root and nothing imported yet;
// defaultNames (the edge's id, its addresses) go on the certificate for
// handshakes whose name no distribution claims.
func NewTLSCerts(defaultNames []string) *TLSCerts {
	c := &TLSCerts{defaultNames: defaultNames}
	c.sel.Store(&certs.Selector{DefaultNames: defaultNames})
	return c
}

// SetCA makes ca the local CA. Leaves already issued by the same root are
// kept; a different root starts a new issuer.
func (c *TLSCerts) SetCA(ca *certs.CA) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.sel.Load()
	if old.Issuer != nil && old.Issuer.CA().Cert.Equal(ca.Cert) {
		return
	}
	next := *old
	next.Issuer = certs.NewIssuer(ca, 0, nil)
	c.sel.Store(&next)
}

// SetImported replaces the imported certificates.
func (c *TLSCerts) SetImported(set *certs.Set) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := *c.sel.Load()
	next.Imported = set
	c.sel.Store(&next)
}

// CA returns the local CA, or nil before the edge has one.
func (c *TLSCerts) CA() *certs.CA {
	if is := c.sel.Load().Issuer; is != nil {
		return is.CA()
	}
	return nil
}

// Imported returns the number of imported certificates in force.
func (c *TLSCerts) Imported() int { return c.sel.Load().Imported.Len() }

// certificate is what a handshake for name presents under table t, in
// order: an imported certificate, the ACME CA's once it is ready (for an
// eligible name), a local-CA leaf for a claimed name, the edge's own.
// certID is the imported certificate the name's distribution names.
func (c *TLSCerts) certificate(t *Table, name, certID string) (*tls.Certificate, error) {
	if c.acme != nil {
		if crt := c.acme.cert(t, name); crt != nil {
			return crt, nil
		}
	}
	crt, _, err := c.sel.Load().Select(certs.Request{ServerName: name, CertificateID: certID, IssueFor: t.issueName(name)})
	return crt, err
}

// challengeConfig returns the TLS settings answering an ACME TLS-ALPN-01
// validation when hello is one and ACME is on, else nil.
func (c *TLSCerts) challengeConfig(hello *tls.ClientHelloInfo) *tls.Config {
	if c.acme == nil {
		return nil
	}
	return c.acme.a.ChallengeConfig(hello)
}
