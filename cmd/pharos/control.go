package main

import (
	"context"
	"github.com/spf13/cobra"
	"log/slog"

	"github.com/pharos-cdn/pharos/internal/node"
)

func newControlCommand() *cobra.Command {
	cfg := node.ControlConfig{}
	var rf roleFlags
	cmd := &cobra.Command{
		Use:   "control",
		Short: "Run the control plane: the engine, the API and edge tracking",
		Example: `  pharos control --data ./control --api 127.0.0.1:9000 --nats-listen 127.0.0.1:4222
  pharos control --data ./control --nats nats://a:4222,nats://b:4222`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return rf.run(cmd, func(ctx context.Context, log *slog.Logger) error {
				cfg.Logger = log
				return node.RunControl(ctx, cfg, cmd.OutOrStdout())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data", "./pharos-data", "directory for the engine's storage and the credentials")
	f.StringVar(&cfg.APIAddr, "api", "127.0.0.1:9000", "management API listen address")
	f.StringVar(&cfg.Zone, "zone", "pharos.test", "DNS zone under which distribution domain names are made")
	f.StringVar(&cfg.NATSListen, "nats-listen", "", "run the embedded engine and listen for edges here (host:port)")
	f.StringVar(&cfg.NATS, "nats", "", "use an external NATS cluster (comma-separated URLs) instead")
	f.IntVar(&cfg.Replicas, "nats-replicas", 1, "copies of Pharos's buckets and stream on a NATS cluster (3 to survive losing a server)")
	rf.register(cmd)
	return cmd
}
