package h2

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// These tests serve real TLS connections on 127.0.0.1 and talk to them
// with x/net's HTTP/2 client, or with a raw framer when a test must say
// exactly what goes on the wire.

// testServer is a Server on a loopback TLS listener.
type testServer struct {
	*Server
	addr     string
	roots    *x509.CertPool
	accepted atomic.Int64
}

// newCert makes a self-signed ECDSA certificate for 127.0.0.1.
func newCert(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "h2 test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// serve starts s on a loopback TLS listener offering h2; the test's end
// shuts it down and checks that Shutdown returned.
func serve(t testing.TB, s *Server) *testServer {
	t.Helper()
	if s.Logger == nil {
		s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cert, pool := newCert(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, addr: ln.Addr().String(), roots: pool}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ts.accepted.Add(1)
			go func() {
				tc := c.(*tls.Conn)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if tc.HandshakeContext(ctx) != nil {
					tc.Close()
					return
				}
				s.ServeConn(tc)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return ts
}

// client returns an HTTP/2 client for the server (one connection, reused).
func (ts *testServer) client() (*http.Client, *http2.Transport) {
	tr := &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.roots, ServerName: "localhost"}}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}, tr
}

func (ts *testServer) url(path string) string { return "https://" + ts.addr + path }

// rawConn is a client that writes and reads frames itself.
type rawConn struct {
	t    testing.TB
	c    *tls.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer
}

// dialRaw connects, sends the preface and the given settings, and reads
// the server's SETTINGS (answering it).
func (ts *testServer) dialRaw(t testing.TB, settings ...http2.Setting) *rawConn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ts.addr,
		&tls.Config{RootCAs: ts.roots, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &rawConn{t: t, c: c, fr: http2.NewFramer(c, c)}
	rc.enc = hpack.NewEncoder(&rc.hbuf)
	rc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := rc.fr.WriteSettings(settings...); err != nil {
		t.Fatal(err)
	}
	f := rc.read()
	if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
		t.Fatalf("first frame %v, want SETTINGS", f)
	}
	rc.fr.WriteSettingsAck()
	return rc
}

// block encodes fields ("name", "value", ...) as a header block.
func (rc *rawConn) block(kv ...string) []byte {
	rc.hbuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		rc.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return append([]byte(nil), rc.hbuf.Bytes()...)
}

// get sends a GET for path on stream id, ending the stream.
func (rc *rawConn) get(id uint32, path string, extra ...string) {
	kv := append([]string{":method", "GET", ":scheme", "https", ":authority", "localhost", ":path", path}, extra...)
	rc.headers(id, true, rc.block(kv...))
}

func (rc *rawConn) headers(id uint32, end bool, block []byte) {
	rc.t.Helper()
	if err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: end, EndHeaders: true}); err != nil {
		rc.t.Fatal(err)
	}
}

// read reads the next frame (5 s at most), skipping nothing.
func (rc *rawConn) read() http2.Frame {
	rc.t.Helper()
	f, err := rc.readErr(5 * time.Second)
	if err != nil {
		rc.t.Fatalf("read frame: %v", err)
	}
	return f
}

func (rc *rawConn) readErr(d time.Duration) (http2.Frame, error) {
	rc.c.SetReadDeadline(time.Now().Add(d))
	return rc.fr.ReadFrame()
}

// until reads frames until match returns true for one (bounded in time and
// count) and returns that frame.
func (rc *rawConn) until(what string, match func(http2.Frame) bool) http2.Frame {
	rc.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; i < 10000 && time.Now().Before(deadline); i++ {
		f, err := rc.readErr(time.Until(deadline))
		if err != nil {
			rc.t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(f) {
			return f
		}
	}
	rc.t.Fatalf("no %s", what)
	return nil
}

// reset waits for RST_STREAM on id and returns its code.
func (rc *rawConn) reset(id uint32) http2.ErrCode {
	rc.t.Helper()
	f := rc.until("RST_STREAM", func(f http2.Frame) bool {
		r, ok := f.(*http2.RSTStreamFrame)
		return ok && r.StreamID == id
	})
	return f.(*http2.RSTStreamFrame).ErrCode
}

// goAway waits for GOAWAY and returns it.
func (rc *rawConn) goAway() *http2.GoAwayFrame {
	rc.t.Helper()
	return rc.until("GOAWAY", func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok }).(*http2.GoAwayFrame)
}

// closed reports whether the server closed the connection within d
// (frames before the close are skipped).
func (rc *rawConn) closed(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for i := 0; i < 100000; i++ {
		_, err := rc.readErr(time.Until(deadline))
		if err == nil {
			continue
		}
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
	return false
}

// rawResponse is a response read off a raw connection.
type rawResponse struct {
	status string
	fields map[string][]string
	body   []byte
}

// response reads one response on stream id: status, fields and body.
func (rc *rawConn) response(id uint32) rawResponse {
	rc.t.Helper()
	return rc.responses(id)[id]
}

// responses reads the responses on streams ids, frames of other streams
// skipped.
func (rc *rawConn) responses(ids ...uint32) map[uint32]rawResponse {
	rc.t.Helper()
	out := map[uint32]rawResponse{}
	open := map[uint32]bool{}
	for _, id := range ids {
		out[id] = rawResponse{fields: map[string][]string{}}
		open[id] = true
	}
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; i < 100000 && len(open) > 0; i++ {
		f, err := rc.readErr(time.Until(deadline))
		if err != nil {
			rc.t.Fatalf("streams %v: %v", ids, err)
		}
		id := f.Header().StreamID
		if !open[id] {
			continue
		}
		r := out[id]
		ended := false
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			for _, hf := range f.Fields {
				if hf.Name == ":status" {
					r.status = hf.Value
				} else {
					r.fields[hf.Name] = append(r.fields[hf.Name], hf.Value)
				}
			}
			ended = f.StreamEnded()
		case *http2.DataFrame:
			r.body = append(r.body, f.Data()...)
			ended = f.StreamEnded()
		case *http2.RSTStreamFrame:
			rc.t.Fatalf("stream %d reset: %v", id, f.ErrCode)
		}
		out[id] = r
		if ended {
			delete(open, id)
		}
	}
	if len(open) > 0 {
		rc.t.Fatalf("streams %v did not end", open)
	}
	return out
}

// dialRawErr connects and sends the preface, and reports an error when
// the server answers with no SETTINGS.
func (ts *testServer) dialRawErr() (*rawConn, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ts.addr,
		&tls.Config{RootCAs: ts.roots, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := fr.ReadFrame()
	if err != nil {
		return nil, err
	}
	if _, ok := f.(*http2.SettingsFrame); !ok {
		return nil, errors.New("no SETTINGS")
	}
	return nil, nil
}
