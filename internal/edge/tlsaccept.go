package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pharos-cdn/pharos/internal/h2"
)

// tlsAcceptor completes TLS handshakes itself, so that HTTP/1.1
// connections can start on the fast path as plain ones do: a connection
// whose ALPN chose h2 goes to the edge's HTTP/2 server (fasth2.go); one
// whose distribution offers HTTP/3 (the fast path does not add Alt-Svc)
// to net/http at once; the rest to the fast path, which hands anything but
// a plain hit to net/http as over plain HTTP. Without the fast path every
// connection goes to net/http, HTTP/2 included.
type tlsAcceptor struct {
	ts     *tlsServing
	cfg    *tls.Config
	direct *handoffListener // handshaken connections for net/http
	fast   *handoffListener // handshaken HTTP/1.1 connections for the fast path; nil without it
	h2     *h2.Server       // HTTP/2 connections; nil without the fast path
}

// tlsHandshakeTimeout bounds a handshake, as net/http's ReadHeaderTimeout
// would have.
const tlsHandshakeTimeout = 10 * time.Second

// accept takes connections from l until it is closed, each handshake on
// its own goroutine so a slow client holds up no other.
func (a *tlsAcceptor) accept(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond) // e.g. out of file descriptors
				continue
			}
			return err
		}
		go a.handshake(c)
	}
}

func (a *tlsAcceptor) handshake(c net.Conn) {
	tc := tls.Server(c, a.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		c.Close()
		return
	}
	st := tc.ConnectionState()
	if a.h2 != nil && st.NegotiatedProtocol == "h2" {
		a.h2.ServeConn(tc) // this goroutine serves the connection to its end
		return
	}
	if a.fast == nil || st.NegotiatedProtocol == "h2" || a.offersH3(st.ServerName) {
		a.direct.give(tc)
		return
	}
	a.fast.give(&tlsFastConn{Conn: tc})
}

func (a *tlsAcceptor) offersH3(name string) bool {
	if a.ts.altSvc == "" {
		return false
	}
	d := a.ts.s.table.Load().Lookup(name)
	return d != nil && d.Model.OffersHTTP3()
}

// tlsStateKey holds, in a connection's context, the TLS state of a
// connection the fast path handed to net/http: net/http sees only the
// wrapper and would leave Request.TLS nil.
type tlsStateKey struct{}

// tlsConnContext runs as net/http takes a connection: for one the fast path
// hands over, it ends the fast path's write holding and keeps the TLS state.
func tlsConnContext(ctx context.Context, c net.Conn) context.Context {
	if pc, ok := c.(*prefixConn); ok {
		if fc, ok := pc.Conn.(*tlsFastConn); ok {
			fc.handOff()
			st := fc.ConnectionState()
			return context.WithValue(ctx, tlsStateKey{}, &st)
		}
	}
	return ctx
}

// restoreTLS gives a handed-off request its connection's TLS state back,
// so every stage sees HTTPS.
func restoreTLS(r *http.Request) {
	if r.TLS == nil {
		if st, ok := r.Context().Value(tlsStateKey{}).(*tls.ConnectionState); ok {
			r.TLS = st
		}
	}
}

// tlsFastConn is a TLS connection on the fast path. A hit is written as a
// head and then its body (writev on plain TCP); over TLS each Write is a
// record and a system call of its own, so a small write is held back and
// sent with the next one, in one record. Anything held is sent before the
// connection is read from, closed, half-closed or handed to net/http
// (handOff), so an answer never waits on the viewer.
type tlsFastConn struct {
	*tls.Conn
	mu      sync.Mutex
	pending []byte
	direct  bool // handed off: writes go straight through
}

// holdMax is the largest write held back (a hit's head); combined writes
// stay within one TLS record.
const (
	holdMax    = 4 << 10
	maxPayload = 16 << 10
)

func (c *tlsFastConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.direct {
		return c.Conn.Write(p)
	}
	if len(c.pending) == 0 {
		if len(p) <= holdMax {
			c.pending = append(c.pending, p...)
			return len(p), nil
		}
		return c.Conn.Write(p)
	}
	if len(c.pending)+len(p) <= maxPayload {
		c.pending = append(c.pending, p...)
		err := c.flushLocked()
		return len(p), err
	}
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *tlsFastConn) flushLocked() error {
	if len(c.pending) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.pending)
	if cap(c.pending) > holdMax {
		c.pending = nil // a combined body: do not keep its buffer
	} else {
		c.pending = c.pending[:0]
	}
	return err
}

func (c *tlsFastConn) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

func (c *tlsFastConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *tlsFastConn) Close() error {
	c.flush()
	return c.Conn.Close()
}

func (c *tlsFastConn) CloseWrite() error {
	if err := c.flush(); err != nil {
		return err
	}
	return c.Conn.CloseWrite()
}

// handOff sends what is held and makes every later write go straight
// through: net/http reads in the background while it writes.
func (c *tlsFastConn) handOff() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
	c.direct = true
}
