package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/pharos-cdn/pharos/internal/testorigin"
)

// h2client returns an HTTP/2-only client for the edge and a count of the
// connections it opened.
func (e *tlsEdge) h2client() (*http.Client, *atomic.Int64) {
	var dials atomic.Int64
	tr := &http2.Transport{
		TLSClientConfig: &tls.Config{RootCAs: e.roots},
		DialTLSContext: func(ctx context.Context, network, _ string, cfg *tls.Config) (net.Conn, error) {
			dials.Add(1)
			return (&tls.Dialer{Config: cfg}).DialContext(ctx, network, e.addr)
		},
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, &dials
}

func do(t *testing.T, c *http.Client, method, url string, body []byte) (reply, *http.Response) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, resp
}

// HTTP/2 through `pharos up`: the edge's own HTTP/2 server answers hits
// (inline) with the HTTPS/1.1 fast path's fields, and sends everything
// else through the stage chain.
func TestH2Fast(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	e := startTLSEdge(t, origin)
	e.tlsDist(t, origin, "http2and3", "TLSv1.2_2021", "h3.h2fast.test")
	h2c, dials := e.h2client()
	h1c := e.client(nil, false)
	base := "https://" + e.quick

	t.Run("a miss, then hits with the HTTPS/1.1 hit's fields", func(t *testing.T) {
		path := "/h2fast/hit"
		url := base + path + "?cc=max-age=300&size=1024"
		want := string(testorigin.Expected(path, 0, 1024))
		r, resp := do(t, h2c, "GET", url, nil)
		if r.Status != 200 || resp.Proto != "HTTP/2.0" || r.xcache() != "Miss from pharos" || r.Body != want {
			t.Fatalf("first: %d %s %q, %d bytes", r.Status, resp.Proto, r.xcache(), len(r.Body))
		}
		eventually(t, 10*time.Second, "a hit over HTTP/2", func() bool {
			r, _ := do(t, h2c, "GET", url, nil)
			return r.xcache() == "Hit from pharos"
		})
		// The two answers are compared when they were made in the same
		// second (Age and Cache-Status's ttl follow the clock).
		for try := 0; ; try++ {
			h2r, _ := do(t, h2c, "GET", url, nil)
			h1r, resp1 := do(t, h1c, "GET", url, nil)
			if resp1.Proto != "HTTP/1.1" || h1r.xcache() != "Hit from pharos" || h2r.xcache() != "Hit from pharos" {
				t.Fatalf("hits: HTTP/2 %q, %s %q", h2r.xcache(), resp1.Proto, h1r.xcache())
			}
			if h2r.Header.Get("Age") != h1r.Header.Get("Age") && try < 5 {
				continue
			}
			if h2r.Body != want || h1r.Body != want {
				t.Fatalf("hit bodies: HTTP/2 %d bytes, HTTP/1.1 %d bytes", len(h2r.Body), len(h1r.Body))
			}
			sameHeader(t, "HTTP/2 hit against HTTPS/1.1 hit", h2r.Header, h1r.Header)
			break
		}
		r, _ = do(t, h2c, "HEAD", url, nil)
		if r.Status != 200 || r.xcache() != "Hit from pharos" || r.Body != "" || r.Header.Get("Content-Length") != "1024" {
			t.Fatalf("HEAD: %d %q, %d bytes, Content-Length %q", r.Status, r.xcache(), len(r.Body), r.Header.Get("Content-Length"))
		}
		if n := originCount(t, origin, path+"?cc=max-age=300&size=1024"); n != 1 {
			t.Fatalf("origin asked %d times", n)
		}
	})

	t.Run("a POST goes through to the origin", func(t *testing.T) {
		body := bytes.Repeat([]byte("p"), 300_000)
		r, resp := do(t, h2c, "POST", base+"/_origin/echo?h2", body)
		if r.Status != 200 || resp.ProtoMajor != 2 {
			t.Fatalf("POST: %d %s %q", r.Status, resp.Proto, r.Body)
		}
		var echo struct {
			Method    string
			BodyBytes int64 `json:"body_bytes"`
			Header    map[string][]string
		}
		if err := json.Unmarshal([]byte(r.Body), &echo); err != nil {
			t.Fatalf("echo: %v: %s", err, r.Body)
		}
		if echo.Method != "POST" || echo.BodyBytes != int64(len(body)) || !slices.Equal(echo.Header["X-Forwarded-Proto"], []string{"https"}) {
			t.Fatalf("the origin saw %s with %d bytes, X-Forwarded-Proto %v", echo.Method, echo.BodyBytes, echo.Header["X-Forwarded-Proto"])
		}
	})

	t.Run("an invalidation is seen over HTTP/2", func(t *testing.T) {
		url := base + "/h2fast/inval?cc=max-age=300&size=10"
		do(t, h2c, "GET", url, nil)
		eventually(t, 10*time.Second, "a hit", func() bool {
			r, _ := do(t, h2c, "GET", url, nil)
			return r.xcache() == "Hit from pharos"
		})
		id := quickRe.FindStringSubmatch(e.Output())[1]
		var inv struct{ ID string }
		e.api(t, "POST", "/v1/distributions/"+id+"/invalidations", map[string]any{"paths": []string{"/h2fast/inval*"}}, &inv)
		if inv.ID == "" {
			t.Fatal("no invalidation created")
		}
		eventually(t, 10*time.Second, "the invalidation to reach the HTTP/2 path", func() bool {
			r, _ := do(t, h2c, "GET", url, nil)
			return r.xcache() != "Hit from pharos"
		})
	})

	t.Run("4 MiB byte-exact, miss and hit", func(t *testing.T) {
		path := "/h2fast/large"
		url := base + path + "?cc=max-age=300&size=4194304"
		want := testorigin.Expected(path, 0, 4<<20)
		for i, x := range []string{"Miss from pharos", "Hit from pharos"} {
			if i == 1 {
				eventually(t, 10*time.Second, "the large object stored", func() bool {
					r, _ := do(t, h2c, "HEAD", url, nil)
					return r.xcache() == "Hit from pharos"
				})
			}
			r, _ := do(t, h2c, "GET", url, nil)
			if r.Status != 200 || r.xcache() != x || !bytes.Equal([]byte(r.Body), want) {
				t.Fatalf("%s: %d %q, %d bytes, equal %v", x, r.Status, r.xcache(), len(r.Body), bytes.Equal([]byte(r.Body), want))
			}
		}
	})

	t.Run("many concurrent streams on one connection", func(t *testing.T) {
		c, dials := e.h2client()
		url := func(i int) string {
			return fmt.Sprintf("%s/h2fast/many/%d?cc=max-age=300&size=%d", base, i%20, 500+i%20)
		}
		for i := range 20 {
			do(t, c, "GET", url(i), nil)
		}
		var wg sync.WaitGroup
		var hits atomic.Int64
		errs := make(chan string, 200)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.Get(url(i))
				if err != nil {
					errs <- err.Error()
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				want := testorigin.Expected(fmt.Sprintf("/h2fast/many/%d", i%20), 0, int64(500+i%20))
				if err != nil || resp.StatusCode != 200 || !bytes.Equal(b, want) {
					errs <- fmt.Sprintf("%d: %d, %d bytes, %v", i, resp.StatusCode, len(b), err)
				}
				if resp.Header.Get("X-Cache") == "Hit from pharos" {
					hits.Add(1)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		if n := dials.Load(); n != 1 {
			t.Errorf("%d connections, want 1", n)
		}
		if hits.Load() < 180 {
			t.Errorf("%d of 200 were hits", hits.Load())
		}
	})

	if n := dials.Load(); n != 1 {
		t.Errorf("the shared HTTP/2 client opened %d connections to one name, want 1", n)
	}

	t.Run("Alt-Svc on an HTTP/3 distribution's hits", func(t *testing.T) {
		url := "https://h3.h2fast.test/h2fast/alt?cc=max-age=300&size=10"
		_, port, _ := net.SplitHostPort(e.addr)
		want := `h3=":` + port + `"; ma=86400`
		seen := map[string]bool{}
		eventually(t, 10*time.Second, "a hit", func() bool {
			r, resp := do(t, h2c, "GET", url, nil)
			if resp.ProtoMajor != 2 || r.Header.Get("Alt-Svc") != want {
				t.Fatalf("%q over %s: Alt-Svc %q, want %q", r.xcache(), resp.Proto, r.Header.Get("Alt-Svc"), want)
			}
			seen[r.xcache()] = true
			return r.xcache() == "Hit from pharos"
		})
		if !seen["Miss from pharos"] {
			t.Fatalf("no miss was seen: %v", seen)
		}
	})
}

// sameHeader compares two answers' fields, but for the request id.
func sameHeader(t *testing.T, what string, a, b http.Header) {
	t.Helper()
	for _, h := range []http.Header{a, b} {
		if !strings.Contains(h.Get("X-Pharos-Request-Id"), "-") {
			t.Errorf("%s: X-Pharos-Request-Id %q", what, h.Get("X-Pharos-Request-Id"))
		}
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for k := range keys {
		if k != "X-Pharos-Request-Id" && !slices.Equal(a[k], b[k]) {
			t.Errorf("%s: %s: %q against %q", what, k, a[k], b[k])
		}
	}
}
