package edge

import (
	"crypto/tls"
	"net/http"
	"strings"

	"github.com/pharos-cdn/pharos/internal/certs"
)

// ACME on the edge: which names may have a certificate from the ACME CA,
// and the two places validations are answered (HTTP-01 on plain HTTP in
// ServeHTTP, TLS-ALPN-01 in the HTTPS handshake's config).

// edgeACME is an edge's ACME client and its rule for names.
type edgeACME struct {
	a           *certs.ACME
	s           *Server
	tc          *TLSCerts
	domainNames bool // the distributions' own domain names too, not only aliases
}

// EnableACME makes the edge obtain certificates from a for distribution
// aliases (and, with domainNames, the distributions' own domain names)
// that no imported certificate covers, and answer the CA's validations.
// Call it once, before serving.
func (s *Server) EnableACME(tc *TLSCerts, a *certs.ACME, domainNames bool) {
	x := &edgeACME{a: a, s: s, tc: tc, domainNames: domainNames}
	tc.acme, s.acme = x, x
	a.Start(func(name string) bool { return x.eligible(s.table.Load(), name) })
}

// eligible says whether name may have an ACME certificate under table t:
// a distribution names it exactly as an alias (or, when asked, as its
// domain name), and no imported certificate covers it. Names under a
// wildcard alias are not: the CA cannot validate a wildcard over HTTP,
// and one certificate per name a viewer makes up would run into the CA's
// rate limits.
func (x *edgeACME) eligible(t *Table, name string) bool {
	d := t.hosts[name]
	if d == nil {
		return false
	}
	named := x.domainNames && strings.EqualFold(d.Model.DomainName, name)
	for _, al := range d.Model.Aliases {
		named = named || strings.EqualFold(strings.TrimSuffix(al, "."), name)
	}
	if !named {
		return false
	}
	imp := x.tc.sel.Load().Imported
	if e := imp.ByID(d.Model.ViewerCertificate.CertificateID); e != nil && e.Covers(name) {
		return false
	}
	return imp.Match(name) == nil
}

// cert returns the CA's certificate for name when it is eligible and
// ready; otherwise nil (starting management for an eligible name), and
// the caller falls back to the local CA.
func (x *edgeACME) cert(t *Table, name string) *tls.Certificate {
	if name == "" || !x.eligible(t, name) {
		return nil
	}
	return x.a.Get(name)
}

// acmeChallengePath is where HTTP-01 validations ask (RFC 8555 §8.3).
const acmeChallengePath = "/.well-known/acme-challenge/"

// answerHTTP answers an HTTP-01 validation for an eligible name before the
// request reaches its distribution, so no behaviour (redirect-to-https,
// geo restriction, signed URLs) stands in the CA's way and the answer is
// never cached. The token may belong to an order another edge started:
// the edges share their ACME storage, where certmagic looks it up. A
// token no edge started passes through to the origin, which may run its
// own ACME client behind the CDN. The fast path cannot answer a
// validation from the cache instead: a token is new for each order and
// unknown to anyone but the edges' storage and the CA until the CA asks,
// so nothing can be stored under its path by then.
func (x *edgeACME) answerHTTP(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasPrefix(r.URL.Path, acmeChallengePath) || r.Method != http.MethodGet {
		return false
	}
	if !x.eligible(x.s.table.Load(), certs.NormalizeName(hostOnly(r.Host))) {
		return false
	}
	return x.a.HandleHTTP(w, r)
}
