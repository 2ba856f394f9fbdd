package certs

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// Source says where a selected certificate came from.
type Source int

// The sources, in the order Select tries them.
const (
	SourceNone     Source = iota
	SourceImported        // imported by a user, matched by SNI
	SourceLocal           // issued by the local CA for a distribution name
	SourceDefault         // the edge's own certificate (unknown name, no SNI)
)

func (s Source) String() string {
	return [...]string{"none", "imported", "local", "default"}[s]
}

// Selector chooses the certificate an edge presents. Its fields are read
// only; an edge builds a new Selector when they change.
type Selector struct {
	Imported *Set
	Issuer   *Issuer // the local CA; nil until the edge has a root
	// DefaultNames are the edge's own names and addresses, on the
	// certificate for handshakes whose name no distribution claims.
	DefaultNames []string
}

// Request is what Select needs to know of a handshake.
type Request struct {
	ServerName string // SNI, "" when the client sent none
	// CertificateID is the imported certificate the name's distribution
	// names in its ViewerCertificate ("" for none).
	CertificateID string
	// IssueFor is the name the local CA may issue for, set only when a
	// distribution claims ServerName: the name itself, or "*.parent" when
	// a wildcard alias covers it by one label, so one leaf serves every
	// such name and viewers cannot make the edge sign one per name.
	IssueFor string
}

// Select picks, in order: the distribution's own imported certificate if
// it covers the name; any imported certificate for the name (exact, then
// wildcard); a local-CA leaf for a claimed name; the edge's default
// certificate. Unknown names get the default rather than a refusal, so a
// client without SNI (or reaching an edge by address) still completes the
// handshake, and the quick-start distribution that answers every host
// still answers; the default names only the edge, so a client checking
// names sees the mismatch.
func (s *Selector) Select(r Request) (*tls.Certificate, Source, error) {
	name := NormalizeName(r.ServerName)
	if name != "" {
		if e := s.Imported.ByID(r.CertificateID); e != nil && e.Covers(name) {
			return e.Cert, SourceImported, nil
		}
		if e := s.Imported.Match(name); e != nil {
			return e.Cert, SourceImported, nil
		}
		if r.IssueFor != "" && s.Issuer != nil {
			c, err := s.Issuer.Get(r.IssueFor)
			return c, SourceLocal, err
		}
	}
	if s.Issuer == nil || len(s.DefaultNames) == 0 {
		return nil, SourceNone, fmt.Errorf("certs: no certificate for %q: no imported one matches and the edge has no local CA yet", name)
	}
	c, err := s.Issuer.Get(s.DefaultNames...)
	return c, SourceDefault, err
}

// NormalizeName lower-cases a server name and drops a final dot.
func NormalizeName(n string) string {
	return strings.ToLower(strings.TrimSuffix(n, "."))
}
