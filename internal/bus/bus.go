// Package bus connects Pharos to its engine, NATS JetStream: it runs the embedded NATS server
// (or connects to an external cluster) and keeps the configuration documents in a JetStream
// key-value bucket that every role reads and watches.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ConfigBucket is the JetStream key-value bucket that holds the configuration documents.
const ConfigBucket = "pharos-config"

// configHistory is how many revisions of each key the bucket keeps; a few are enough to look
// back at a bad change, and the bucket stays small.
const configHistory = 5

// drainTimeout bounds how long Close waits for in-flight messages to flush, so that shutting
// down never hangs on an engine that went away.
const drainTimeout = 10 * time.Second

// Options says how to reach the engine.
type Options struct {
	DataDir string // JetStream storage (embedded server): DataDir/nats
	Listen  string // embedded server client listen "host:port" ("" = in-process only, no TCP listener)
	URLs    string // external NATS (comma separated); when set, nothing is embedded
	Name    string // connection name, for logs
	Logger  *slog.Logger
	// Replicas is how many servers of a NATS cluster keep each bucket and
	// stream this Start creates (1 when unset). Existing ones are kept as
	// they are.
	Replicas int
}

// Bus is a connection to the engine, and the embedded server when it runs one.
type Bus struct {
	log    *slog.Logger
	srv    *server.Server // nil when connected to an external engine
	urls   string         // the external engine's URLs, when srv is nil
	nc     *nats.Conn
	closed chan struct{} // closed by the connection's closed handler
	reconn *signal       // fired by the connection's reconnect handler
	js     jetstream.JetStream
	config *ConfigStore
	// invalRecords keeps invalidation records apart from the configuration,
	// so that an invalidation does not make every edge recompile.
	invalRecords *ConfigStore

	closeOnce sync.Once
	closeErr  error
}

// Start starts the embedded NATS server with JetStream (unless o.URLs is set), connects to it
// (in-process when embedded), and makes sure the configuration bucket exists. It returns when
// the engine is ready, or an error that says which step failed.
func Start(ctx context.Context, o Options) (*Bus, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bus{log: log, closed: make(chan struct{}), reconn: newSignal()}

	connOpts := []nats.Option{
		nats.Name(o.Name),
		// A role must outlive any outage of the engine, so it never gives up reconnecting.
		nats.MaxReconnects(-1),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("bus: disconnected from nats", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("bus: reconnected to nats", "url", nc.ConnectedUrlRedacted())
			b.reconn.fire()
		}),
	}

	var (
		nc  *nats.Conn
		err error
	)
	if o.URLs != "" {
		b.urls = o.URLs
		nc, err = nats.Connect(o.URLs, connOpts...)
		if err != nil {
			return nil, fmt.Errorf("bus: connect to nats %s: %w", redactURLs(o.URLs), err)
		}
	} else {
		b.srv, err = startServer(ctx, o, log)
		if err != nil {
			return nil, err
		}
		nc, err = nats.Connect("", append(connOpts, nats.InProcessServer(b.srv))...)
		if err != nil {
			b.shutdownServer()
			return nil, fmt.Errorf("bus: connect to embedded nats: %w", err)
		}
	}
	b.nc = nc

	b.js, err = jetstream.New(nc)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("bus: start jetstream: %w", err)
	}
	replicas := max(o.Replicas, 1)
	kv, err := ensureNamedBucket(ctx, b.js, ConfigBucket, "Pharos configuration documents", configHistory, replicas)
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	if err := ensureInvalidationStream(ctx, b.js, replicas); err != nil {
		_ = b.Close()
		return nil, err
	}
	ikv, err := ensureNamedBucket(ctx, b.js, InvalidationBucket, "Pharos invalidation records", 1, replicas)
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	b.invalRecords = &ConfigStore{kv: ikv, nc: nc, log: log, reconnected: b.reconn}
	b.config = &ConfigStore{kv: kv, nc: nc, log: log, reconnected: b.reconn}
	return b, nil
}

// ensureNamedBucket creates a bucket, or binds to it when it already
// exists. An existing bucket is used as it is, so that an operator may run
// it with other settings on a cluster.
// InvalidationBucket keeps invalidation records (paths, caller reference,
// stream sequence) for the API; the stream carries them to edges.
const InvalidationBucket = "pharos-invalidations"

func ensureNamedBucket(ctx context.Context, js jetstream.JetStream, name, desc string, history uint8, replicas int) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	err := whileClusterSettles(ctx, func(ctx context.Context) error {
		var err error
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      name,
			Description: desc,
			History:     history,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, name)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bus: ensure kv bucket %q: %w", name, err)
	}
	return kv, nil
}

// InvalidationRecords is the store of invalidation records.
func (b *Bus) InvalidationRecords() *ConfigStore { return b.invalRecords }

// Close drains the connection, so that messages already published reach the engine, and shuts
// the embedded server down cleanly, so that its storage is consistent for the next Start.
// Calling Close again returns the first call's result.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() {
		var errs []error
		if b.nc != nil {
			switch err := b.nc.Drain(); {
			case err == nil, errors.Is(err, nats.ErrConnectionClosed):
			case errors.Is(err, nats.ErrConnectionReconnecting):
				// The engine is away, so there is nothing to drain into: what is still
				// buffered is lost either way, and waiting for the engine could take forever.
				b.nc.Close()
			default:
				errs = append(errs, fmt.Errorf("bus: drain connection: %w", err))
				b.nc.Close()
			}
			select {
			case <-b.closed:
			case <-time.After(drainTimeout):
				errs = append(errs, fmt.Errorf("bus: drain connection: not done after %s", drainTimeout))
				b.nc.Close()
			}
		}
		b.shutdownServer()
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

func (b *Bus) shutdownServer() {
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}

// ClientURL says where edges can reach the engine: the embedded server's client URL, or ""
// when it runs in-process only. When connected to an external engine it returns the URLs
// that Start was given, since edges reach the same engine there.
func (b *Bus) ClientURL() string {
	if b.srv == nil {
		return b.urls
	}
	return serverURL(b.srv)
}

// Conn returns the NATS connection, for streams and subjects beyond the configuration store.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// JetStream returns the JetStream context over Conn.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// Config returns the configuration store.
func (b *Bus) Config() *ConfigStore { return b.config }

// redactURLs hides the passwords in a comma-separated list of NATS URLs, for error messages.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

// signal wakes every waiter each time it fires.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

// wait returns a channel that is closed at the next fire.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}
