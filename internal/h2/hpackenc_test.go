package h2

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2/hpack"
)

// decodeBlock decodes a block with x/net's decoder, as a peer would.
func decodeBlock(t testing.TB, b []byte) []hpack.HeaderField {
	t.Helper()
	fields, err := hpack.NewDecoder(4096, nil).DecodeFull(b)
	if err != nil {
		t.Fatalf("decode %x: %v", b, err)
	}
	return fields
}

// A head in the edge's HTTP/1.1 form becomes the fields a peer decodes:
// lower-case names, values without the leading space, connection-specific
// fields dropped, any status.
func TestHTTP1Head(t *testing.T) {
	long := "X-" + strings.Repeat("Long", 30)
	cases := []struct {
		head string
		want string
	}{
		{"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Cache: Hit from pharos\r\n",
			":status=200 content-type=text/plain content-length=5 x-cache=Hit from pharos"},
		{"HTTP/1.1 203 Non-Authoritative Information\r\nVia: 1.1 a\r\nVia: 1.1 b\r\nEtag: \"x\"\r\n",
			":status=203 via=1.1 a via=1.1 b etag=\"x\""},
		{"HTTP/1.1 404 Not Found\r\nConnection: close\r\nKeep-Alive: 5\r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\nProxy-Connection: x\r\nAge: 3",
			":status=404 age=3"},
		{"HTTP/1.1 599 Whatever\r\n" + long + ":\t v \r\nstrict-transport-security: max-age=1\r\n",
			":status=599 " + strings.ToLower(long) + "=v  strict-transport-security=max-age=1"},
		{"HTTP/1.1 304 Not Modified\r\n", ":status=304"},
	}
	for _, c := range cases {
		var e blockEncoder
		e.reset(false)
		if code := e.http1Head([]byte(c.head)); code == 0 {
			t.Fatalf("%q: not read", c.head)
		}
		var got []string
		for _, f := range decodeBlock(t, e.b) {
			got = append(got, f.Name+"="+f.Value)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.head, g, c.want)
		}
	}
	// One encoder through all of them, twice, and through variants that
	// share a prefix with the head before (its memo of encoded lines),
	// gives what a fresh encoder gives.
	var shared blockEncoder
	heads := []string{}
	for _, c := range cases {
		heads = append(heads, c.head, c.head, c.head+"X-More: 1\r\n", c.head[:len(c.head)-3], c.head)
	}
	heads = append(heads, heads...)
	for _, h := range heads {
		var fresh blockEncoder
		fresh.reset(false)
		fresh.http1Head([]byte(h))
		shared.reset(false)
		shared.http1Head([]byte(h))
		if string(shared.b) != string(fresh.b) {
			t.Fatalf("%q: the memo gave %x, a fresh encoder %x", h, shared.b, fresh.b)
		}
	}

	var e blockEncoder
	if e.http1Head([]byte("HTTP/1.1 2x0 OK\r\n")) != 0 || e.http1Head([]byte("nonsense")) != 0 {
		t.Error("a bad status line was read")
	}
	// A block after a table size change starts with an update to 0.
	e.reset(true)
	e.http1Head([]byte("HTTP/1.1 200 OK\r\n"))
	d := hpack.NewDecoder(4096, nil)
	d.SetAllowedMaxDynamicTableSize(0)
	if _, err := d.DecodeFull(e.b); err != nil || e.b[0] != 0x20 {
		t.Fatalf("size update: %x %v", e.b, err)
	}
}

// Integers past their prefix (RFC 7541 §5.1).
func TestAppendInt(t *testing.T) {
	for _, v := range []uint64{0, 14, 15, 16, 127, 128, 1337, 1 << 20} {
		b := appendInt(nil, 0, 7, v)
		b = append(b, strings.Repeat("x", int(min(v, 2000)))...)
		if v > 2000 {
			continue
		}
		var e blockEncoder
		e.b = append(e.b, 0) // literal, new name
		e.b = appendString(e.b, []byte("n"))
		e.b = appendString(e.b, []byte(strings.Repeat("x", int(v))))
		f := decodeBlock(t, e.b)
		if len(f) != 1 || len(f[0].Value) != int(v) {
			t.Errorf("%d: %v", v, f)
		}
	}
	if got := fmt.Sprintf("%x", appendInt(nil, 0, 5, 1337)); got != "1f9a0a" {
		t.Errorf("1337 with a 5-bit prefix: %s, want 1f9a0a (RFC 7541 C.1.2)", got)
	}
}

// BenchmarkHTTP1Head measures encoding an edge hit's head, hit after hit
// on one object.
func BenchmarkHTTP1Head(b *testing.B) {
	head := []byte("HTTP/1.1 200 OK\r\nCache-Control: max-age=86400\r\nContent-Type: application/octet-stream\r\n" +
		"Date: Wed, 25 Nov 2026 22:31:00 GMT\r\nEtag: \"abc\"\r\nLast-Modified: Wed, 25 Nov 2026 22:00:00 GMT\r\n" +
		"Content-Length: 1024\r\nAccept-Ranges: bytes\r\nVia: 1.1 e1 (pharos)\r\nX-Cache: Hit from pharos\r\n" +
		"X-Pharos-Pop: pop1\r\nAge: 12\r\nCache-Status: pharos; hit; ttl=86388\r\nX-Pharos-Request-Id: e1-0a1b2c3d-2k9\r\n")
	var e blockEncoder
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		// Another hit on the same object: the request id differs.
		n++
		head[len(head)-3] = byte('0' + n%10)
		e.reset(false)
		e.http1Head(head)
	}
}
