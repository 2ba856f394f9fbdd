package origin

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/model"
)

// testOrigin returns an http-only origin on 127.0.0.1:port with short
// timeouts (the model's minimum read timeout, 1 s).
func testOrigin(port, attempts int) model.Origin {
	return model.Origin{ID: "o", DomainName: "127.0.0.1", Protocol: "http-only", HTTPPort: port, HTTPSPort: 443,
		ConnectionAttempts: attempts, ConnectionTimeout: 1, ReadTimeout: 1, KeepaliveTimeout: 5}
}

// portOf returns the port of a listener or server address.
func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// closedPort returns a port on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := portOf(t, l.Addr().String())
	l.Close()
	return p
}

// rawListener accepts connections on 127.0.0.1 and hands each to handle;
// it counts them. Connections still open at the end are closed.
type rawListener struct {
	net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
}

func newRawListener(t *testing.T, handle func(net.Conn)) *rawListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rl := &rawListener{Listener: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			rl.accepted.Add(1)
			rl.mu.Lock()
			rl.conns = append(rl.conns, c)
			rl.mu.Unlock()
			go handle(c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		rl.mu.Lock()
		defer rl.mu.Unlock()
		for _, c := range rl.conns {
			c.Close()
		}
	})
	return rl
}

func (rl *rawListener) port(t *testing.T) int { return portOf(t, rl.Addr().String()) }

func newRequest(t *testing.T, c *Client, method string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, c.URL(false, "/x", ""), body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestConnectionRefusedIsUnreachable(t *testing.T) {
	c := New(testOrigin(closedPort(t), 3))
	defer c.Close()
	resp, err := c.Do(context.Background(), newRequest(t, c, "GET", nil))
	if resp != nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTimeout) {
		t.Errorf("Do = %v, want ErrUnreachable", err)
	}
}

func TestNoAnswerIsTimeout(t *testing.T) {
	t.Parallel()
	// Accepts, reads the request, never answers.
	rl := newRawListener(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	c := New(testOrigin(rl.port(t), 3))
	defer c.Close()
	start := time.Now()
	resp, err := c.Do(context.Background(), newRequest(t, c, "GET", nil))
	if resp != nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrTimeout) || errors.Is(err, ErrUnreachable) {
		t.Errorf("Do = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("gave up after %v, before the 1 s read timeout", d)
	}
	// A timeout is not a connection failure: no retry.
	if n := rl.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestStalledBodyIsTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("0123456789"))
		w.(http.Flusher).Flush()
		select { // stall mid-body
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	c := New(testOrigin(portOf(t, srv.Listener.Addr().String()), 3))
	defer c.Close()
	resp, err := c.Do(context.Background(), newRequest(t, c, "GET", nil))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("body read error %v, want one wrapping ErrTimeout", err)
	}
	if string(got) != "0123456789" {
		t.Errorf("read %q before the stall", got)
	}
}

// TestIdleTimeoutIgnoresConsumerPauses: the read timeout is for an origin
// that goes quiet; time the caller spends between Reads (a slow viewer on a
// pass-through response, a detached fill waiting for its slowest viewer)
// does not count. Here the origin sends the whole body at once and the
// caller pauses 1.5 s, longer than the 1 s read timeout.
func TestIdleTimeoutIgnoresConsumerPauses(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte("x"), 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c := New(testOrigin(portOf(t, srv.Listener.Addr().String()), 3))
	defer c.Close()
	resp, err := c.Do(context.Background(), newRequest(t, c, "GET", nil))
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()
	first := make([]byte, 1024)
	n, err := io.ReadFull(resp.Body, first)
	if err != nil {
		t.Fatalf("first read: %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // the consumer, not the origin, pauses
	rest, err := io.ReadAll(resp.Body)
	if err != nil || n+len(rest) != len(body) {
		t.Errorf("after a pause of the reader: read %d of %d bytes, err %v", n+len(rest), len(body), err)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		method    string
		body      bool
		attempts  int
		wantConns int64
	}{
		{"GET", false, 3, 3},
		{"GET", false, 2, 2},
		{"GET", false, 1, 1},
		{"HEAD", false, 3, 3},
		{"POST", true, 3, 1},
		{"POST", false, 3, 1},
		{"PUT", true, 3, 1},
		{"PATCH", true, 3, 1},
		{"DELETE", false, 3, 1},
		{"OPTIONS", false, 3, 1},
	}
	for _, tt := range tests {
		name := tt.method + " attempts=" + strconv.Itoa(tt.attempts)
		if tt.body {
			name += " with body"
		}
		t.Run(name, func(t *testing.T) {
			// The connection breaks before any response: a connection
			// failure, like a refused dial.
			rl := newRawListener(t, func(c net.Conn) { c.Close() })
			c := New(testOrigin(rl.port(t), tt.attempts))
			defer c.Close()
			var body io.Reader
			if tt.body {
				body = strings.NewReader("payload")
			}
			resp, err := c.Do(context.Background(), newRequest(t, c, tt.method, body))
			if resp != nil {
				resp.Body.Close()
			}
			if !errors.Is(err, ErrUnreachable) {
				t.Errorf("Do = %v, want ErrUnreachable", err)
			}
			if n := rl.accepted.Load(); n != tt.wantConns {
				t.Errorf("%d connections, want %d", n, tt.wantConns)
			}
		})
	}
}

// TestRetriesOnDialFailure counts dials where nothing listens.
func TestRetriesOnDialFailure(t *testing.T) {
	tests := []struct {
		method    string
		attempts  int
		wantDials int64
	}{
		{"GET", 3, 3},
		{"GET", 1, 1},
		{"HEAD", 2, 2},
		{"POST", 3, 1},
		{"DELETE", 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.method+" attempts="+strconv.Itoa(tt.attempts), func(t *testing.T) {
			c := New(testOrigin(closedPort(t), tt.attempts))
			defer c.Close()
			var dials atomic.Int64
			dial := c.transport.DialContext
			c.transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				return dial(ctx, network, addr)
			}
			resp, err := c.Do(context.Background(), newRequest(t, c, tt.method, nil))
			if resp != nil {
				resp.Body.Close()
			}
			if !errors.Is(err, ErrUnreachable) {
				t.Errorf("Do = %v, want ErrUnreachable", err)
			}
			if n := dials.Load(); n != tt.wantDials {
				t.Errorf("%d dials, want %d", n, tt.wantDials)
			}
		})
	}
}

func TestCanceledContextIsNotRetried(t *testing.T) {
	rl := newRawListener(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	c := New(testOrigin(rl.port(t), 3))
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for rl.accepted.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	resp, err := c.Do(ctx, newRequest(t, c, "GET", nil))
	if resp != nil {
		resp.Body.Close()
	}
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTimeout) {
		t.Errorf("Do = %v, want context.Canceled only", err)
	}
	if n := rl.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestURL(t *testing.T) {
	tests := []struct {
		name        string
		o           model.Origin
		viewerHTTPS bool
		path, query string
		want        string
	}{
		{"http-only", model.Origin{DomainName: "origin.example", Protocol: "http-only", HTTPPort: 80, HTTPSPort: 443},
			true, "/a/b", "", "http://origin.example:80/a/b"},
		{"http-only other port with query", model.Origin{DomainName: "origin.example", Protocol: "http-only", HTTPPort: 8080, HTTPSPort: 8443},
			false, "/a", "x=1&y=2", "http://origin.example:8080/a?x=1&y=2"},
		{"https-only, http viewer", model.Origin{DomainName: "origin.example", Protocol: "https-only", HTTPPort: 8080, HTTPSPort: 8443},
			false, "/a", "", "https://origin.example:8443/a"},
		{"match-viewer, http viewer", model.Origin{DomainName: "origin.example", Protocol: "match-viewer", HTTPPort: 8080, HTTPSPort: 8443},
			false, "/a", "", "http://origin.example:8080/a"},
		{"match-viewer, https viewer", model.Origin{DomainName: "origin.example", Protocol: "match-viewer", HTTPPort: 8080, HTTPSPort: 8443},
			true, "/a", "", "https://origin.example:8443/a"},
		{"origin path", model.Origin{DomainName: "origin.example", Protocol: "http-only", HTTPPort: 80, OriginPath: "/base/v1"},
			false, "/a%20b", "q", "http://origin.example:80/base/v1/a%20b?q"},
		{"IPv4", model.Origin{DomainName: "127.0.0.1", Protocol: "http-only", HTTPPort: 3000},
			false, "/", "", "http://127.0.0.1:3000/"},
		{"IPv6", model.Origin{DomainName: "::1", Protocol: "http-only", HTTPPort: 3000},
			false, "/", "", "http://[::1]:3000/"},
		{"IPv6 https", model.Origin{DomainName: "2001:db8::1", Protocol: "https-only", HTTPSPort: 443},
			false, "/a", "", "https://[2001:db8::1]:443/a"},
		{"IPv6 given in brackets", model.Origin{DomainName: "[::1]", Protocol: "match-viewer", HTTPPort: 80, HTTPSPort: 8443},
			true, "/a", "", "https://[::1]:8443/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.o)
			defer c.Close()
			if got := c.URL(tt.viewerHTTPS, tt.path, tt.query); got != tt.want {
				t.Errorf("URL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHostHeader(t *testing.T) {
	tests := []struct {
		name string
		o    model.Origin
		want string
	}{
		{"http default port", model.Origin{DomainName: "origin.example", Protocol: "http-only", HTTPPort: 80, HTTPSPort: 8443}, "origin.example"},
		{"http other port", model.Origin{DomainName: "origin.example", Protocol: "http-only", HTTPPort: 8080, HTTPSPort: 443}, "origin.example:8080"},
		{"https default port", model.Origin{DomainName: "origin.example", Protocol: "https-only", HTTPPort: 8080, HTTPSPort: 443}, "origin.example"},
		{"https other port", model.Origin{DomainName: "origin.example", Protocol: "https-only", HTTPPort: 80, HTTPSPort: 8443}, "origin.example:8443"},
		{"IPv4 other port", model.Origin{DomainName: "127.0.0.1", Protocol: "http-only", HTTPPort: 3000}, "127.0.0.1:3000"},
		{"IPv6 other port", model.Origin{DomainName: "::1", Protocol: "http-only", HTTPPort: 3000}, "[::1]:3000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.o)
			defer c.Close()
			if got := c.HostHeader(false); got != tt.want {
				t.Errorf("HostHeader = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHostHeaderIPv6: an IPv6 literal in Host is bracketed (RFC 9110 §7.2,
// RFC 3986 §3.2.2), on default ports too, and an address the model accepts
// in brackets ("[::1]") is not bracketed twice.
func TestHostHeaderIPv6(t *testing.T) {
	tests := []struct {
		name string
		o    model.Origin
		want string
	}{
		{"IPv6 default http port", model.Origin{DomainName: "::1", Protocol: "http-only", HTTPPort: 80}, "[::1]"},
		{"IPv6 default https port", model.Origin{DomainName: "2001:db8::1", Protocol: "https-only", HTTPSPort: 443}, "[2001:db8::1]"},
		{"bracketed IPv6 other port", model.Origin{DomainName: "[::1]", Protocol: "http-only", HTTPPort: 8080}, "[::1]:8080"},
		{"bracketed IPv6 default port", model.Origin{DomainName: "[::1]", Protocol: "http-only", HTTPPort: 80}, "[::1]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(tt.o)
			defer c.Close()
			if got := c.HostHeader(false); got != tt.want {
				t.Errorf("HostHeader = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDisableCompression(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("hello, compressed world"))
	zw.Close()
	var sawAE atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAE.Store(r.Header["Accept-Encoding"])
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(gz.Len()))
		w.Write(gz.Bytes())
	}))
	t.Cleanup(srv.Close)
	c := New(testOrigin(portOf(t, srv.Listener.Addr().String()), 3))
	defer c.Close()

	tests := []struct {
		name   string
		viewer []string
	}{
		{"no Accept-Encoding from the caller", nil},
		{"the caller's Accept-Encoding", []string{"gzip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, c, "GET", nil)
			if tt.viewer != nil {
				req.Header["Accept-Encoding"] = tt.viewer
			}
			resp, err := c.Do(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if got, _ := sawAE.Load().([]string); strings.Join(got, ",") != strings.Join(tt.viewer, ",") {
				t.Errorf("origin saw Accept-Encoding %q, want %q", got, tt.viewer)
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Uncompressed || !bytes.Equal(body, gz.Bytes()) {
				t.Errorf("body was decompressed (Uncompressed %v, %d bytes)", resp.Uncompressed, len(body))
			}
			if resp.Header.Get("Content-Encoding") != "gzip" || resp.ContentLength != int64(gz.Len()) {
				t.Errorf("Content-Encoding %q, length %d", resp.Header.Get("Content-Encoding"), resp.ContentLength)
			}
		})
	}
}

func TestRedirectsNotFollowed(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c := New(testOrigin(portOf(t, srv.Listener.Addr().String()), 3))
	defer c.Close()
	resp, err := c.Do(context.Background(), newRequest(t, c, "GET", nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/elsewhere" || hits.Load() != 1 {
		t.Errorf("status %d, Location %q, origin hits %d: the redirect was followed", resp.StatusCode, resp.Header.Get("Location"), hits.Load())
	}
}
