// Command pharos-origin serves the Pharos test origin
// (internal/testorigin): an HTTP server whose responses are chosen by query
// parameters and which counts the requests it sees. End-to-end tests and
// benchmarks put it behind the CDN edge.
//
//	pharos-origin --listen 127.0.0.1:3000
//
// With --listen 127.0.0.1:0 the kernel picks a port. Once listening, the
// command prints one line to stdout,
//
//	pharos-origin listening on http://ADDR
//
// and serves until SIGTERM or SIGINT, when it shuts down gracefully: it
// stops accepting connections and waits up to --shutdown-grace (default 5s)
// for requests in flight before closing them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pharos-cdn/pharos/internal/testorigin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "pharos-origin:", err)
		os.Exit(1)
	}
}

// run serves the test origin until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pharos-origin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:3000", "address to listen on (host:port; port 0 picks a free one)")
	grace := fs.Duration("shutdown-grace", 5*time.Second,
		"how long a graceful shutdown waits for requests in flight (hang= ones never finish) before closing them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           testorigin.New(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No ReadTimeout or WriteTimeout: drip=, hang= and huge size=
		// bodies must be able to take as long as they take.
		ErrorLog: log.New(stderr, "pharos-origin: ", log.LstdFlags),
	}
	fmt.Fprintf(stdout, "pharos-origin listening on http://%s\n", ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
