package certs

import (
	"crypto/tls"
	"strings"
	"sync"
	"time"
)

// Issuer hands out leaves from a CA, one per name, keeping them in memory
// and issuing a new one when a third of the validity is left.
//
// Leaves are not persisted: issuing one costs about a tenth of a
// millisecond, so a restarted edge loses nothing worth a disk write, and
// not writing them keeps their private keys off the disk.
type Issuer struct {
	ca  *CA
	now func() time.Time
	max int

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
	issued uint64
}

// DefaultMaxLeaves bounds an Issuer's memory: names come from the routing
// table (aliases are at most 100 per distribution), never from viewers.
const DefaultMaxLeaves = 10000

// NewIssuer returns an issuer for ca keeping at most max leaves (0:
// DefaultMaxLeaves); now may be nil (time.Now).
func NewIssuer(ca *CA, max int, now func() time.Time) *Issuer {
	if max <= 0 {
		max = DefaultMaxLeaves
	}
	if now == nil {
		now = time.Now
	}
	return &Issuer{ca: ca, now: now, max: max, leaves: map[string]*tls.Certificate{}}
}

// CA returns the issuer's authority.
func (is *Issuer) CA() *CA { return is.ca }

// Issued counts the leaves signed so far.
func (is *Issuer) Issued() uint64 {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.issued
}

// Get returns a valid leaf for names (DNS names or IP addresses; usually
// one). The lock is held while signing, so concurrent handshakes for a new
// name sign once.
func (is *Issuer) Get(names ...string) (*tls.Certificate, error) {
	now := is.now()
	name := strings.Join(names, ",")
	is.mu.Lock()
	defer is.mu.Unlock()
	if c := is.leaves[name]; c != nil && now.Before(renewAt(c)) {
		return c, nil
	}
	c, err := is.ca.Issue(names, now)
	if err != nil {
		return nil, err
	}
	is.issued++
	if len(is.leaves) >= is.max {
		is.evict(now)
	}
	is.leaves[name] = c
	return c, nil
}

// evict drops leaves due for renewal, else an arbitrary tenth of them
// (map order): bounded work, and an evicted name is re-issued on demand.
func (is *Issuer) evict(now time.Time) {
	for n, c := range is.leaves {
		if !now.Before(renewAt(c)) {
			delete(is.leaves, n)
		}
	}
	drop := len(is.leaves) - is.max + is.max/10 + 1
	for n := range is.leaves {
		if drop <= 0 {
			break
		}
		delete(is.leaves, n)
		drop--
	}
}

// renewAt is when a leaf is replaced: with a third of its life left.
func renewAt(c *tls.Certificate) time.Time {
	l := c.Leaf
	return l.NotAfter.Add(-l.NotAfter.Sub(l.NotBefore) / 3)
}
