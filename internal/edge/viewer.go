package edge

import (
	"net/http"
	"net/netip"
	"strings"
)

// viewerAddr is the viewer's address and port: the connection's peer, or,
// when the peer is a trusted proxy (--trust-forwarded), the right-most
// untrusted X-Forwarded-For address (port 0).
func (s *Server) viewerAddr(r *http.Request) netip.AddrPort {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.AddrPort{}
	}
	return s.cfg.TrustForwarded.Viewer(peer, r.Header["X-Forwarded-For"])
}

// viewerHTTPS reports whether the viewer came over HTTPS: this
// connection's TLS, or, from a trusted proxy that ended the viewer's TLS
// itself, X-Forwarded-Proto: https (its last value: the nearest proxy's).
// Without it an edge behind such a load balancer would redirect
// redirect-to-https viewers forever and see every signed https:// URL as
// an http:// one.
func (s *Server) viewerHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if len(s.cfg.TrustForwarded) == 0 {
		return false
	}
	vals := r.Header["X-Forwarded-Proto"]
	if len(vals) == 0 {
		return false
	}
	last := vals[len(vals)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && strings.EqualFold(strings.TrimSpace(last), "https") && s.cfg.TrustForwarded.Contains(peer.Addr())
}
