package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
)

// tlsAcceptor completes TLS handshakes itself, so that HTTP/1.1
// connections can start on the fast path as plain ones do: a connection
// whose ALPN chose h2, or whose distribution offers HTTP/3 (the fast path
// does not add Alt-Svc), goes to net/http at once; the rest to the fast
// path, which hands anything but a plain hit to net/http as over plain
// HTTP. Without the fast path every connection goes to net/http.
type tlsAcceptor struct {
	ts     *tlsServing
	cfg    *tls.Config
	direct *handoffListener // handshaken connections for net/http
	fast   *handoffListener // handshaken HTTP/1.1 connections for the fast path; nil without it
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
	if a.fast == nil || st.NegotiatedProtocol == "h2" || a.offersH3(st.ServerName) {
		a.direct.give(tc)
		return
	}
	a.fast.give(tc)
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

func tlsConnContext(ctx context.Context, c net.Conn) context.Context {
	if pc, ok := c.(*prefixConn); ok {
		if tc, ok := pc.Conn.(*tls.Conn); ok {
			st := tc.ConnectionState()
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
