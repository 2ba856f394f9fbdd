package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pharos-cdn/pharos/internal/node"
)

func newEdgeCommand() *cobra.Command {
	cfg := node.EdgeConfig{}
	var cacheMem, cacheDisk byteSize = 256 << 20, 0
	var rf roleFlags
	var publicAddr string
	cmd := &cobra.Command{
		Use:     "edge",
		Short:   "Run an edge server that follows the engine's configuration",
		Example: `  pharos edge --nats nats://127.0.0.1:4222 --id edge-1 --pop ams --http :8080 --data ./edge-1 --cache-disk 10GiB`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rf.run(cmd, func(ctx context.Context, log *slog.Logger) error {
				cfg.Logger = log
				cfg.CacheMem, cfg.CacheDisk = int64(cacheMem), int64(cacheDisk)
				node.ApplyMemoryLimit(cfg.CacheMem, log)
				if cfg.ID == "" {
					cfg.ID, _ = os.Hostname()
				}
				if err := placement(cmd, &cfg.Lat, &cfg.Lon, &cfg.Located, publicAddr, &cfg.PublicAddrs); err != nil {
					return err
				}
				return node.RunEdge(ctx, cfg, cmd.OutOrStdout())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.NATS, "nats", "", "the engine's URLs (comma separated), as pharos control prints them")
	f.StringVar(&cfg.ID, "id", "", "edge id, unique in the CDN, shown in Via (default: the host name)")
	f.StringVar(&cfg.POP, "pop", "local", "point of presence name, shown in X-Pharos-Pop")
	f.StringVar(&cfg.HTTPAddr, "http", ":8080", "HTTP listen address")
	f.StringVar(&cfg.HTTPSAddr, "https", "", "HTTPS listen address: TCP (HTTP/1.1, HTTP/2) and UDP on the same port (HTTP/3); its port is where redirect-to-https sends viewers")
	f.StringVar(&cfg.DataDir, "data", "./pharos-edge", "directory for the cache and the last applied configuration")
	f.Var(&cacheMem, "cache-mem", "memory cache size (e.g. 512MiB)")
	f.Var(&cacheDisk, "cache-disk", "disk cache size under --data/cache (e.g. 10GiB); 0 keeps the cache in memory only")
	f.DurationVar(&cfg.Grace, "shutdown-grace", 30*time.Second, "how long in-flight responses may finish on SIGTERM")
	f.BoolVar(&cfg.FastPath, "fast-path", true, "answer plain HTTP/1.1 cache hits on the edge's own fast path, and HTTP/2 with its own HTTP/2 server")
	f.BoolVar(&cfg.EventLoop, "event-loop", true, "on Linux, keep plain HTTP/1.1 connections in the edge's own epoll loops while they ask for memory hits (false: a goroutine per connection)")
	f.IntVar(&cfg.EventLoops, "event-loops", 0, "how many event loops (0: one per core but one, at least one)")
	f.Float64Var(&cfg.Lat, "lat", 0, "latitude of this edge in degrees, for request routing")
	f.Float64Var(&cfg.Lon, "lon", 0, "longitude of this edge in degrees, for request routing")
	f.StringVar(&publicAddr, "public-addr", "", "IPv4 and/or IPv6 address the router hands out for this edge, comma separated (default: the host of --http)")
	f.Float64Var(&cfg.Capacity, "capacity", 0, "requests per second this edge should take at most; the router sends more elsewhere first (0: no limit)")
	f.StringVar(&cfg.GeoIP, "geoip", "", "MaxMind-format database (GeoIP2/GeoLite2, ip-location-db) giving viewers' countries for geo restriction")
	f.StringVar(&cfg.TrustForwarded, "trust-forwarded", "", "proxies (CIDRs, comma separated) whose X-Forwarded-For names the viewer")
	registerACME(f, &cfg.ACME) // acme.go
	rf.register(cmd)
	return cmd
}
