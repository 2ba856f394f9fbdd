package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// roleFlags are the flags every long-running role shares.
type roleFlags struct {
	logLevel  string
	pprofAddr string
}

func (r *roleFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	cmd.Flags().StringVar(&r.pprofAddr, "pprof", "", "serve Go's profiler (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060")
}

// start reads the environment into unset flags, makes the logger, starts
// the profiler if asked, and returns a context ended by SIGINT or SIGTERM.
func (r *roleFlags) start(cmd *cobra.Command) (context.Context, context.CancelFunc, *slog.Logger, error) {
	if err := bindEnv(cmd); err != nil {
		return nil, nil, nil, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(r.logLevel)); err != nil {
		return nil, nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if r.pprofAddr != "" {
		if err := startPprof(r.pprofAddr, log); err != nil {
			return nil, nil, nil, err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	return ctx, stop, log, nil
}

// run starts the role (see start) and runs body until it returns.
func (r *roleFlags) run(cmd *cobra.Command, body func(ctx context.Context, log *slog.Logger) error) error {
	ctx, stop, log, err := r.start(cmd)
	if err != nil {
		return err
	}
	defer stop()
	return body(ctx, log)
}
