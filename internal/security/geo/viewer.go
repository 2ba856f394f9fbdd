package geo

import (
	"fmt"
	"net/netip"
	"strings"
)

// Trusted lists the proxies (load balancers in front of an edge) whose
// X-Forwarded-For the edge believes (`--trust-forwarded CIDR,…`).
type Trusted []netip.Prefix

// ParseTrusted reads a comma-separated list of CIDR prefixes or single
// addresses.
func ParseTrusted(s string) (Trusted, error) {
	var t Trusted
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(f, "/") {
			p, err = netip.ParsePrefix(f)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(f); err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("geo: trusted proxy %q: %w", f, err)
		}
		t = append(t, p.Masked())
	}
	return t, nil
}

// Contains reports whether a is a trusted proxy.
func (t Trusted) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Viewer returns the viewer's address. It is the connection's peer,
// unless the peer is a trusted proxy: then X-Forwarded-For (all its fields,
// in order) is read from the right, past trusted proxies, and the first
// address that is not one is the viewer. Entries to the left of it could
// have been written by anyone, so they are never believed. An address
// taken from the header has port 0. An unreadable entry stops the walk at
// the last address read.
func (t Trusted) Viewer(peer netip.AddrPort, xff []string) netip.AddrPort {
	viewer := netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
	if len(t) == 0 || len(xff) == 0 || !t.Contains(viewer.Addr()) {
		return viewer
	}
	for i := len(xff) - 1; i >= 0; i-- {
		entries := strings.Split(xff[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			a, ok := parseForwarded(entries[j])
			if !ok {
				return viewer
			}
			viewer = netip.AddrPortFrom(a, 0)
			if !t.Contains(a) {
				return viewer
			}
		}
	}
	return viewer
}

// parseForwarded reads one X-Forwarded-For entry: an address, possibly
// with a port ("192.0.2.1:1234", "[2001:db8::1]:443").
func parseForwarded(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
