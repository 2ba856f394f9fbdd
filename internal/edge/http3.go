package edge

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// h3Server serves HTTP/3 over QUIC on the HTTPS port number, over UDP.
type h3Server struct {
	srv *http3.Server
	pc  net.PacketConn
}

func (ts *tlsServing) newH3(pc net.PacketConn) *h3Server {
	srv := &http3.Server{
		Handler: http.HandlerFunc(ts.serveH3),
		TLSConfig: &tls.Config{GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			return ts.config(hello, true)
		}},
		QUICConfig:     &quic.Config{MaxIdleTimeout: 2 * time.Minute},
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: maxRequestHead,
	}
	return &h3Server{srv: srv, pc: pc}
}

func (h *h3Server) serve() error {
	err := h.srv.Serve(h.pc)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, quic.ErrServerClosed) {
		return nil
	}
	return err
}

// serveH3 serves an HTTP/3 request. A request whose Host belongs to a
// distribution without HTTP/3 (a connection opened for one name and
// reused for another) is refused with 421, which tells the client to
// retry on a new connection, where it will use TCP; the rest is served as
// over any other protocol, with Alt-Svc kept fresh.
func (ts *tlsServing) serveH3(w http.ResponseWriter, r *http.Request) {
	d := ts.s.table.Load().Lookup(hostOnly(r.Host))
	if d != nil && !d.Model.OffersHTTP3() {
		x := &Exchange{W: w, R: r, Now: ts.s.now(), HTTPS: true}
		x.ReqID = ts.s.idPrefix + strconv.FormatUint(ts.s.reqSeq.Add(1), 36)
		ts.s.edgeError(x, http.StatusMisdirectedRequest, "421 Misdirected Request: HTTP/3 is not enabled for this distribution")
		return
	}
	if ts.altSvc != "" && d != nil {
		w.Header().Set("Alt-Svc", ts.altSvc)
	}
	if r.ContentLength < 0 && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		bodyless(r)
	}
	ts.s.ServeHTTP(&h3Writer{ResponseWriter: w}, r)
}

// bodyless marks a GET or HEAD whose stream ends with its HEADERS frame as
// having no body. HTTP/3 sends no length with such a request, and the edge
// refuses a GET or HEAD that might carry one; the stream's end (FIN),
// which clients send with the HEADERS, says there is none. A request that
// does send DATA keeps its unknown length and is refused as on HTTP/1.1.
func bodyless(r *http.Request) {
	var b [1]byte
	if n, err := r.Body.Read(b[:]); n == 0 && errors.Is(err, io.EOF) {
		r.ContentLength, r.Body = 0, http.NoBody
	}
}

// connectionFields are HTTP/1.1's connection-specific fields, which an
// HTTP/3 message must not carry (RFC 9114 §4.2: clients treat it as
// malformed). A stored response or a stage may hold them; net/http drops
// them for HTTP/2 itself, quic-go does not.
var connectionFields = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade"}

// h3Writer removes connection-specific fields before the head is sent.
type h3Writer struct {
	http.ResponseWriter
	wrote bool
}

func (w *h3Writer) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.wrote = true
		h := w.ResponseWriter.Header()
		for _, k := range connectionFields {
			delete(h, k)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *h3Writer) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes flushes on, so streamed bodies reach the viewer as they arrive.
func (w *h3Writer) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach quic-go's writer.
func (w *h3Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
