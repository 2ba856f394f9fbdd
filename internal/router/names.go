package router

import (
	"strings"

	"github.com/pharos-cdn/pharos/internal/model"
)

// names is what the router answers for, built from the distributions each
// time the configuration changes and then only read.
type names struct {
	// dists maps a distribution domain name (lower case, absolute: with
	// the final dot) to the distribution's id.
	dists map[string]string
	// hosts maps every name a distribution answers (domain name and exact
	// aliases, lower case, no final dot) to its domain name, for the
	// redirect mode.
	hosts map[string]string
	// wild holds "*.example.com" aliases as ".example.com" suffixes.
	wild   map[string]string
	serial uint32
}

func newNames(dists []model.Distribution, serial uint32) *names {
	n := &names{dists: map[string]string{}, hosts: map[string]string{}, wild: map[string]string{}, serial: serial}
	for _, d := range dists {
		dn := strings.ToLower(strings.TrimSuffix(d.DomainName, "."))
		if dn == "" {
			continue
		}
		n.dists[dn+"."] = d.ID
		n.hosts[dn] = dn
		for _, a := range d.Aliases {
			a = strings.ToLower(strings.TrimSuffix(a, "."))
			if w, ok := strings.CutPrefix(a, "*"); ok {
				n.wild[w] = dn
			} else {
				n.hosts[a] = dn
			}
		}
	}
	return n
}

// hostDomain returns the distribution domain name for a Host (no port).
func (n *names) hostDomain(host string) (string, bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if dn, ok := n.hosts[host]; ok {
		return dn, true
	}
	// An edge's own name under a distribution, from an earlier redirect.
	if _, rest, ok := strings.Cut(host, "."); ok {
		if _, ok := n.dists[rest+"."]; ok {
			return rest, true
		}
	}
	for i := strings.IndexByte(host, '.'); i >= 0; {
		if dn, ok := n.wild[host[i:]]; ok {
			return dn, true
		}
		j := strings.IndexByte(host[i+1:], '.')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return "", false
}

// EdgeLabel is the DNS label naming one edge under a distribution's
// domain (e-<id>.dXXXX.<zone>), used by the redirect mode: the id in lower
// case, characters a label cannot hold replaced by "-".
func EdgeLabel(id string) string {
	b := []byte("e-" + strings.ToLower(id))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			b[i] = '-'
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	return string(b)
}
