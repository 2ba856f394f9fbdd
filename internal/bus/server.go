package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long Start waits for the embedded server to accept connections.
const readyTimeout = 10 * time.Second

// startServer starts the embedded NATS server with JetStream storing under o.DataDir/nats and
// waits until it accepts connections. It configures no routes, gateways, leaf nodes or
// monitoring, so the server never contacts anything: it only answers its own clients.
func startServer(ctx context.Context, o Options, log *slog.Logger) (*server.Server, error) {
	if o.DataDir == "" {
		return nil, errors.New("bus: start nats server: no data directory for the embedded server")
	}
	opts := &server.Options{
		ServerName:             "pharos",
		JetStream:              true,
		StoreDir:               filepath.Join(o.DataDir, "nats"),
		NoSigs:                 true, // the process owns its signals, not the server
		NoLog:                  true, // logs go through serverLogger instead
		DisableJetStreamBanner: true,
	}
	if o.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, err := splitListen(o.Listen)
		if err != nil {
			return nil, fmt.Errorf("bus: start nats server: listen address %q: %w", o.Listen, err)
		}
		opts.Host, opts.Port = host, port
	}

	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bus: start nats server: %w", err)
	}
	// The logger is always installed, even when nobody reads it, because it is how Start learns
	// why the server failed: the server reports its fatal errors only through its logger.
	sl := &serverLogger{log: log}
	srv.SetLoggerV2(sl, log.Enabled(ctx, slog.LevelDebug), false, false)
	srv.Start()

	fail := func(step string, err error) (*server.Server, error) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("bus: %s: %w", step, err)
	}
	// Start enables JetStream before it returns, so a failure there (an unusable store
	// directory, say) is known now, without waiting for readiness.
	if !srv.JetStreamEnabled() {
		return fail("start jetstream", sl.failure("jetstream is not enabled"))
	}
	deadline := time.Now().Add(readyTimeout)
	for !srv.ReadyForConnections(50 * time.Millisecond) {
		if msg := sl.fatal(); msg != "" {
			return fail("start nats server", errors.New(msg))
		}
		if err := ctx.Err(); err != nil {
			return fail("start nats server", err)
		}
		if time.Now().After(deadline) {
			return fail("start nats server", sl.failure(fmt.Sprintf("not ready for connections after %s", readyTimeout)))
		}
	}
	return srv, nil
}

// splitListen turns "host:port" into the server's host and port. Port 0 asks for a free port,
// as it does for net.Listen; the server itself would take 0 to mean its default, 4222.
func splitListen(listen string) (string, int, error) {
	host, p, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, err
	}
	if p == "" || p == "0" {
		return host, server.RANDOM_PORT, nil
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// serverURL is the client URL of a listening server, with the real port when it was chosen at
// random, and a loopback address when it listens on all interfaces: a wildcard address is
// where to listen, not where to connect.
func serverURL(srv *server.Server) string {
	addr, ok := srv.Addr().(*net.TCPAddr)
	if !ok || addr == nil {
		return ""
	}
	ip := addr.IP
	if ip.IsUnspecified() {
		if ip.To4() != nil {
			ip = net.IPv4(127, 0, 0, 1)
		} else {
			ip = net.IPv6loopback
		}
	}
	u := url.URL{Scheme: "nats", Host: net.JoinHostPort(ip.String(), strconv.Itoa(addr.Port))}
	return u.String()
}

// serverLogger sends the embedded server's logs to slog at debug level (they are the server's
// business, not the operator's) and remembers the last error, so that a failed start can say why.
type serverLogger struct {
	log *slog.Logger

	mu        sync.Mutex
	lastError string
	lastFatal string
}

func (l *serverLogger) Noticef(format string, v ...any) { l.debug(format, v...) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.debug(format, v...) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.debug(format, v...) }
func (l *serverLogger) Tracef(format string, v ...any)  { l.debug(format, v...) }

func (l *serverLogger) Errorf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	l.lastError = msg
	l.mu.Unlock()
	l.log.Debug(msg, "component", "nats-server", "severity", "error")
}

// Fatalf records the message instead of exiting the process, as the server's own logger would:
// Start turns it into an error.
func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.mu.Lock()
	l.lastFatal = msg
	l.mu.Unlock()
	l.log.Error(msg, "component", "nats-server")
}

func (l *serverLogger) debug(format string, v ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug(fmt.Sprintf(format, v...), "component", "nats-server")
	}
}

func (l *serverLogger) fatal() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastFatal
}

// failure describes a failed start with what the server last complained about, if anything.
func (l *serverLogger) failure(what string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.lastFatal != "":
		return fmt.Errorf("%s: %s", what, l.lastFatal)
	case l.lastError != "":
		return fmt.Errorf("%s: %s", what, l.lastError)
	}
	return errors.New(what)
}
