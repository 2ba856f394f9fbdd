package testorigin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newOrigin(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s := New()
	ts := httptest.NewServer(s) // binds 127.0.0.1
	t.Cleanup(ts.Close)
	return s, ts
}

type reply struct {
	status int
	header http.Header
	body   string
	resp   *http.Response
}

func do(t *testing.T, method, rawURL string, hdr map[string]string, body io.Reader) reply {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, rawURL, err)
	}
	return reply{resp.StatusCode, resp.Header, string(b), resp}
}

func get(t *testing.T, rawURL string) reply {
	t.Helper()
	return do(t, http.MethodGet, rawURL, nil, nil)
}

func wantHeader(t *testing.T, r reply, name, want string) {
	t.Helper()
	if got := r.header.Get(name); got != want {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

func TestDefaultBodyAndCounts(t *testing.T) {
	s, ts := newOrigin(t)
	for i := 1; i <= 3; i++ {
		r := get(t, ts.URL+"/a/b?x=1")
		if r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		if want := "origin /a/b #" + strconv.Itoa(i) + "\n"; r.body != want {
			t.Errorf("body %q, want %q", r.body, want)
		}
		wantHeader(t, r, "X-Origin-Count", strconv.Itoa(i))
		wantHeader(t, r, "X-Origin-Method", "GET")
		wantHeader(t, r, "Content-Type", "text/plain; charset=utf-8")
		wantHeader(t, r, "Content-Length", strconv.Itoa(len(r.body)))
	}
	get(t, ts.URL+"/a/b?x=2")
	if n := s.Count("/a/b?x=1"); n != 3 {
		t.Errorf("Count(/a/b?x=1) = %d, want 3", n)
	}
	if n := s.Count("/a/b?x=2"); n != 1 {
		t.Errorf("Count(/a/b?x=2) = %d, want 1", n)
	}
	if n := s.Count("/a/b"); n != 0 {
		t.Errorf("Count(/a/b) = %d, want 0", n)
	}

	r := get(t, ts.URL+"/_origin/count?uri="+url.QueryEscape("/a/b?x=1"))
	if r.body != "{\"count\":3}\n" {
		t.Errorf("count endpoint: %q", r.body)
	}
	wantHeader(t, r, "Content-Type", "application/json")
	r = get(t, ts.URL+"/_origin/counts")
	var all map[string]int64
	if err := json.Unmarshal([]byte(r.body), &all); err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all["/a/b?x=1"] != 3 || all["/a/b?x=2"] != 1 {
		t.Errorf("counts endpoint: %v", all)
	}
	if r := get(t, ts.URL+"/_origin/reset"); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET reset: status %d", r.status)
	}
	if r := do(t, "POST", ts.URL+"/_origin/reset", nil, nil); r.status != http.StatusNoContent {
		t.Errorf("POST reset: status %d", r.status)
	}
	if n := s.Count("/a/b?x=1"); n != 0 {
		t.Errorf("after reset Count = %d", n)
	}
	if r := get(t, ts.URL+"/a/b?x=1"); r.body != "origin /a/b #1\n" {
		t.Errorf("after reset body %q", r.body)
	}
	if r := get(t, ts.URL+"/_origin/health"); r.status != 200 || r.body != "ok" {
		t.Errorf("health: %d %q", r.status, r.body)
	}
	if r := get(t, ts.URL+"/_origin/nope"); r.status != 404 {
		t.Errorf("unknown control endpoint: %d", r.status)
	}
	// Control endpoints other than echo are not counted.
	if all := s.Counts(); len(all) != 1 {
		t.Errorf("counts after control requests: %v", all)
	}
}

func TestHeadersFromParams(t *testing.T) {
	_, ts := newOrigin(t)
	q := url.Values{}
	q.Set("status", "203")
	q.Add("cc", "public, max-age=60")
	q.Add("cc", "stale-while-revalidate=5")
	q.Set("cdncc", "max-age=600")
	q.Set("pcc", "max-age=3600, no-transform")
	q.Set("expires", "Thu, 01 Jan 2099 00:00:00 GMT")
	q.Set("date", "Mon, 02 Jan 2006 15:04:05 GMT")
	q.Set("age", "42")
	q.Set("vary", "Accept-Encoding")
	q.Set("ctype", "application/json")
	q.Add("hdr", "Surrogate-Key: k1 k2")
	q.Add("hdr", "Set-Cookie:a=1")
	q.Add("hdr", "Set-Cookie:b=2")
	q.Set("etag", `W/"v1"`)
	q.Set("lm", "1700000000")
	q.Set("body", "hello")
	r := get(t, ts.URL+"/h?"+q.Encode())
	if r.status != 203 {
		t.Errorf("status %d", r.status)
	}
	if got := r.header.Values("Cache-Control"); len(got) != 2 || got[0] != "public, max-age=60" || got[1] != "stale-while-revalidate=5" {
		t.Errorf("Cache-Control %q", got)
	}
	wantHeader(t, r, "CDN-Cache-Control", "max-age=600")
	wantHeader(t, r, "Pharos-CDN-Cache-Control", "max-age=3600, no-transform")
	wantHeader(t, r, "Expires", "Thu, 01 Jan 2099 00:00:00 GMT")
	wantHeader(t, r, "Date", "Mon, 02 Jan 2006 15:04:05 GMT")
	wantHeader(t, r, "Age", "42")
	wantHeader(t, r, "Vary", "Accept-Encoding")
	wantHeader(t, r, "Content-Type", "application/json")
	wantHeader(t, r, "Surrogate-Key", "k1 k2")
	wantHeader(t, r, "ETag", `W/"v1"`)
	wantHeader(t, r, "Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT")
	wantHeader(t, r, "Content-Length", "5")
	if got := r.header.Values("Set-Cookie"); len(got) != 2 || got[0] != "a=1" || got[1] != "b=2" {
		t.Errorf("Set-Cookie %q", got)
	}
	if r.body != "hello" {
		t.Errorf("body %q", r.body)
	}

	// expires_in is relative to now.
	r = get(t, ts.URL+"/e?expires_in=3600")
	exp, err := http.ParseTime(r.header.Get("Expires"))
	if err != nil {
		t.Fatalf("Expires %q: %v", r.header.Get("Expires"), err)
	}
	if d := time.Until(exp); d < 3590*time.Second || d > 3610*time.Second {
		t.Errorf("expires_in=3600 gave Expires %v from now", d)
	}
	r = get(t, ts.URL+"/e?expires_in=-10")
	if exp, _ := http.ParseTime(r.header.Get("Expires")); !exp.Before(time.Now()) {
		t.Errorf("expires_in=-10 gave Expires %q", r.header.Get("Expires"))
	}

	// An empty ctype sends no Content-Type at all.
	r = get(t, ts.URL+"/n?ctype=")
	if _, ok := r.header["Content-Type"]; ok {
		t.Errorf("ctype= sent Content-Type %q", r.header.Get("Content-Type"))
	}
	// hdr=Content-Type wins over the default.
	r = get(t, ts.URL+"/n?hdr=Content-Type:text/html")
	wantHeader(t, r, "Content-Type", "text/html")

	// Statuses without a body.
	for _, st := range []int{204, 304} {
		r = get(t, ts.URL+"/n?status="+strconv.Itoa(st))
		if r.status != st || r.body != "" {
			t.Errorf("status=%d: got %d %q", st, r.status, r.body)
		}
	}
	r = get(t, ts.URL+"/n?status=503&cc=no-store")
	if r.status != 503 || r.body != "origin /n #1\n" {
		t.Errorf("status=503: got %d %q", r.status, r.body)
	}
	for _, bad := range []string{"status=99", "status=abc", "size=-1", "delay=x", "hdr=nocolon", "cl=2", "lm=yesterday", "drip=-1"} {
		if r := get(t, ts.URL+"/bad?"+bad); r.status != 400 {
			t.Errorf("%s: status %d, want 400", bad, r.status)
		}
	}
}

func TestConditional(t *testing.T) {
	s, ts := newOrigin(t)
	const base = "/c?etag=%22v1%22&cc=max-age%3D60&expires=Thu,%2001%20Jan%202099%2000:00:00%20GMT&vary=Accept&hdr=Surrogate-Key:sk&age=7&lm=1700000000&date=Mon,%2002%20Jan%202006%2015:04:05%20GMT"
	cases := []struct {
		name string
		url  string
		hdr  map[string]string
		want int
	}{
		{"no conditional", base, nil, 200},
		{"inm match", base, map[string]string{"If-None-Match": `"v1"`}, 304},
		{"inm weak match", base, map[string]string{"If-None-Match": `W/"v1"`}, 304},
		{"inm list", base, map[string]string{"If-None-Match": `"a", W/"b,c", "v1"`}, 304},
		{"inm star", base, map[string]string{"If-None-Match": `*`}, 304},
		{"inm mismatch", base, map[string]string{"If-None-Match": `"v2"`}, 200},
		{"inm mismatch wins over ims", base, map[string]string{"If-None-Match": `"v2"`, "If-Modified-Since": "Wed, 15 Nov 2023 00:00:00 GMT"}, 200},
		{"ims after lm", base, map[string]string{"If-Modified-Since": "Wed, 15 Nov 2023 00:00:00 GMT"}, 304},
		{"ims equal lm", base, map[string]string{"If-Modified-Since": "Tue, 14 Nov 2023 22:13:20 GMT"}, 304},
		{"ims before lm", base, map[string]string{"If-Modified-Since": "Tue, 14 Nov 2023 22:13:19 GMT"}, 200},
		{"ims bad date", base, map[string]string{"If-Modified-Since": "yesterday"}, 200},
		{"etag304=0", base + "&etag304=0", map[string]string{"If-None-Match": `"v1"`}, 200},
		{"weak etag, strong inm", "/c?etag=W/%22v1%22", map[string]string{"If-None-Match": `"v1"`}, 304},
		{"no etag", "/c?lm=1700000000", map[string]string{"If-None-Match": `"v1"`}, 200},
		{"not 2xx", base + "&status=404", map[string]string{"If-None-Match": `"v1"`}, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "GET", ts.URL+c.url, c.hdr, nil)
			if r.status != c.want {
				t.Fatalf("status %d, want %d", r.status, c.want)
			}
			if c.want != 304 {
				return
			}
			if r.body != "" {
				t.Errorf("304 with body %q", r.body)
			}
			if c.url != base {
				return
			}
			wantHeader(t, r, "ETag", `"v1"`)
			wantHeader(t, r, "Cache-Control", "max-age=60")
			wantHeader(t, r, "Expires", "Thu, 01 Jan 2099 00:00:00 GMT")
			wantHeader(t, r, "Date", "Mon, 02 Jan 2006 15:04:05 GMT")
			wantHeader(t, r, "Vary", "Accept")
			wantHeader(t, r, "Surrogate-Key", "sk")
			wantHeader(t, r, "X-Origin-Method", "GET")
			if r.header.Get("X-Origin-Count") == "" {
				t.Error("304 without X-Origin-Count")
			}
			for _, absent := range []string{"Content-Type", "Content-Length", "Age", "Last-Modified"} {
				if v := r.header.Get(absent); v != "" {
					t.Errorf("304 carries %s: %q", absent, v)
				}
			}
		})
	}
	// 304s are counted like any other request.
	if n := s.Count(base); n < 8 {
		t.Errorf("Count(base) = %d", n)
	}
	// HEAD is conditional too; POST is not.
	if r := do(t, "HEAD", ts.URL+base, map[string]string{"If-None-Match": `"v1"`}, nil); r.status != 304 {
		t.Errorf("HEAD inm: %d", r.status)
	}
	if r := do(t, "POST", ts.URL+base, map[string]string{"If-None-Match": `"v2"`}, nil); r.status != 200 {
		t.Errorf("POST inm: %d", r.status)
	}
}

func TestSizeBody(t *testing.T) {
	_, ts := newOrigin(t)
	const size = 1<<20 + 12345
	r := get(t, ts.URL+"/big/file.bin?size="+strconv.Itoa(size))
	wantHeader(t, r, "Content-Type", "application/octet-stream")
	wantHeader(t, r, "Content-Length", strconv.Itoa(size))
	if len(r.body) != size {
		t.Fatalf("got %d bytes", len(r.body))
	}
	if !bytes.Equal([]byte(r.body), Expected("/big/file.bin", 0, size)) {
		t.Error("body differs from Expected")
	}
	if !bytes.Equal([]byte(r.body[5000:9000]), Expected("/big/file.bin", 5000, 4000)) {
		t.Error("Expected with offset differs")
	}
	fromBody, err := io.ReadAll(Body("/big/file.bin", size))
	if err != nil || !bytes.Equal(fromBody, []byte(r.body)) {
		t.Errorf("Body differs (err %v)", err)
	}
	// The query does not change the bytes; the path does.
	r2 := get(t, ts.URL+"/big/file.bin?size=100&v=2")
	if r2.body != r.body[:100] {
		t.Error("same path, different query: different bytes")
	}
	r3 := get(t, ts.URL+"/big/other.bin?size=100")
	if r3.body == r.body[:100] {
		t.Error("different paths give the same bytes")
	}
	if r := get(t, ts.URL+"/z?size=0"); r.body != "" || r.header.Get("Content-Length") != "0" {
		t.Errorf("size=0: %q %q", r.body, r.header.Get("Content-Length"))
	}
	// body= wins over size=.
	if r := get(t, ts.URL+"/z?size=10&body=hi"); r.body != "hi" {
		t.Errorf("body+size: %q", r.body)
	}
}

func TestHugeSize(t *testing.T) {
	_, ts := newOrigin(t)
	// HEAD: the Content-Length of a 5 GB body, no body.
	r := do(t, "HEAD", ts.URL+"/huge?size=5e9", nil, nil)
	if r.status != 200 || r.resp.ContentLength != 5e9 || r.body != "" {
		t.Fatalf("HEAD: %d, length %d, body %d bytes", r.status, r.resp.ContentLength, len(r.body))
	}
	wantHeader(t, r, "X-Origin-Method", "HEAD")
	// GET: read the first few MB and go away.
	resp, err := http.Get(ts.URL + "/huge?size=5000000000")
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != 5e9 {
		t.Errorf("ContentLength %d", resp.ContentLength)
	}
	buf := make([]byte, 3<<20)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !bytes.Equal(buf, Expected("/huge", 0, int64(len(buf)))) {
		t.Error("first bytes differ from Expected")
	}
	// Expected at a large offset agrees with the repeating pattern.
	off := int64(4_999_999_000)
	if !bytes.Equal(Expected("/huge", off, 1000), Expected("/huge", off%PatternLen, 1000)) {
		t.Error("Expected is not periodic")
	}
}

func TestMethods(t *testing.T) {
	s, ts := newOrigin(t)
	r := do(t, "HEAD", ts.URL+"/m?body=hello&cc=max-age%3D5", nil, nil)
	if r.body != "" || r.resp.ContentLength != 5 {
		t.Errorf("HEAD: body %q, length %d", r.body, r.resp.ContentLength)
	}
	wantHeader(t, r, "Cache-Control", "max-age=5")
	for i, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		payload := strings.Repeat("x", 100+i)
		r := do(t, m, ts.URL+"/m?status=201&body=ok", nil, strings.NewReader(payload))
		if r.status != 201 || r.body != "ok" {
			t.Errorf("%s: %d %q", m, r.status, r.body)
		}
		wantHeader(t, r, "X-Origin-Method", m)
		wantHeader(t, r, "X-Origin-Request-Bytes", strconv.Itoa(len(payload)))
		wantHeader(t, r, "X-Origin-Count", strconv.Itoa(i+1))
	}
	r = do(t, "POST", ts.URL+"/m?status=201&body=ok", nil, nil)
	wantHeader(t, r, "X-Origin-Request-Bytes", "0")
	if n := s.Count("/m?status=201&body=ok"); n != 5 {
		t.Errorf("Count = %d", n)
	}
}

func TestEcho(t *testing.T) {
	s, ts := newOrigin(t)
	req, _ := http.NewRequest("POST", ts.URL+"/_origin/echo/some/path?a=1&b=%20", strings.NewReader("abc"))
	req.Host = "example.test"
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	req.Header.Add("Via", "1.1 pharos")
	req.Header.Add("x-custom", "one")
	req.Header.Add("x-custom", "two")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("status %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	var e struct {
		Method    string              `json:"method"`
		URI       string              `json:"uri"`
		Host      string              `json:"host"`
		Proto     string              `json:"proto"`
		Header    map[string][]string `json:"header"`
		Remote    string              `json:"remote"`
		BodyBytes int64               `json:"body_bytes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if e.Method != "POST" || e.URI != "/_origin/echo/some/path?a=1&b=%20" || e.Host != "example.test" || e.Proto != "HTTP/1.1" || e.BodyBytes != 3 {
		t.Errorf("echo: %+v", e)
	}
	if !strings.HasPrefix(e.Remote, "127.0.0.1:") {
		t.Errorf("remote %q", e.Remote)
	}
	if got := e.Header["X-Forwarded-For"]; len(got) != 1 || got[0] != "10.0.0.1" {
		t.Errorf("X-Forwarded-For %q", got)
	}
	if got := e.Header["Via"]; len(got) != 1 || got[0] != "1.1 pharos" {
		t.Errorf("Via %q", got)
	}
	if got := e.Header["X-Custom"]; len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("X-Custom %q", got)
	}
	if r := get(t, ts.URL+"/_origin/echo"); !strings.Contains(r.body, `"uri":"/_origin/echo"`) {
		t.Errorf("plain echo: %s", r.body)
	}
	if n := s.Count("/_origin/echo"); n != 1 {
		t.Errorf("echo count %d", n)
	}
}

func TestDelay(t *testing.T) {
	_, ts := newOrigin(t)
	start := time.Now()
	r := get(t, ts.URL+"/d?delay=150")
	if d := time.Since(start); d < 150*time.Millisecond || r.status != 200 {
		t.Errorf("delay=150 answered %d after %v", r.status, d)
	}

	// The handler gives up when the request is cancelled.
	s := New()
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest("GET", "/d?delay=60000", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { s.ServeHTTP(rec, req); close(done) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("delay did not honour cancellation")
	}
	if rec.Body.Len() != 0 {
		t.Errorf("cancelled request wrote %q", rec.Body.String())
	}
}

func TestDrip(t *testing.T) {
	_, ts := newOrigin(t)
	const parts, ms, size = 4, 300, 4000
	u := ts.URL + "/drip?size=" + strconv.Itoa(size) + "&drip=" + strconv.Itoa(parts) + "&dripms=" + strconv.Itoa(ms)
	start := time.Now()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != -1 || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("drip: ContentLength %d, TransferEncoding %q", resp.ContentLength, resp.TransferEncoding)
	}
	first := make([]byte, size/parts)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	gotFirst := time.Since(start)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	total := time.Since(start)
	// The first part arrives while the origin still has (parts-1)*ms of
	// sleeping to do; allow one interval of slack for a slow machine.
	if lag := total - gotFirst; lag < (parts-2)*ms*time.Millisecond {
		t.Errorf("first part at %v, end at %v: the body was not streamed in parts", gotFirst, total)
	}
	if total < (parts-1)*ms*time.Millisecond {
		t.Errorf("whole body in %v, want at least %v", total, (parts-1)*ms*time.Millisecond)
	}
	if !bytes.Equal(append(first, rest...), Expected("/drip", 0, size)) {
		t.Error("dripped body differs from Expected")
	}

	// cl=1 keeps Content-Length while dripping.
	r := get(t, ts.URL+"/drip?body=abcdefgh&drip=3&dripms=1&cl=1")
	if r.resp.ContentLength != 8 || r.body != "abcdefgh" {
		t.Errorf("drip cl=1: length %d body %q", r.resp.ContentLength, r.body)
	}
	// More parts than bytes still sends every byte once.
	r = get(t, ts.URL+"/drip?body=abc&drip=10")
	if r.body != "abc" {
		t.Errorf("drip=10 of 3 bytes: %q", r.body)
	}
}

func TestChunked(t *testing.T) {
	_, ts := newOrigin(t)
	r := get(t, ts.URL+"/ch?cl=0&body=short")
	if r.resp.ContentLength != -1 || len(r.resp.TransferEncoding) == 0 || r.body != "short" {
		t.Errorf("cl=0: ContentLength %d, TransferEncoding %q, body %q", r.resp.ContentLength, r.resp.TransferEncoding, r.body)
	}
	r = get(t, ts.URL+"/ch?cl=0&size=100000")
	if r.resp.ContentLength != -1 || string(r.body) != string(Expected("/ch", 0, 100000)) {
		t.Errorf("cl=0 size: ContentLength %d, %d bytes", r.resp.ContentLength, len(r.body))
	}
}

func TestHang(t *testing.T) {
	_, ts := newOrigin(t)
	// hang=1: headers arrive, the body never does.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/hang?hang=1&body=never", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != 5 {
		t.Errorf("hang: status %d, length %d", resp.StatusCode, resp.ContentLength)
	}
	readDone := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(resp.Body)
		readDone <- err
	}()
	select {
	case err := <-readDone:
		t.Fatalf("body read finished while hanging: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-readDone:
		if err == nil {
			t.Error("read of a hung body succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read did not end after cancel")
	}
	resp.Body.Close()

	// hangms: the body follows after the pause.
	start := time.Now()
	resp, err = http.Get(ts.URL + "/hang?hangms=200&body=later")
	if err != nil {
		t.Fatal(err)
	}
	headers := time.Since(start)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "later" {
		t.Fatalf("hangms body %q, %v", b, err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || headers > d-100*time.Millisecond {
		t.Errorf("hangms=200: headers at %v, body at %v", headers, d)
	}
}

func TestClose(t *testing.T) {
	s, ts := newOrigin(t)
	for _, v := range []string{"1", "rst"} {
		_, err := http.Get(ts.URL + "/broken?close=" + v)
		if err == nil {
			t.Errorf("close=%s: no client error", v)
		}
	}
	// Retried or not, the request reached the origin.
	if s.Count("/broken?close=1") < 1 {
		t.Error("close=1 not counted")
	}
	// The server is still fine afterwards.
	if r := get(t, ts.URL+"/_origin/health"); r.body != "ok" {
		t.Errorf("health after close: %q", r.body)
	}
}

func TestAbort(t *testing.T) {
	_, ts := newOrigin(t)
	for _, u := range []string{"/ab?size=100000&abort=1000", "/ab?size=100000&abort=1000&cl=0", "/ab?size=100000&abort=1000&drip=3"} {
		resp, err := http.Get(ts.URL + u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("%s: read %d bytes without error", u, len(b))
		}
		if len(b) != 1000 || !bytes.Equal(b, Expected("/ab", 0, 1000)) {
			t.Errorf("%s: got %d bytes before the break, want the first 1000", u, len(b))
		}
	}
}

func TestRanges(t *testing.T) {
	_, ts := newOrigin(t)
	const u = "/r?size=10000&ranges=1&etag=%22e%22&lm=1700000000"
	full := Expected("/r", 0, 10000)
	cases := []struct {
		rng, ifRange string
		status       int
		cr           string
		body         []byte
	}{
		{"bytes=0-99", "", 206, "bytes 0-99/10000", full[:100]},
		{"bytes=9990-", "", 206, "bytes 9990-9999/10000", full[9990:]},
		{"bytes=-5", "", 206, "bytes 9995-9999/10000", full[9995:]},
		{"bytes=100-200000", "", 206, "bytes 100-9999/10000", full[100:]},
		{"bytes=10000-", "", 416, "bytes */10000", nil},
		{"bytes=0-1,5-6", "", 200, "", full},
		{"bytes=0-99", `"e"`, 206, "bytes 0-99/10000", full[:100]},
		{"bytes=0-99", `"other"`, 200, "", full},
		{"bytes=0-99", "Tue, 14 Nov 2023 22:13:20 GMT", 206, "bytes 0-99/10000", full[:100]},
		{"bytes=0-99", "Tue, 14 Nov 2023 22:13:21 GMT", 200, "", full},
	}
	for _, c := range cases {
		h := map[string]string{"Range": c.rng}
		if c.ifRange != "" {
			h["If-Range"] = c.ifRange
		}
		r := do(t, "GET", ts.URL+u, h, nil)
		if r.status != c.status || r.header.Get("Content-Range") != c.cr || !bytes.Equal([]byte(r.body), c.body) {
			t.Errorf("Range %q If-Range %q: %d %q, %d bytes", c.rng, c.ifRange, r.status, r.header.Get("Content-Range"), len(r.body))
		}
		wantHeader(t, r, "Accept-Ranges", "bytes")
	}
	// Without ranges=1 the Range header is ignored.
	r := do(t, "GET", ts.URL+"/r?size=10000", map[string]string{"Range": "bytes=0-99"}, nil)
	if r.status != 200 || len(r.body) != 10000 || r.header.Get("Accept-Ranges") != "" {
		t.Errorf("no ranges=1: %d, %d bytes", r.status, len(r.body))
	}
}

func TestRequestKey(t *testing.T) {
	s := New()
	// A request built by hand has no RequestURI; an absolute-form one is
	// counted under its path and query.
	req := &http.Request{Method: "GET", URL: &url.URL{Path: "/k", RawQuery: "a=1"}, Header: http.Header{}}
	s.ServeHTTP(httptest.NewRecorder(), req)
	req = httptest.NewRequest("GET", "http://origin.test/k?a=1", nil)
	s.ServeHTTP(httptest.NewRecorder(), req)
	if n := s.Count("/k?a=1"); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
}

func TestBodyReader(t *testing.T) {
	r := Body("/x", 10000)
	var got []byte
	buf := make([]byte, 777)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, Expected("/x", 0, 10000)) {
		t.Error("Body and Expected disagree")
	}
	if len(Expected("/x", 5, 0)) != 0 {
		t.Error("Expected with n=0")
	}
	if bytes.Equal(Expected("/x", 0, 64), Expected("/y", 0, 64)) {
		t.Error("paths /x and /y give the same pattern")
	}
}
