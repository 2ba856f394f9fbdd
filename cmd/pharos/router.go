package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pharos-cdn/pharos/internal/node"
)

func newRouterCommand() *cobra.Command {
	cfg := node.RouterConfig{}
	var rf roleFlags
	var nsAddr string
	cmd := &cobra.Command{
		Use:   "router",
		Short: "Run a DNS router that answers each viewer with the best healthy edges",
		Example: `  pharos router --nats nats://127.0.0.1:4222 --dns 127.0.0.1:5353 --zone cdn.example.com \
      --geoip GeoLite2-City.mmdb --czf coverage.json --http 127.0.0.1:8053`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rf.run(cmd, func(ctx context.Context, log *slog.Logger) error {
				cfg.Logger = log
				if cfg.ID == "" {
					cfg.ID, _ = os.Hostname()
				}
				if cfg.TTL < 0 || cfg.TTL > 86400 {
					return fmt.Errorf("--ttl %d: must be between 0 and 86400 seconds", cfg.TTL)
				}
				if cfg.Answers < 1 {
					return fmt.Errorf("--answers %d: must be at least 1", cfg.Answers)
				}
				for _, s := range strings.Split(nsAddr, ",") {
					if s = strings.TrimSpace(s); s == "" {
						continue
					}
					ip, err := netip.ParseAddr(s)
					if err != nil {
						return fmt.Errorf("--public-addr %q: not an IP address", s)
					}
					cfg.NSAddrs = append(cfg.NSAddrs, ip)
				}
				return node.RunRouter(ctx, cfg, cmd.OutOrStdout())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.NATS, "nats", "", "the engine's URLs (comma separated), as pharos control prints them")
	f.StringVar(&cfg.ID, "id", "", "router id, in metrics and pharos edges (default: the host name)")
	f.StringVar(&cfg.DNSAddr, "dns", ":5353", "DNS listen address, UDP and TCP")
	f.StringVar(&cfg.Zone, "zone", "pharos.test", "the CDN zone this router is authoritative for")
	f.StringVar(&cfg.GeoIP, "geoip", "", "MaxMind-format database (GeoIP2/GeoLite2 City or Country) placing clients")
	f.StringVar(&cfg.CZF, "czf", "", "coverage zone file (Traffic Router JSON: network → POP), overriding geography")
	f.StringVar(&cfg.HTTPAddr, "http", "", "HTTP address for the redirect mode and /metrics (off when empty)")
	f.IntVar(&cfg.TTL, "ttl", 30, "TTL of answers in seconds")
	f.IntVar(&cfg.Answers, "answers", 3, "how many edge addresses one answer lists, best first")
	f.StringVar(&nsAddr, "public-addr", "", "this router's public addresses, for the zone's NS glue (default: the host of --dns)")
	rf.register(cmd)
	return cmd
}
