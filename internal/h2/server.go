package h2

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// Server serves HTTP/2 on connections handed to ServeConn (typically TLS
// connections whose ALPN chose h2). The zero value of every setting takes
// the default named beside it.
type Server struct {
	// Handler answers every request Fast does not.
	Handler http.Handler
	// Fast, when set, is offered every request without a body before a
	// handler goroutine is started (fast.go).
	Fast FastFunc

	MaxConcurrentStreams uint32        // 250
	MaxHeaderListSize    uint32        // 64 KiB: larger request headers get 431
	IdleTimeout          time.Duration // 2 minutes without an open stream
	// ReadHeaderTimeout bounds the arrival of a frame once its first byte
	// is in (a header block, a control frame): 10 s.
	ReadHeaderTimeout time.Duration
	// ReadBodyTimeout bounds the arrival of one DATA frame: 5 minutes.
	ReadBodyTimeout time.Duration
	// WriteTimeout bounds one write to the connection: 1 minute.
	WriteTimeout time.Duration
	Logger       *slog.Logger // handler panics; nil: slog.Default()

	mu           sync.Mutex
	conns        map[*conn]struct{}
	shuttingDown bool
	wg           sync.WaitGroup // one per ServeConn
}

const (
	defaultMaxStreams    = 250
	defaultMaxHeaderList = 64 << 10
	// Receive windows: what a peer may send ahead of the handlers reading
	// it, per stream and in all. Uploads are rare at an edge; these bound
	// what one connection can make the server hold.
	streamRecvWindow = 256 << 10
	connRecvWindow   = 1 << 20
	// readFrameSize is the largest frame accepted (SETTINGS_MAX_FRAME_SIZE).
	readFrameSize = 16 << 10
	// goAwayLinger is how long an idle connection stays after a graceful
	// GOAWAY, so the peer reads it before the close.
	goAwayLinger = 500 * time.Millisecond
)

func (s *Server) maxStreams() uint32 {
	if s.MaxConcurrentStreams == 0 {
		return defaultMaxStreams
	}
	return s.MaxConcurrentStreams
}

func (s *Server) maxHeaderList() uint32 {
	if s.MaxHeaderListSize == 0 {
		return defaultMaxHeaderList
	}
	return s.MaxHeaderListSize
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (s *Server) idleTimeout() time.Duration   { return orDefault(s.IdleTimeout, 2*time.Minute) }
func (s *Server) headerTimeout() time.Duration { return orDefault(s.ReadHeaderTimeout, 10*time.Second) }
func (s *Server) bodyTimeout() time.Duration   { return orDefault(s.ReadBodyTimeout, 5*time.Minute) }
func (s *Server) writeTimeout() time.Duration  { return orDefault(s.WriteTimeout, time.Minute) }

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// ServeConn serves HTTP/2 on nc until the connection ends, and returns
// once its handlers have returned too. nc's first bytes must be the
// client's connection preface. A server shutting down closes nc at once.
func (s *Server) ServeConn(nc net.Conn) {
	c := newConn(s, nc)
	s.mu.Lock()
	if s.shuttingDown {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if s.conns == nil {
		s.conns = map[*conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.wg.Done()
	}()
	c.serve()
}

// Shutdown sends every connection a GOAWAY, lets open streams finish and
// waits for the connections to end; when ctx ends first it closes them
// and returns ctx's error. Connections served later are closed at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shuttingDown = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		go c.goAway(http2.ErrCodeNo) // its write may wait on a slow peer
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close closes every connection at once; their handlers' contexts are
// cancelled.
func (s *Server) Close() {
	s.mu.Lock()
	s.shuttingDown = true
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
}
