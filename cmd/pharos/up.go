package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pharos-cdn/pharos/internal/node"
)

func newUpCommand() *cobra.Command {
	cfg := node.Config{}
	var cacheMem, cacheDisk byteSize = 256 << 20, 0
	var rf roleFlags
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run a whole CDN on this machine: engine, API and edge in one process",
		Example: `  pharos up --origin http://127.0.0.1:3000
  curl -i http://127.0.0.1:8080/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rf.run(cmd, func(ctx context.Context, log *slog.Logger) error {
				cfg.Logger = log
				cfg.CacheMem, cfg.CacheDisk = int64(cacheMem), int64(cacheDisk)
				node.ApplyMemoryLimit(cfg.CacheMem, log)
				if cfg.EdgeID == "" {
					cfg.EdgeID, _ = os.Hostname()
				}
				cfg.DNSOptional = !cmd.Flags().Changed("dns")
				cfg.HTTPSOptional = !cmd.Flags().Changed("https")
				return node.Run(ctx, cfg, cmd.OutOrStdout())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", "./pharos-data", "directory for the engine's storage, credentials and cache")
	f.StringVar(&cfg.HTTPAddr, "http", ":8080", "edge HTTP listen address")
	f.StringVar(&cfg.HTTPSAddr, "https", ":8443", "edge HTTPS listen address: TCP (HTTP/1.1, HTTP/2) and UDP on the same port (HTTP/3); \"\" turns HTTPS off")
	f.StringVar(&cfg.APIAddr, "api", "127.0.0.1:9000", "management API listen address")
	f.StringVar(&cfg.DNSAddr, "dns", ":5353", "DNS router listen address, UDP and TCP")
	f.StringVar(&cfg.Zone, "zone", "pharos.test", "DNS zone under which distribution domain names are made")
	f.StringVar(&cfg.Origin, "origin", "", "create or update a quick-start distribution in front of this origin URL, answering every host")
	f.Var(&cacheMem, "cache-mem", "memory cache size (e.g. 512MiB)")
	f.Var(&cacheDisk, "cache-disk", "disk cache size under --data/cache (e.g. 10GiB); 0 keeps the cache in memory only")
	f.StringVar(&cfg.NATS, "nats", "", "use an external NATS cluster (comma-separated URLs) instead of the embedded engine")
	f.StringVar(&cfg.EdgeID, "id", "", "edge id, shown in Via (default: the host name)")
	f.StringVar(&cfg.POP, "pop", "local", "point of presence name, shown in X-Pharos-Pop")
	f.DurationVar(&cfg.Grace, "shutdown-grace", 30*time.Second, "how long in-flight responses may finish on SIGTERM")
	f.BoolVar(&cfg.FastPath, "fast-path", true, "answer plain HTTP/1.1 cache hits on the edge's own fast path, and HTTP/2 with its own HTTP/2 server (false: everything through net/http)")
	f.BoolVar(&cfg.EventLoop, "event-loop", true, "on Linux, keep plain HTTP/1.1 connections in the edge's own epoll loops while they ask for memory hits (false: a goroutine per connection)")
	f.IntVar(&cfg.EventLoops, "event-loops", 0, "how many event loops (0: one per core but one, at least one)")
	f.StringVar(&cfg.GeoIP, "geoip", "", "MaxMind-format database (GeoIP2/GeoLite2 City or Country) placing DNS clients and viewers")
	f.StringVar(&cfg.TrustForwarded, "trust-forwarded", "", "proxies (CIDRs, comma separated) whose X-Forwarded-For names the viewer")
	registerACME(f, &cfg.ACME) // acme.go
	rf.register(cmd)
	return cmd
}
