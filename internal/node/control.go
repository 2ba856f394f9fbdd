package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/control"
)

// ControlConfig is what `pharos control` was asked for.
type ControlConfig struct {
	DataDir    string
	APIAddr    string
	Zone       string
	NATSListen string // embedded engine's client address for edges
	NATS       string // or an external engine
	Replicas   int    // copies of the engine's buckets and stream on a cluster
	Logger     *slog.Logger
}

// RunControl runs the control plane: the engine (embedded, listening for
// edges on NATSListen, or an external one), the API, and the tracking of
// edges' heartbeats that makes a change Deployed once every live edge has
// applied it.
func RunControl(ctx context.Context, cfg ControlConfig, out io.Writer) error {
	log := cfg.Logger
	if (cfg.NATSListen == "") == (cfg.NATS == "") {
		return fmt.Errorf("give --nats-listen ADDR (embedded engine) or --nats URLS (external), not both")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	apiL, err := net.Listen("tcp", cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("--api %s: %w", cfg.APIAddr, err)
	}
	defer apiL.Close()
	b, err := bus.Start(ctx, bus.Options{DataDir: cfg.DataDir, Listen: cfg.NATSListen, URLs: cfg.NATS, Name: "pharos-control", Logger: log, Replicas: cfg.Replicas})
	if err != nil {
		return err
	}
	defer b.Close()
	creds, credPath, err := control.LoadCredentials(cfg.DataDir)
	if err != nil {
		return err
	}
	if _, err := ensureRoot(ctx, b.Config(), cfg.DataDir, absDir(cfg.DataDir)); err != nil { // tls.go
		return err
	}
	edges, err := b.TrackEdges()
	if err != nil {
		return err
	}
	api := control.NewAPI(control.NewService(b.Config(), cfg.Zone), creds, log)
	api.Edges = edges
	api.Invalidations = control.NewInvalidations(api.Service(), b)
	api.Invalidations.Applied = edges.MinInvalidation
	api.Applied = func() uint64 {
		if rev, ok := edges.MinApplied(); ok {
			return rev
		}
		return math.MaxUint64 // no live edge holds a change back
	}
	srv := &http.Server{Handler: apiHandler(api, creds, log), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(apiL)
	fmt.Fprintf(out, "Pharos control plane is up.\n  api    http://%s\n  engine %s\n  data   %s\n",
		dialable(apiL.Addr()), b.ClientURL(), cfg.DataDir)
	if credPath != "" {
		fmt.Fprintf(out, "  credentials in %s\n", credPath)
	}
	fmt.Fprintf(out, "  ca     %s (the local CA root every edge's HTTPS chains to)\n", certs.RootPath(cfg.DataDir))
	fmt.Fprintf(out, "\nStart edges with:\n  pharos edge --nats %s --id edge-1 --pop local --http 127.0.0.1:8080 --data ./edge-1\n", b.ClientURL())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
