// Package node runs every role of Pharos in one process on one machine:
// the engine (embedded NATS), the control plane's API and an edge. It is
// what `pharos up` starts.
package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/edge"
	"github.com/pharos-cdn/pharos/internal/model"
)

// Config is what `pharos up` was asked for.
type Config struct {
	DataDir    string
	HTTPAddr   string
	HTTPSAddr  string
	APIAddr    string
	DNSAddr    string
	Zone       string
	Origin     string // optional quick-start origin URL
	CacheMem   int64
	CacheDisk  int64
	NATS       string // external NATS URLs; "" embeds one
	EdgeID     string
	POP        string
	Grace      time.Duration // how long in-flight responses may finish on stop
	FastPath   bool          // answer plain HTTP/1.1 hits on the edge's own fast path
	EventLoop  bool          // keep fast-path connections in the edge's own epoll loops (Linux)
	EventLoops int           // how many (0: one per core but one, at least one)
	GeoIP      string        // MaxMind database placing clients (router) and viewers
	// DNSOptional lets Run go on without the DNS router when DNSAddr
	// cannot be bound (the flag was left at its default).
	DNSOptional bool
	// HTTPSOptional does the same for HTTPSAddr.
	HTTPSOptional bool
	Logger        *slog.Logger

	// TrustForwarded lists the proxies (CIDRs) whose X-Forwarded-For names
	// the viewer.
	TrustForwarded string
	ACME           ACMEConfig // off unless ACME.Email is set (acme.go)
}

// Run starts everything, prints where each part listens to out, and serves
// until ctx is done; then it stops gracefully.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	log := cfg.Logger
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	var origin model.Origin
	if cfg.Origin != "" {
		o, err := model.OriginFromURL(cfg.Origin)
		if err != nil {
			return fmt.Errorf("--origin: %w", err)
		}
		origin = o
	}
	// Listen first: a taken port should fail before anything is changed.
	edgeL, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("--http %s: %w", cfg.HTTPAddr, err)
	}
	defer edgeL.Close()
	apiL, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("--api %s: %w", cfg.APIAddr, err)
	}
	defer apiL.Close()
	var httpsL net.Listener
	var httpsPC net.PacketConn
	httpsOff := ""
	if cfg.HTTPSAddr != "" {
		httpsL, httpsPC, err = listenHTTPS(cfg.HTTPSAddr)
		switch {
		case err != nil && !cfg.HTTPSOptional:
			return err
		case err != nil:
			// As for --dns: a default port that is taken does not stop
			// the quick start.
			log.Warn("HTTPS did not start; give --https ADDR to choose its address", "err", err)
			httpsOff, cfg.HTTPSAddr = cfg.HTTPSAddr, ""
		default:
			defer httpsL.Close()
			defer httpsPC.Close()
			cfg.HTTPSAddr = httpsL.Addr().String() // the port redirect-to-https names
		}
	}

	b, err := bus.Start(ctx, bus.Options{DataDir: cfg.DataDir, URLs: cfg.NATS, Name: "pharos-up", Logger: log})
	if err != nil {
		return err
	}
	defer b.Close()

	creds, credPath, err := control.LoadCredentials(cfg.DataDir)
	if err != nil {
		return err
	}
	svc := control.NewService(b.Config(), cfg.Zone)
	root, err := ensureRoot(ctx, b.Config(), cfg.DataDir, absDir(cfg.DataDir)) // tls.go
	if err != nil {
		return err
	}
	var quick *control.Stored
	// The banner promises a ready edge: wait until it has applied at least
	// everything stored so far (and the quick-start change, if any).
	wantRev, err := svc.StoredRevision(ctx)
	if err != nil {
		return err
	}
	if cfg.Origin != "" {
		st, rev, err := svc.UpsertDefault(ctx, origin)
		if err != nil {
			return fmt.Errorf("quick-start distribution: %w", err)
		}
		quick, wantRev = &st, rev
	}

	ecfg := edge.Config{ID: cfg.EdgeID, POP: cfg.POP, CacheMem: cfg.CacheMem, Logger: log,
		DisableFastPath: !cfg.FastPath, DisableEventLoop: !cfg.EventLoop, EventLoops: cfg.EventLoops}
	closeGeo, err := viewerOptions(&ecfg, cfg.GeoIP, cfg.TrustForwarded, cfg.HTTPSAddr)
	if err != nil {
		return err
	}
	defer closeGeo()
	e := edge.New(ecfg)
	tc := edge.NewTLSCerts(ownNames(cfg.EdgeID, addrOf(httpsL), nil))
	tc.SetCA(root)
	certsIn := &certFollower{tc: tc, log: log}
	// ACME certificates for aliases, when asked for (acme.go).
	acme, err := startACME(cfg.ACME, acmeEnv{id: cfg.EdgeID, dataDir: cfg.DataDir, e: e, tc: tc, httpL: edgeL, httpsL: httpsL, log: log})
	if err != nil {
		return err
	}
	defer acme.stop()
	acme.attach(ctx, b)
	if cfg.CacheDisk > 0 {
		if _, err := e.EnableDisk(filepath.Join(cfg.DataDir, "cache"), cfg.CacheDisk); err != nil {
			return fmt.Errorf("--cache-disk: %w", err)
		}
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go b.Config().Watch(watchCtx, func(s bus.Snapshot) {
		certsIn.apply(s)
		e.Apply(s.Revision, distributionDocs(s))
	})
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = e.WaitRevision(wctx, wantRev)
	cancel()
	if err != nil {
		return err
	}

	handler := control.NewAPI(svc, creds, log)
	handler.Applied = e.Revision // the one edge: exact and immediate
	handler.Invalidations = control.NewInvalidations(svc, b)
	handler.Invalidations.Applied = func() (uint64, bool) { return e.InvalidationSeq(), true }
	go followInvalidations(watchCtx, b, e, cfg.EdgeID, cfg.DataDir, nil)
	if edges, err := b.TrackEdges(); err == nil {
		handler.Edges = edges
		go b.PublishHeartbeats(watchCtx, func() bus.Heartbeat {
			return bus.Heartbeat{ID: cfg.EdgeID, POP: cfg.POP, HTTP: dialable(edgeL.Addr()), Revision: e.Revision(),
				Invalidation: e.InvalidationSeq(), Sent: time.Now()}
		})
	}
	api := &http.Server{Handler: apiHandler(handler, creds, log), ReadHeaderTimeout: 10 * time.Second}
	go api.Serve(apiL)
	defer api.Close()

	dnsAddr, err := startRouter(watchCtx, b, RouterConfig{ID: cfg.EdgeID, DNSAddr: cfg.DNSAddr, Zone: cfg.Zone,
		GeoIP: cfg.GeoIP, TTL: 30, Answers: 3, Logger: log})
	if err != nil {
		if !cfg.DNSOptional {
			return err
		}
		// The default :5353 is also mDNS's port, taken on many desktops:
		// the quick start goes on without the router rather than fail.
		log.Warn("the DNS router did not start; give --dns ADDR to choose its address", "err", err)
	}
	if httpsL != nil {
		cfg.HTTPSAddr = httpsLine(httpsL, cfg.DataDir)
	} else if httpsOff != "" {
		cfg.HTTPSAddr = "off: " + httpsOff + " is taken (give --https ADDR)"
	}
	printBanner(out, cfg, edgeL.Addr(), apiL.Addr(), dnsAddr, credPath, quick)
	stopHTTPS := serveHTTPS(ctx, e, httpsL, httpsPC, tc, cfg.Grace, log)
	err = e.Serve(ctx, edgeL, cfg.Grace)
	stopHTTPS()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	api.Shutdown(sctx)
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// distributionDocs picks the distribution documents out of a snapshot.
func distributionDocs(s bus.Snapshot) map[string][]byte {
	docs := make(map[string][]byte, len(s.Entries))
	for k, e := range s.Entries {
		if strings.HasPrefix(k, "dist.") {
			docs[k] = e.Value
		}
	}
	return docs
}

func printBanner(out io.Writer, cfg Config, edgeAddr, apiAddr, dnsAddr net.Addr, credPath string, quick *control.Stored) {
	edgeURL := "http://" + dialable(edgeAddr)
	fmt.Fprintf(out, "Pharos is up.\n")
	fmt.Fprintf(out, "  edge   %s\n", edgeURL)
	fmt.Fprintf(out, "  api    http://%s\n", dialable(apiAddr))
	if dnsAddr != nil {
		fmt.Fprintf(out, "  dns    %s (udp and tcp, zone %s)\n", dialable(dnsAddr), cfg.Zone)
	} else {
		fmt.Fprintf(out, "  dns    off: %s is taken (give --dns ADDR for the DNS router)\n", cfg.DNSAddr)
	}
	if cfg.HTTPSAddr != "" {
		fmt.Fprintf(out, "  https  %s\n", cfg.HTTPSAddr)
	}
	fmt.Fprintf(out, "  data   %s\n", cfg.DataDir)
	if credPath != "" {
		fmt.Fprintf(out, "  credentials in %s\n", credPath)
	} else {
		fmt.Fprintf(out, "  credentials from PHAROS_ACCESS_KEY_ID / PHAROS_SECRET_ACCESS_KEY\n")
	}
	if quick != nil {
		d := quick.Distribution
		fmt.Fprintf(out, "  origin %s (distribution %s, %s, answers every host)\n", cfg.Origin, d.ID, d.DomainName)
		fmt.Fprintf(out, "\nTry:\n  curl -i %s/\n", edgeURL)
	} else {
		fmt.Fprintf(out, "\nNo --origin given: create a distribution through the API at http://%s/v1/distributions\n", dialable(apiAddr))
	}
}

// dialable turns a listen address into one a client can use: an
// unspecified host (":8080", "0.0.0.0") becomes 127.0.0.1.
func dialable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
