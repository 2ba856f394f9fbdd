package certs

import (
	"crypto/tls"
	"strings"

	"github.com/pharos-cdn/pharos/internal/model"
)

// Set is the imported certificates an edge serves, indexed by name. It is
// immutable once built; edges swap in a new one when the engine's
// certificates change.
type Set struct {
	byID  map[string]*Entry
	exact map[string]*Entry // "www.example.com"
	wild  map[string]*Entry // "example.com" for "*.example.com"
}

// Entry is one imported certificate, ready to present.
type Entry struct {
	Model model.Certificate
	Cert  *tls.Certificate
}

// NewSet builds a set. A certificate that does not load is left out and
// reported in skipped; where two cover one name, the one valid longest wins.
func NewSet(list []model.Certificate) (s *Set, skipped map[string]error) {
	s = &Set{byID: map[string]*Entry{}, exact: map[string]*Entry{}, wild: map[string]*Entry{}}
	for _, c := range list {
		kp, err := KeyPair(c)
		if err != nil {
			if skipped == nil {
				skipped = map[string]error{}
			}
			skipped[c.ID] = err
			continue
		}
		e := &Entry{Model: c, Cert: kp}
		s.byID[c.ID] = e
		for _, n := range c.Names {
			n = strings.ToLower(n)
			m, key := s.exact, n
			if rest, ok := strings.CutPrefix(n, "*."); ok {
				m, key = s.wild, rest
			}
			if old := m[key]; old == nil || c.NotAfter.After(old.Model.NotAfter) {
				m[key] = e
			}
		}
	}
	return s, skipped
}

// Len is the number of certificates in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byID)
}

// ByID returns the certificate with that id, or nil.
func (s *Set) ByID(id string) *Entry {
	if s == nil {
		return nil
	}
	return s.byID[id]
}

// Match returns the certificate for a server name: one naming it exactly,
// else one whose wildcard covers it (one label, RFC 6125 §6.4.3), else nil.
func (s *Set) Match(name string) *Entry {
	if s == nil || name == "" {
		return nil
	}
	if e := s.exact[name]; e != nil {
		return e
	}
	if _, parent, ok := strings.Cut(name, "."); ok {
		return s.wild[parent]
	}
	return nil
}

// Covers reports whether e's names cover name, exactly or by wildcard.
func (e *Entry) Covers(name string) bool {
	for _, n := range e.Model.Names {
		if n == name {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if _, parent, ok := strings.Cut(name, "."); ok && parent == rest {
				return true
			}
		}
	}
	return false
}
