package edge

import (
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
