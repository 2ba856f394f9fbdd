package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/pharos-cdn/pharos/internal/listen"
	"github.com/pharos-cdn/pharos/internal/model"
)

// Locator places an address (geo.DB does so from a MaxMind-format
// database): its country, "" when unknown, and its coordinates when ok.
type Locator interface {
	Location(addr netip.Addr) (lat, lon float64, country string, ok bool)
}

// Config is what a router needs.
type Config struct {
	// Zone is the CDN zone the router is authoritative for.
	Zone string
	// TTL of A/AAAA answers, in seconds (also the negative-answer TTL).
	TTL uint32
	// Answers is how many edges one answer lists, best first.
	Answers int
	// NSAddrs are the router's own public addresses: the glue of the
	// zone's NS record (ns1.<zone>).
	NSAddrs []netip.Addr
	Geo     Locator        // nil: no GeoIP database
	Zones   *CoverageZones // nil: no coverage zone file
	Logger  *slog.Logger
}

// Router answers DNS queries (and redirects) with the best edges.
type Router struct {
	zone, nsHost string
	ttl          uint32
	answers      int
	nsAddrs      []netip.Addr
	geo          Locator
	czf          *CoverageZones
	edges        *Edges
	names        atomic.Pointer[names]
	metrics      *metrics
	log          *slog.Logger
}

// New returns a router following edges.
func New(cfg Config, edges *Edges) *Router {
	zone := strings.ToLower(dns.Fqdn(cfg.Zone))
	r := &Router{zone: zone, nsHost: nsName + "." + zone, ttl: cfg.TTL, answers: cfg.Answers,
		nsAddrs: cfg.NSAddrs, geo: cfg.Geo, czf: cfg.Zones, edges: edges, metrics: newMetrics(edges),
		log: cfg.Logger}
	if r.answers <= 0 {
		r.answers = 3
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.names.Store(newNames(nil, 0))
	return r
}

// SetDistributions replaces the names the router answers for; revision is
// the configuration's, and becomes the SOA serial.
func (r *Router) SetDistributions(dists []model.Distribution, revision uint64) {
	r.names.Store(newNames(dists, uint32(revision)))
}

// Zone returns the zone's absolute name.
func (r *Router) Zone() string { return r.zone }

// place finds where c is: the coverage zone file first (the operator
// knows these networks), then the GeoIP database.
func (r *Router) place(c Client) Client {
	if z, ok := r.czf.Lookup(c.Addr); ok {
		c.POP = z.POP
		if z.Located {
			c.Lat, c.Lon, c.Located = z.Lat, z.Lon, true
		}
	}
	if r.geo != nil && c.Addr.IsValid() {
		lat, lon, country, ok := r.geo.Location(c.Addr)
		c.Country = country
		if ok && !c.Located {
			c.Lat, c.Lon, c.Located = lat, lon, true
		}
	}
	return c
}

// ServeDNS serves DNS on addr over UDP and TCP until ctx ends. ready is
// called with the bound addresses once both listen.
func (r *Router) ListenAndServeDNS(ctx context.Context, addr string, ready func(udp, tcp net.Addr)) error {
	l, pc, err := listen.TCPAndUDP(addr)
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	udp := &dns.Server{PacketConn: pc, Handler: r, UDPSize: ednsSize}
	tcp := &dns.Server{Listener: l, Handler: r, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second,
		IdleTimeout: func() time.Duration { return 10 * time.Second }}
	errc := make(chan error, 2)
	go func() { errc <- udp.ActivateAndServe() }()
	go func() { errc <- tcp.ActivateAndServe() }()
	if ready != nil {
		ready(pc.LocalAddr(), l.Addr())
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	udp.ShutdownContext(sctx)
	tcp.ShutdownContext(sctx)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("dns: %w", err)
	}
	return nil
}
