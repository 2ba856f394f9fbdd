package edge

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/model"
)

// tlsServed is an edge serving HTTPS (ServeTLS) for fpHost on 127.0.0.1.
type tlsServed struct {
	s     *Server
	addr  string
	roots *x509.CertPool
}

func serveTLSEdge(t *testing.T, org *testOrigin, o edgeOpts) *tlsServed {
	t.Helper()
	cfg := Config{ID: "e1", POP: "tst", CacheMem: 16 << 20, DisableFastPath: o.noFast,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if o.clock != nil {
		cfg.Now = o.clock.Now
	}
	s := New(cfg)
	d := simpleDist(distID('A'), fpHost, org.modelOrigin(t, "o"), nil)
	if o.mutate != nil {
		o.mutate(&d)
	}
	apply(t, s, 1, d)
	ca, err := certs.NewCA("edge h2 test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tc := NewTLSCerts([]string{"localhost"})
	tc.SetCA(ca)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ServeTLS(ctx, l, nil, tc, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ServeTLS: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("ServeTLS did not return")
		}
	})
	return &tlsServed{s: s, addr: l.Addr().String(), roots: ca.Pool()}
}

// h2Answer is a response read off an HTTP/2 connection, its fields in the
// order sent.
type h2Answer struct {
	status string
	fields []hpack.HeaderField
	body   []byte
}

// inline reports whether the edge's HTTP/2 read loop wrote the answer:
// its head is an HTTP/1.1 fast-path head, Age after X-Cache, where a
// handler's fields go out sorted (Age first).
func (a h2Answer) inline() bool {
	age, xc := -1, -1
	for i, f := range a.fields {
		switch f.Name {
		case "age":
			age = i
		case "x-cache":
			xc = i
		}
	}
	return age > xc && xc >= 0
}

// header is the answer's fields as a net/http header.
func (a h2Answer) header() http.Header {
	h := http.Header{}
	for _, f := range a.fields {
		h.Add(f.Name, f.Value)
	}
	return h
}

// h2Do sends one request over a fresh HTTP/2 connection and reads the
// answer with a framer, so the fields' order is seen.
func (e *tlsServed) h2Do(t *testing.T, method, target string, extra ...string) h2Answer {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.addr,
		&tls.Config{RootCAs: e.roots, ServerName: fpHost, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN chose %q", p)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 8 << 20})
	fr.WriteWindowUpdate(0, 8<<20)
	var blk bytes.Buffer
	enc := hpack.NewEncoder(&blk)
	kv := append([]string{":method", method, ":scheme", "https", ":authority", fpHost, ":path", target}, extra...)
	for i := 0; i+1 < len(kv); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: blk.Bytes(), EndStream: true, EndHeaders: true})
	var a h2Answer
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("%s %s over h2: %v", method, target, err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.MetaHeadersFrame:
			for _, hf := range f.Fields {
				if hf.Name == ":status" {
					a.status = hf.Value
				} else {
					a.fields = append(a.fields, hf)
				}
			}
			if f.StreamEnded() {
				return a
			}
		case *http2.DataFrame:
			a.body = append(a.body, f.Data()...)
			if f.StreamEnded() {
				return a
			}
		case *http2.RSTStreamFrame:
			t.Fatalf("%s %s over h2: reset %v", method, target, f.ErrCode)
		}
	}
}

// h1Do sends one request over HTTPS/1.1.
func (e *tlsServed) h1Do(t *testing.T, method, target string) (*http.Response, []byte) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.addr,
		&tls.Config{RootCAs: e.roots, ServerName: fpHost, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: %s\r\n\r\n", method, target, fpHost)
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// sameFields compares two headers but for the request id.
func sameFields(t *testing.T, step string, a, b http.Header) {
	t.Helper()
	a, b = a.Clone(), b.Clone()
	for _, h := range []http.Header{a, b} {
		if !strings.HasPrefix(h.Get("X-Pharos-Request-Id"), "e1-") {
			t.Errorf("%s: X-Pharos-Request-Id %q", step, h.Get("X-Pharos-Request-Id"))
		}
		delete(h, "X-Pharos-Request-Id")
	}
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for k := range keys {
		if !slices.Equal(a[k], b[k]) {
			t.Errorf("%s: %s: %q against %q", step, k, a[k], b[k])
		}
	}
}

// An HTTP/2 hit answered inline is the answer an HTTPS/1.1 fast-path hit
// gets, field for field, and the answer net/http's HTTP/2 server gives
// with the fast path off; larger bodies and HEAD too.
func TestH2HitMatchesOtherPaths(t *testing.T) {
	clock := newFakeClock()
	org := fpOrigin(t, clock)
	policy := func(d *model.Distribution) {
		d.DefaultBehavior.ResponseHeaders = &model.ResponseHeadersPolicy{
			CustomHeadersConfig: []model.ResponseHeader{{Header: "X-Policy", Value: "on", Override: true}},
			RemoveHeadersConfig: []string{"X-Reason"},
		}
	}
	fast := serveTLSEdge(t, org, edgeOpts{clock: clock, mutate: policy})
	slow := serveTLSEdge(t, org, edgeOpts{clock: clock, mutate: policy, noFast: true})
	cases := []struct {
		target string
		status string
		body   []byte
		inline bool
	}{
		{"/multi", "200", []byte("multi body"), true},
		{"/missing", "404", []byte("not here\n"), true},
		{"/obj/plain?b=2&a=1", "200", []byte("body of /obj/plain?b=2&a=1"), true},
		{"/empty", "200", []byte{}, true},
		{"/chunked", "200", []byte("chunk one,chunk two"), true},
		{"/big", "200", body1M, false}, // over h2InlineMax: a handler streams it
	}
	for _, e := range []*tlsServed{fast, slow} {
		for _, c := range cases {
			if a := e.h2Do(t, "GET", c.target); a.header().Get("X-Cache") != xMiss {
				t.Fatalf("filling %s: X-Cache %q", c.target, a.header().Get("X-Cache"))
			}
			waitStored(t, e.s, c.target, false)
		}
	}
	clock.Advance(5 * time.Second)
	for _, c := range cases {
		for _, method := range []string{"GET", "HEAD"} {
			step := method + " " + c.target
			want := c.body
			if method == "HEAD" {
				want = nil
			}
			a := fast.h2Do(t, method, c.target)
			if a.status != c.status || !bytes.Equal(a.body, want) || a.header().Get("X-Cache") != xHit || a.header().Get("Age") != "5" {
				t.Errorf("%s: %s, %d bytes, X-Cache %q, Age %q", step, a.status, len(a.body), a.header().Get("X-Cache"), a.header().Get("Age"))
			}
			if a.inline() != c.inline {
				t.Errorf("%s: answered inline %v, want %v: %v", step, a.inline(), c.inline, a.fields)
			}
			if a.header().Get("X-Policy") != "on" {
				t.Errorf("%s: the response headers policy was not applied", step)
			}
			s := slow.h2Do(t, method, c.target)
			if s.inline() || s.status != a.status || !bytes.Equal(s.body, a.body) {
				t.Errorf("%s through net/http: inline %v, %s, %d bytes", step, s.inline(), s.status, len(s.body))
			}
			sameFields(t, step+": h2 inline against net/http's h2", a.header(), s.header())
			h1, b1 := fast.h1Do(t, method, c.target)
			if !bytes.Equal(b1, want) {
				t.Errorf("%s over HTTPS/1.1: %d bytes", step, len(b1))
			}
			sameFields(t, step+": h2 inline against HTTPS/1.1", a.header(), h1.Header)
		}
	}
}

// What the inline path leaves to ServeHTTP (conditionals, ranges,
// credentials, escaped paths, a body) is answered there, correctly.
func TestH2LeavesNonPlainHits(t *testing.T) {
	org := fpOrigin(t, nil)
	e := serveTLSEdge(t, org, edgeOpts{})
	e.h2Do(t, "GET", "/multi")
	waitStored(t, e.s, "/multi", false)
	if a := e.h2Do(t, "GET", "/multi"); !a.inline() {
		t.Fatalf("a plain hit was not answered inline: %v", a.fields)
	}
	for _, c := range []struct {
		name   string
		extra  []string
		target string
		status string
		xcache string
	}{
		{"If-None-Match", []string{"if-none-match", `"m1"`}, "/multi", "304", xHit},
		{"Range", []string{"range", "bytes=0-4"}, "/multi", "206", xHit},
		{"Authorization", []string{"authorization", "Bearer x"}, "/multi", "200", xHit}, // public: may be shared
		{"escaped path", nil, "/mul%74i", "200", ""},                                    // keyed escaped on the full path
	} {
		a := e.h2Do(t, "GET", c.target, c.extra...)
		if a.inline() || a.status != c.status || c.xcache != "" && a.header().Get("X-Cache") != c.xcache {
			t.Errorf("%s: inline %v, %s %q, want %s %q", c.name, a.inline(), a.status, a.header().Get("X-Cache"), c.status, c.xcache)
		}
	}
}
