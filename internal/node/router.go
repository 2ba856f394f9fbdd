package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
	"github.com/pharos-cdn/pharos/internal/router"
)

// RouterConfig is what `pharos router` was asked for.
type RouterConfig struct {
	NATS     string
	ID       string
	DNSAddr  string
	HTTPAddr string // redirect mode and /metrics; "" for none
	Zone     string
	GeoIP    string // MaxMind database file
	CZF      string // coverage zone file
	TTL      int
	Answers  int
	// NSAddrs are the router's public addresses (glue for ns1.<zone>);
	// default: the host of DNSAddr.
	NSAddrs []netip.Addr
	Logger  *slog.Logger
}

// RunRouter runs a router against the engine at cfg.NATS until ctx ends.
func RunRouter(ctx context.Context, cfg RouterConfig, out io.Writer) error {
	if cfg.NATS == "" {
		return fmt.Errorf("--nats is required: the engine's URLs (pharos control prints them)")
	}
	b, err := bus.Start(ctx, bus.Options{URLs: cfg.NATS, Name: "pharos-router " + cfg.ID, Logger: cfg.Logger})
	if err != nil {
		return err
	}
	defer b.Close()
	return serveRouter(ctx, b, cfg, func(dnsAddr, httpAddr net.Addr) {
		fmt.Fprintf(out, "Pharos router %s is up.\n  dns    %s (udp and tcp, zone %s)\n", cfg.ID, dnsAddr, cfg.Zone)
		if httpAddr != nil {
			fmt.Fprintf(out, "  http   http://%s (redirects, /metrics)\n", dialable(httpAddr))
		}
		fmt.Fprintf(out, "  engine %s\n", cfg.NATS)
	})
}

// startRouter runs a router in the background for `pharos up` and returns
// its DNS address once it listens, or why it could not start.
func startRouter(ctx context.Context, b *bus.Bus, cfg RouterConfig) (net.Addr, error) {
	ready := make(chan net.Addr, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- serveRouter(ctx, b, cfg, func(dnsAddr, _ net.Addr) { ready <- dnsAddr })
	}()
	select {
	case a := <-ready:
		return a, nil
	case err := <-errc:
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
}

// serveRouter runs the router on an engine connection: it learns edges
// from heartbeats, probes them, follows the distributions, serves DNS
// (and HTTP when asked) and publishes its answer counts.
func serveRouter(ctx context.Context, b *bus.Bus, cfg RouterConfig, ready func(dnsAddr, httpAddr net.Addr)) error {
	log := cfg.Logger
	rcfg := router.Config{Zone: cfg.Zone, TTL: uint32(cfg.TTL), Answers: cfg.Answers, NSAddrs: cfg.NSAddrs, Logger: log}
	if cfg.GeoIP != "" {
		db, err := openGeo(cfg.GeoIP)
		if err != nil {
			return fmt.Errorf("--geoip: %w", err)
		}
		defer db.Close()
		rcfg.Geo = db
	}
	if cfg.CZF != "" {
		z, err := router.LoadCoverageZones(cfg.CZF)
		if err != nil {
			return fmt.Errorf("--czf: %w", err)
		}
		rcfg.Zones = z
	}
	if len(rcfg.NSAddrs) == 0 {
		rcfg.NSAddrs = hostAddrs(cfg.DNSAddr)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	edges := router.NewEdges()
	if err := b.SubscribeHeartbeats(edges.Heartbeat); err != nil {
		return err
	}
	r := router.New(rcfg, edges)
	go edges.Probe(ctx)
	go b.Config().Watch(ctx, func(s bus.Snapshot) {
		r.SetDistributions(distributions(s, log), s.Revision)
	})
	go b.PublishRouterStats(ctx, func() bus.RouterStats {
		return bus.RouterStats{ID: cfg.ID, Queries: r.Answers(), Sent: time.Now()}
	})
	var httpL net.Listener
	if cfg.HTTPAddr != "" {
		l, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("--http %s: %w", cfg.HTTPAddr, err)
		}
		httpL = l
		srv := &http.Server{Handler: r.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout: time.Minute}
		go srv.Serve(l)
		defer srv.Close()
	}
	err := r.ListenAndServeDNS(ctx, cfg.DNSAddr, func(udp, _ net.Addr) {
		var ha net.Addr
		if httpL != nil {
			ha = httpL.Addr()
		}
		ready(udp, ha)
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("--dns: %w", err)
	}
	return nil
}

// distributions decodes the distributions of a snapshot; a damaged one is
// logged and left out.
func distributions(s bus.Snapshot, log *slog.Logger) []model.Distribution {
	var out []model.Distribution
	for k, e := range s.Entries {
		if !strings.HasPrefix(k, "dist.") {
			continue
		}
		var d model.Distribution
		if err := json.Unmarshal(e.Value, &d); err != nil {
			log.Warn("router: skipping a damaged distribution", "key", k, "err", err)
			continue
		}
		out = append(out, d)
	}
	return out
}

// hostAddrs returns the host of a listen address when it is an IP that is
// not unspecified, else 127.0.0.1.
func hostAddrs(addr string) []netip.Addr {
	host, _, err := net.SplitHostPort(addr)
	if err == nil {
		if ip, err := netip.ParseAddr(host); err == nil && !ip.IsUnspecified() {
			return []netip.Addr{ip}
		}
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
}
