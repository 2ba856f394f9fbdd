package h2

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// testBody is n deterministic bytes.
func testBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i*7%26)
	}
	return b
}

// fastHits answers GET and HEAD of /fast/<n> inline with n bytes, in
// chunks of 1000, with the fields an edge hit carries.
func fastHits(calls *atomic.Int64) FastFunc {
	return func(r *FastRequest, w *InlineResponse) bool {
		n, ok := strings.CutPrefix(r.Path, "/fast/")
		if !ok || r.Method != "GET" && r.Method != "HEAD" {
			return false
		}
		size, err := strconv.Atoi(n)
		if err != nil {
			return false
		}
		calls.Add(1)
		body := testBody(size)
		w.Head = append(w.Head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "...)
		w.Head = strconv.AppendInt(w.Head, int64(size), 10)
		w.Head = append(w.Head, "\r\nConnection: keep-alive\r\nX-Cache: Hit from pharos\r\nTransfer-Encoding: chunked\r\nVia: 1.1 e1 (pharos)\r\n"...)
		for len(body) > 0 {
			k := min(1000, len(body))
			w.Body = append(w.Body, body[:k])
			body = body[k:]
		}
		return true
	}
}

// echoHandler answers /echo with the request's method, host, proto and a
// digest of its body; /sized/<n> with n bytes written in odd pieces.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/echo":
		sum := sha256.New()
		n, err := io.Copy(sum, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s %s %d %s tls=%v cl=%d cookie=%q", r.Method, r.Host, r.Proto, n,
			hex.EncodeToString(sum.Sum(nil)), r.TLS != nil, r.ContentLength, r.Header.Get("Cookie"))
	case strings.HasPrefix(r.URL.Path, "/sized/"):
		size, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/sized/"))
		body := testBody(size)
		for len(body) > 0 {
			k := min(7777, len(body))
			w.Write(body[:k])
			body = body[k:]
		}
	default:
		http.NotFound(w, r)
	}
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	return resp, b
}

// Many concurrent streams on one connection, answered inline and by the
// handler, each with its own body. (240: past the advertised 250, x/net's
// client opens a second connection.)
func TestConcurrentStreams(t *testing.T) {
	var calls atomic.Int64
	ts := serve(t, &Server{Handler: http.HandlerFunc(echoHandler), Fast: fastHits(&calls)})
	c, _ := ts.client()
	// One request first: until the server's SETTINGS arrive the client
	// assumes 100 streams and would dial a second connection.
	if resp, _ := get(t, c, ts.url("/sized/1")); resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 240)
	for i := range 240 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/fast/%d", 100+i*37)
			want := testBody(100 + i*37)
			if i%2 == 1 {
				path = fmt.Sprintf("/sized/%d", i*101)
				want = testBody(i * 101)
			}
			resp, err := c.Get(ts.url(path))
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || !bytes.Equal(b, want) || resp.ProtoMajor != 2 {
				errs <- fmt.Errorf("%s: %d %s, %d bytes, %v", path, resp.StatusCode, resp.Proto, len(b), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := ts.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	if n := calls.Load(); n != 120 {
		t.Errorf("the fast callback answered %d requests, want 120", n)
	}
}

// POST bodies larger than the stream and connection receive windows reach
// the handler whole: the server returns window as the handler reads.
func TestPOSTBodies(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(echoHandler)})
	c, _ := ts.client()
	var wg sync.WaitGroup
	for _, size := range []int{0, 1, 70_000, 3 << 20, 5<<20 + 3} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := testBody(size)
			resp, err := c.Post(ts.url("/echo"), "application/octet-stream", bytes.NewReader(body))
			if err != nil {
				t.Errorf("POST %d bytes: %v", size, err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sum := sha256.Sum256(body)
			want := fmt.Sprintf("POST 127.0.0.1:%s HTTP/2.0 %d %s tls=true", ts.addr[strings.LastIndex(ts.addr, ":")+1:], size, hex.EncodeToString(sum[:]))
			if resp.StatusCode != 200 || !strings.HasPrefix(string(b), want) {
				t.Errorf("POST %d bytes: %d %q, want %q", size, resp.StatusCode, b, want)
			}
		}()
	}
	wg.Wait()
}

// A response's header as the viewer gets it: names lower case (the client
// would refuse others), connection-specific fields dropped, Content-Length
// added when the handler's whole answer is known, HEAD without a body,
// Date added, Content-Type sniffed as net/http does.
func TestResponseHeader(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "close")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Transfer-Encoding", "chunked")
		h.Set("Upgrade", "h2c")
		h.Set("Proxy-Connection", "keep-alive")
		h.Set("X-Mixed-Case", "v")
		h.Add("Set-Cookie", "a=1")
		h.Add("Set-Cookie", "b=2")
		io.WriteString(w, "<html>hello</html>")
	}), Fast: fastHits(new(atomic.Int64))})
	rc := ts.dialRaw(t)
	rc.get(1, "/any")
	r := rc.response(1)
	if r.status != "200" || string(r.body) != "<html>hello</html>" {
		t.Fatalf("status %s body %q", r.status, r.body)
	}
	for _, name := range []string{"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"} {
		if v, ok := r.fields[name]; ok {
			t.Errorf("%s: %q sent", name, v)
		}
	}
	want := map[string]string{"x-mixed-case": "[v]", "set-cookie": "[a=1 b=2]", "content-length": "[18]",
		"content-type": "[text/html; charset=utf-8]"}
	for k, v := range want {
		if got := fmt.Sprint(r.fields[k]); got != v {
			t.Errorf("%s: %s, want %s", k, got, v)
		}
	}
	if len(r.fields["date"]) != 1 {
		t.Errorf("date: %q", r.fields["date"])
	}
	// HEAD: the same header, no body, END_STREAM on the HEADERS frame.
	rc.headers(3, true, rc.block(":method", "HEAD", ":scheme", "https", ":authority", "localhost", ":path", "/any"))
	r = rc.response(3)
	if r.status != "200" || len(r.body) != 0 || fmt.Sprint(r.fields["content-length"]) != "[18]" {
		t.Errorf("HEAD: %s %v %q", r.status, r.fields, r.body)
	}
	// An inline answer: the head's fields lower-cased, its connection
	// fields dropped; HEAD sends no body.
	rc.get(5, "/fast/10")
	r = rc.response(5)
	if r.status != "200" || string(r.body) != string(testBody(10)) || fmt.Sprint(r.fields) != "map[content-length:[10] content-type:[text/plain] via:[1.1 e1 (pharos)] x-cache:[Hit from pharos]]" {
		t.Errorf("inline: %s %v %q", r.status, r.fields, r.body)
	}
	rc.headers(7, true, rc.block(":method", "HEAD", ":scheme", "https", ":authority", "localhost", ":path", "/fast/10"))
	r = rc.response(7)
	if r.status != "200" || len(r.body) != 0 || fmt.Sprint(r.fields["content-length"]) != "[10]" {
		t.Errorf("inline HEAD: %s %v %q", r.status, r.fields, r.body)
	}
}

// The request a handler gets: Host from :authority, HTTPS, HTTP/2.0, the
// TLS state, the peer's address, cookies joined (RFC 9113 §8.2.3).
func TestRequestFields(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s|%s|%s|%v|%v|%s|%d|%s", r.Method, r.Host, r.RequestURI, r.URL.RawQuery, r.TLS != nil,
			r.RemoteAddr != "", r.Proto, r.ContentLength, r.Header.Get("Cookie"))
	})})
	rc := ts.dialRaw(t)
	rc.headers(1, true, rc.block(":method", "GET", ":scheme", "https", ":authority", "www.example.com:8443", ":path", "/p?q=1",
		"cookie", "a=1", "cookie", "b=2"))
	r := rc.response(1)
	if want := "GET|www.example.com:8443|/p?q=1|q=1|true|true|HTTP/2.0|0|a=1; b=2"; string(r.body) != want {
		t.Errorf("got %q, want %q", r.body, want)
	}
}

// A handler that answers 100-continue itself, and a client that waits for
// it, both work.
func TestExpectContinue(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/explicit" {
			w.WriteHeader(http.StatusContinue)
		}
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d", len(b))
	})})
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ts.roots, ServerName: "localhost"},
		ForceAttemptHTTP2: true, ExpectContinueTimeout: 10 * time.Second}
	c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	for _, path := range []string{"/implicit", "/explicit"} {
		req, _ := http.NewRequest("PUT", ts.url(path), bytes.NewReader(testBody(5000)))
		req.Header.Set("Expect", "100-continue")
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 || string(b) != "5000" {
			t.Errorf("%s: %s %q", path, resp.Proto, b)
		}
		if time.Since(start) > 8*time.Second {
			t.Errorf("%s: the body waited for ExpectContinueTimeout: no 100 came", path)
		}
	}
}

// A handler that panics, or aborts with http.ErrAbortHandler after its
// header, ends its stream with RST_STREAM: the client sees an error, never
// a short body that looks complete. The connection goes on.
func TestHandlerAbort(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
	})})
	rc := ts.dialRaw(t)
	for i, path := range []string{"/panic", "/abort", "/short"} {
		id := uint32(2*i + 1)
		rc.get(id, path)
		if code := rc.reset(id); code != http2.ErrCodeInternal {
			t.Errorf("%s: RST_STREAM %v, want INTERNAL_ERROR", path, code)
		}
	}
}

// The header sent is the header at WriteHeader: later changes do not
// count (http.ResponseWriter's contract).
func TestHeaderSnapshot(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Before", "1")
		w.WriteHeader(http.StatusAccepted)
		w.Header().Set("X-After", "1")
		io.WriteString(w, "body")
	})})
	rc := ts.dialRaw(t)
	rc.get(1, "/")
	r := rc.response(1)
	if r.status != "202" || r.fields["x-before"] == nil || r.fields["x-after"] != nil || string(r.body) != "body" {
		t.Fatalf("%s %v %q", r.status, r.fields, r.body)
	}
}
