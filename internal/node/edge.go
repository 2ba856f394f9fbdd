package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/edge"
)

// EdgeConfig is what `pharos edge` was asked for.
type EdgeConfig struct {
	NATS       string
	ID, POP    string
	HTTPAddr   string
	DataDir    string
	CacheMem   int64
	CacheDisk  int64
	FastPath   bool
	EventLoop  bool // keep fast-path connections in the edge's own epoll loops (Linux)
	EventLoops int  // how many (0: one per core but one, at least one)
	Grace      time.Duration
	Logger     *slog.Logger
	// Placement for the router: where the edge is, the addresses to hand
	// out (default: the host of HTTPAddr) and the request rate it should
	// take at most (0: no limit).
	Lat, Lon    float64
	Located     bool
	PublicAddrs []string
	Capacity    float64
	// Viewers: the GeoIP database, the trusted proxies (CIDRs, comma
	// separated) and the HTTPS address redirect-to-https points at.
	GeoIP, TrustForwarded, HTTPSAddr string
	ACME                             ACMEConfig // off unless ACME.Email is set (acme.go)
}

// RunEdge runs one edge: it serves with the configuration it last applied
// (kept on its disk) at once, connects to the engine in the background
// (retrying for as long as it takes), then follows the configuration and
// heartbeats until ctx is done.
func RunEdge(ctx context.Context, cfg EdgeConfig, out io.Writer) error {
	log := cfg.Logger.With("edge", cfg.ID)
	if cfg.NATS == "" {
		return fmt.Errorf("--nats is required: the engine's URLs (pharos control prints them)")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	l, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("--http %s: %w", cfg.HTTPAddr, err)
	}
	defer l.Close()
	var httpsL net.Listener
	var httpsPC net.PacketConn
	if cfg.HTTPSAddr != "" {
		if httpsL, httpsPC, err = listenHTTPS(cfg.HTTPSAddr); err != nil {
			return err
		}
		defer httpsL.Close()
		defer httpsPC.Close()
		cfg.HTTPSAddr = httpsL.Addr().String() // the port redirect-to-https names
	}
	ecfg := edge.Config{ID: cfg.ID, POP: cfg.POP, CacheMem: cfg.CacheMem, Logger: cfg.Logger,
		DisableFastPath: !cfg.FastPath, DisableEventLoop: !cfg.EventLoop, EventLoops: cfg.EventLoops}
	closeGeo, err := viewerOptions(&ecfg, cfg.GeoIP, cfg.TrustForwarded, cfg.HTTPSAddr)
	if err != nil {
		return err
	}
	defer closeGeo()
	e := edge.New(ecfg)
	if cfg.CacheDisk > 0 {
		if _, err := e.EnableDisk(filepath.Join(cfg.DataDir, "cache"), cfg.CacheDisk); err != nil {
			return fmt.Errorf("--cache-disk: %w", err)
		}
	}
	if rev, docs, ok, err := loadLastConfig(cfg.DataDir); err != nil {
		log.Warn("ignoring the saved configuration", "err", err)
	} else if ok {
		if err := e.Apply(rev, docs); err == nil {
			log.Info("serving with the saved configuration until the engine answers", "revision", rev)
		}
	}
	tc := edge.NewTLSCerts(ownNames(cfg.ID, addrOf(httpsL), cfg.PublicAddrs))
	certsIn := &certFollower{tc: tc, dataDir: cfg.DataDir, log: log}
	certsIn.loadSaved() // tls.go
	// ACME certificates for aliases, when asked for (acme.go).
	acme, err := startACME(cfg.ACME, acmeEnv{id: cfg.ID, dataDir: cfg.DataDir, e: e, tc: tc, httpL: l, httpsL: httpsL, log: log})
	if err != nil {
		return err
	}
	defer acme.stop()
	go followEngine(ctx, cfg, e, l.Addr(), certsIn, acme, log)
	fmt.Fprintf(out, "Pharos edge %s (pop %s) is up.\n  edge   http://%s\n  engine %s\n  data   %s\n",
		cfg.ID, cfg.POP, dialable(l.Addr()), cfg.NATS, cfg.DataDir)
	if httpsL != nil {
		fmt.Fprintf(out, "  https  %s\n", httpsLine(httpsL, cfg.DataDir))
	}
	stopHTTPS := serveHTTPS(ctx, e, httpsL, httpsPC, tc, cfg.Grace, log)
	defer stopHTTPS()
	return e.Serve(ctx, l, cfg.Grace)
}

// followEngine connects to the engine, retrying with backoff, and then
// applies every configuration snapshot (saving it) and heartbeats.
func followEngine(ctx context.Context, cfg EdgeConfig, e *edge.Server, addr net.Addr, certsIn *certFollower, acme *acmeRun, log *slog.Logger) {
	backoff := 500 * time.Millisecond
	var b *bus.Bus
	for {
		var err error
		b, err = bus.Start(ctx, bus.Options{URLs: cfg.NATS, Name: "pharos-edge " + cfg.ID, Logger: log})
		if err == nil {
			break
		}
		log.Warn("engine unreachable; serving with the configuration in force", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
	defer b.Close()
	log.Info("connected to the engine")
	acme.attach(ctx, b) // ACME's storage is in the engine (acme.go)
	defer acme.stop()   // before the bus closes: it releases its locks there
	load := newLoadMeter(e)
	hb := func() bus.Heartbeat {
		return bus.Heartbeat{ID: cfg.ID, POP: cfg.POP, HTTP: dialable(addr), Revision: e.Revision(),
			Invalidation: e.InvalidationSeq(), Lat: cfg.Lat, Lon: cfg.Lon, Located: cfg.Located,
			PublicAddrs: cfg.PublicAddrs, Load: load.Rate(), Capacity: cfg.Capacity, Sent: time.Now()}
	}
	go followInvalidations(ctx, b, e, cfg.ID, cfg.DataDir, func() { b.PublishHeartbeat(hb()) })
	go b.PublishHeartbeats(ctx, hb)
	b.Config().Watch(ctx, func(s bus.Snapshot) {
		certsIn.apply(s)
		docs := distributionDocs(s)
		if err := e.Apply(s.Revision, docs); err != nil {
			return
		}
		b.PublishHeartbeat(hb()) // say so at once
		if err := saveLastConfig(cfg.DataDir, s.Revision, docs); err != nil {
			log.Warn("could not save the configuration", "err", err)
		}
	})
}

// followInvalidations applies the invalidation stream to e through the
// edge's own durable consumer, so it replays what it missed while away.
// dataDir ("" for none) keeps the last sequence applied: an edge whose cache
// is older than the oldest invalidation the stream still holds may have
// missed some, so it drops its whole cache rather than serve something
// invalidated.
func followInvalidations(ctx context.Context, b *bus.Bus, e *edge.Server, id, dataDir string, applied func()) {
	if dataDir != "" {
		last := loadInvalidationSeq(dataDir)
		e.SetInvalidationSeq(last)
		if first, err := b.FirstInvalidation(ctx); err == nil && last+1 < first && e.CachedObjects() > 0 {
			n := e.DropCache()
			slog.Warn("away longer than invalidations are kept: dropped the cache", "edge", id,
				"last_applied", last, "oldest_kept", first, "objects", n)
		}
	}
	b.FollowInvalidations(ctx, consumerName(id), func(seq uint64, inv bus.Invalidation) {
		n := e.Invalidate(edge.Purge{DistributionID: inv.DistributionID, Paths: inv.Paths, Tags: inv.Tags, Soft: inv.Soft})
		e.SetInvalidationSeq(seq)
		if applied != nil {
			applied()
		}
		if dataDir != "" {
			saveInvalidationSeq(dataDir, seq)
		}
		slog.Debug("invalidation applied", "id", inv.ID, "objects", n, "sequence", seq)
	})
}

// consumerName makes an edge id into a JetStream consumer name.
func consumerName(id string) string {
	return "edge-" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, id)
}
