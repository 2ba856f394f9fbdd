package h2

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// Malformed requests (RFC 9113 §8.1.1) are stream errors of type
// PROTOCOL_ERROR: the stream is reset, the handler never runs, the
// connection goes on.
func TestMalformedRequests(t *testing.T) {
	var calls atomic.Int64
	ts := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "ok")
	})})
	base := func(skip string) []string {
		var kv []string
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", "/"}} {
			if f[0] != skip {
				kv = append(kv, f[0], f[1])
			}
		}
		return kv
	}
	cases := []struct {
		name string
		kv   []string
		body []string // DATA frames; the last ends the stream
	}{
		{"no :method", base(":method"), nil},
		{"no :scheme", base(":scheme"), nil},
		{"no :path", base(":path"), nil},
		{"empty :path", append(base(":path"), ":path", ""), nil},
		{"absolute-form :path", append(base(":path"), ":path", "https://localhost/"), nil},
		{"duplicate :path", append(base(""), ":path", "/again"), nil},
		{"unknown pseudo-header", append(base(""), ":foo", "bar"), nil},
		{"response pseudo-header", append(base(""), ":status", "200"), nil},
		{"pseudo-header after a regular field", append([]string{"accept", "*/*"}, base("")...), nil},
		{"upper-case name", append(base(""), "X-Upper", "1"), nil},
		{"connection", append(base(""), "connection", "keep-alive"), nil},
		{"keep-alive", append(base(""), "keep-alive", "5"), nil},
		{"proxy-connection", append(base(""), "proxy-connection", "keep-alive"), nil},
		{"transfer-encoding", append(base(""), "transfer-encoding", "chunked"), nil},
		{"upgrade", append(base(""), "upgrade", "websocket"), nil},
		{"te other than trailers", append(base(""), "te", "gzip"), nil},
		{"control character in a value", append(base(""), "x-bad", "a\x00b"), nil},
		{"content-length above the body", append(base(""), "content-length", "10"), []string{"short"}},
		{"content-length below the body", append(base(""), "content-length", "3"), []string{"longer", "x"}},
		{"two content-lengths", append(base(""), "content-length", "3", "content-length", "4"), []string{"abc"}},
		{"content-length, no body", append(base(""), "content-length", "3"), []string{}},
	}
	rc := ts.dialRaw(t)
	id := uint32(1)
	for _, c := range cases {
		end := c.body == nil
		rc.headers(id, end, rc.block(c.kv...))
		for i, d := range c.body {
			rc.fr.WriteData(id, i == len(c.body)-1, []byte(d))
		}
		if c.body != nil && len(c.body) == 0 {
			rc.fr.WriteData(id, true, nil)
		}
		if code := rc.reset(id); code != http2.ErrCodeProtocol {
			t.Errorf("%s: RST_STREAM %v, want PROTOCOL_ERROR", c.name, code)
		}
		id += 2
	}
	if n := calls.Load(); n > 3 {
		// The last three are refused only once their body disagrees.
		t.Errorf("the handler ran %d times", n)
	}
	// te: trailers is allowed; trailers end a body; the connection is fine.
	rc.headers(id, false, rc.block(append(base(""), "te", "trailers", "content-length", "2")...))
	rc.fr.WriteData(id, false, []byte("ab"))
	rc.headers(id, true, rc.block("x-trailer", "v"))
	if r := rc.response(id); string(r.body) != "ok" {
		t.Fatalf("after the malformed ones: %s %q", r.status, r.body)
	}
	// A trailer block with a pseudo-header field is malformed.
	id += 2
	rc.headers(id, false, rc.block(base("")...))
	rc.headers(id, true, rc.block(":path", "/x"))
	if code := rc.reset(id); code != http2.ErrCodeProtocol {
		t.Errorf("pseudo-header in trailers: %v", code)
	}
}

// Connection errors end the connection with GOAWAY and the right code.
func TestConnectionErrors(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(echoHandler)})
	cases := []struct {
		name string
		send func(rc *rawConn)
		code http2.ErrCode
	}{
		{"even stream id", func(rc *rawConn) { rc.get(2, "/") }, http2.ErrCodeProtocol},
		{"decreasing stream id", func(rc *rawConn) { rc.get(5, "/"); rc.get(3, "/") }, http2.ErrCodeProtocol},
		{"HEADERS on a closed stream", func(rc *rawConn) {
			rc.get(1, "/sized/1")
			rc.response(1)
			rc.get(1, "/")
		}, http2.ErrCodeProtocol},
		{"DATA on an idle stream", func(rc *rawConn) { rc.fr.WriteData(7, true, []byte("x")) }, http2.ErrCodeProtocol},
		{"WINDOW_UPDATE on an idle stream", func(rc *rawConn) { rc.fr.WriteWindowUpdate(9, 1) }, http2.ErrCodeProtocol},
		{"RST_STREAM on an idle stream", func(rc *rawConn) { rc.fr.WriteRSTStream(9, http2.ErrCodeCancel) }, http2.ErrCodeProtocol},
		{"bad HPACK", func(rc *rawConn) { rc.headers(1, true, []byte{0xff, 0xff, 0xff, 0xff, 0xff}) }, http2.ErrCodeCompression},
		{"frame over MAX_FRAME_SIZE", func(rc *rawConn) {
			rc.headers(1, false, rc.block(":method", "POST", ":scheme", "https", ":authority", "a", ":path", "/"))
			// The framer will not write it: the frame header by hand.
			rc.c.Write(append(appendFrameHeader(nil, readFrameSize+1, http2.FrameData, 0, 1), make([]byte, readFrameSize+1)...))
		}, http2.ErrCodeFrameSize},
		{"PUSH_PROMISE", func(rc *rawConn) {
			rc.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: rc.block(":method", "GET"), EndHeaders: true})
		}, http2.ErrCodeProtocol},
		{"connection window overflow", func(rc *rawConn) { rc.fr.WriteWindowUpdate(0, 1<<31-1) }, http2.ErrCodeFlowControl},
		{"initial window too large", func(rc *rawConn) {
			rc.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31})
		}, http2.ErrCodeFlowControl},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := ts.dialRaw(t)
			c.send(rc)
			if ga := rc.goAway(); ga.ErrCode != c.code {
				t.Errorf("GOAWAY %v, want %v", ga.ErrCode, c.code)
			}
			if !rc.closed(5 * time.Second) {
				t.Error("the connection stayed open")
			}
		})
	}
	// A connection that opens with something other than SETTINGS.
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ts.addr,
		&tls.Config{RootCAs: ts.roots, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.WritePing(false, [8]byte{})
	rc := &rawConn{t: t, c: c, fr: fr}
	if ga := rc.goAway(); ga.ErrCode != http2.ErrCodeProtocol {
		t.Errorf("no SETTINGS first: GOAWAY %v", ga.ErrCode)
	}
	// Not HTTP/2 at all: closed without an answer.
	c2, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ts.addr,
		&tls.Config{RootCAs: ts.roots, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	io.WriteString(c2, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, _ := io.ReadAll(c2)
	if strings.Contains(string(b), "HTTP/1.1") {
		t.Errorf("HTTP/1.1 on an h2 connection was answered: %q", b)
	}
}

// Header lists over MaxHeaderListSize are answered 431, as net/http does.
func TestHeaderListTooLarge(t *testing.T) {
	ts := serve(t, &Server{MaxHeaderListSize: 1000, Handler: http.HandlerFunc(echoHandler)})
	rc := ts.dialRaw(t)
	rc.get(1, "/sized/1", "x-big", strings.Repeat("v", 2000))
	if r := rc.response(1); r.status != "431" {
		t.Fatalf("status %s", r.status)
	}
	rc.get(3, "/sized/2")
	if r := rc.response(3); r.status != "200" {
		t.Fatalf("after the 431: %s", r.status)
	}
}
