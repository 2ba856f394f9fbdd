package router

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// HTTPHandler is the router's HTTP side: /metrics and /healthz for the
// operator, and the redirect mode for every request whose Host is a
// distribution's: a 302 to the best edge for the client, named
// e-<edge>.<distribution domain> (which this router resolves to that edge,
// and which the edge serves as the distribution), for clients that cannot
// be steered by DNS.
func (r *Router) HTTPHandler() http.Handler {
	metrics := r.MetricsHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host := req.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		dn, ok := r.names.Load().hostDomain(host)
		if !ok {
			switch req.URL.Path {
			case "/metrics":
				metrics.ServeHTTP(w, req)
			case "/healthz":
				io.WriteString(w, "ok\n")
			default:
				http.Error(w, "no distribution answers for host "+host, http.StatusNotFound)
			}
			return
		}
		r.redirect(w, req, dn)
	})
}

func (r *Router) redirect(w http.ResponseWriter, req *http.Request, domain string) {
	var from netip.Addr
	if ap, err := netip.ParseAddrPort(req.RemoteAddr); err == nil {
		from = ap.Addr().Unmap()
	}
	c := r.place(Client{Addr: from})
	edges := r.edges.Snapshot()
	ranked := Rank(make([]*Edge, 0, len(edges)), edges, c, 1)
	if len(ranked) == 0 {
		http.Error(w, "no edge is available", http.StatusServiceUnavailable)
		return
	}
	e := ranked[0]
	r.metrics.answered(e.ID, c.Country)
	host := EdgeLabel(e.ID) + "." + domain
	if _, port, err := net.SplitHostPort(e.HTTP); err == nil && port != "80" {
		host = net.JoinHostPort(host, port)
	}
	var b strings.Builder
	b.WriteString("http://")
	b.WriteString(host)
	b.WriteString(req.URL.EscapedPath())
	if req.URL.RawQuery != "" {
		b.WriteByte('?')
		b.WriteString(req.URL.RawQuery)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Pharos-Edge", e.ID)
	http.Redirect(w, req, b.String(), http.StatusFound)
}
