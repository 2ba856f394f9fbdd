package edge

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// parseWant is what parseHead should make of a head. For a punt or a bad
// head only those flags are checked: the other fields are not meant to be
// used then.
type parseWant struct {
	method, target, host string
	http10, close        bool
	punt, bad            bool
}

type parseCase struct {
	name string
	head string // as readHead passes it: request line and fields, each ending in CRLF
	want parseWant
}

const hostLine = "Host: www.example.com\r\n"

func get11(fields string) string { return "GET /a HTTP/1.1\r\n" + hostLine + fields }

var punt = parseWant{punt: true}

var parseCases = []parseCase{
	// Plain requests the fast path answers.
	{"GET", "GET /a HTTP/1.1\r\n" + hostLine,
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"HEAD", "HEAD /a/b.css HTTP/1.1\r\n" + hostLine,
		parseWant{method: "HEAD", target: "/a/b.css", host: "www.example.com"}},
	{"root", "GET / HTTP/1.1\r\n" + hostLine,
		parseWant{method: "GET", target: "/", host: "www.example.com"}},
	{"query kept raw", "GET /a?x=1&y=%3D&z=%2F HTTP/1.1\r\n" + hostLine,
		parseWant{method: "GET", target: "/a?x=1&y=%3D&z=%2F", host: "www.example.com"}},
	{"host with port", "GET /a HTTP/1.1\r\nHost: www.example.com:8080\r\n",
		parseWant{method: "GET", target: "/a", host: "www.example.com:8080"}},
	{"host OWS trimmed", "GET /a HTTP/1.1\r\nHost: \t www.example.com \t\r\n",
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"host without space", "GET /a HTTP/1.1\r\nHost:www.example.com\r\n",
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"host name case", "GET /a HTTP/1.1\r\nhOST: www.example.com\r\n",
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"host after other fields", "GET /a HTTP/1.1\r\nUser-Agent: t\r\nAccept: */*\r\nHost: h.test\r\nCookie: a=b\r\n",
		parseWant{method: "GET", target: "/a", host: "h.test"}},
	{"no final CRLF", "GET /a HTTP/1.1\r\nHost: h.test",
		parseWant{method: "GET", target: "/a", host: "h.test"}},
	{"Content-Length 0", get11("Content-Length: 0\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"Content-Length 0 with OWS", get11("content-length:  0 \r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"empty value of another field", get11("X-Empty:\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"obs-text in a value", get11("X-Name: caf\xc3\xa9\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"tab inside a value", get11("X-Tab: a\tb\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"If- prefix only in a longer name", get11("X-If-None-Match: x\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},

	// HTTP/1.0: close unless keep-alive; Host optional.
	{"1.0 without Host closes", "GET /a HTTP/1.0\r\n",
		parseWant{method: "GET", target: "/a", http10: true, close: true}},
	{"1.0 request line only, no CRLF", "GET /a HTTP/1.0",
		parseWant{method: "GET", target: "/a", http10: true, close: true}},
	{"1.0 with Host closes", "GET /a HTTP/1.0\r\n" + hostLine,
		parseWant{method: "GET", target: "/a", host: "www.example.com", http10: true, close: true}},
	{"1.0 keep-alive", "GET /a HTTP/1.0\r\n" + hostLine + "Connection: keep-alive\r\n",
		parseWant{method: "GET", target: "/a", host: "www.example.com", http10: true}},
	{"1.0 Keep-Alive any case", "GET /a HTTP/1.0\r\nCONNECTION: Keep-Alive\r\n",
		parseWant{method: "GET", target: "/a", http10: true}},
	{"1.0 keep-alive in a token list", "GET /a HTTP/1.0\r\nConnection: x-foo , keep-alive\r\n",
		parseWant{method: "GET", target: "/a", http10: true}},
	{"1.0 keep-alive and close", "GET /a HTTP/1.0\r\nConnection: keep-alive, close\r\n",
		parseWant{method: "GET", target: "/a", http10: true, close: true}},
	{"1.0 keep-alive then close field", "GET /a HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n",
		parseWant{method: "GET", target: "/a", http10: true, close: true}},
	{"1.0 keep-alive-ish token is not keep-alive", "GET /a HTTP/1.0\r\nConnection: keep-alives\r\n",
		parseWant{method: "GET", target: "/a", http10: true, close: true}},
	{"1.0 HEAD", "HEAD /a HTTP/1.0\r\n",
		parseWant{method: "HEAD", target: "/a", http10: true, close: true}},

	// HTTP/1.1 Connection.
	{"1.1 close", get11("Connection: close\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com", close: true}},
	{"1.1 CLOSE", get11("connection: CLOSE\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com", close: true}},
	{"1.1 close in a list", get11("Connection: keep-alive,x-a ,\tClose\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com", close: true}},
	{"1.1 close in a second field", get11("Connection: x-a\r\nConnection: close\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com", close: true}},
	{"1.1 keep-alive stays open", get11("Connection: keep-alive\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"1.1 closed is not close", get11("Connection: closed, xclose\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},
	{"1.1 empty Connection", get11("Connection:\r\n"),
		parseWant{method: "GET", target: "/a", host: "www.example.com"}},

	// Methods and targets the fast path leaves to net/http.
	{"POST", "POST /a HTTP/1.1\r\n" + hostLine, punt},
	{"PUT", "PUT /a HTTP/1.1\r\n" + hostLine, punt},
	{"OPTIONS", "OPTIONS /a HTTP/1.1\r\n" + hostLine, punt},
	{"OPTIONS *", "OPTIONS * HTTP/1.1\r\n" + hostLine, punt},
	{"GET *", "GET * HTTP/1.1\r\n" + hostLine, punt},
	{"lower-case method", "get /a HTTP/1.1\r\n" + hostLine, punt},
	{"CONNECT authority-form", "CONNECT www.example.com:443 HTTP/1.1\r\n" + hostLine, punt},
	{"absolute-form", "GET http://www.example.com/a HTTP/1.1\r\n" + hostLine, punt},
	{"absolute-form on 1.0", "GET http://www.example.com/a HTTP/1.0\r\n", punt},
	{"escaped slash in path", "GET /a%2Fb HTTP/1.1\r\n" + hostLine, punt},
	{"escaped letter in path", "GET /%61 HTTP/1.1\r\n" + hostLine, punt},
	{"escaped path with query", "GET /a%20b?x=1 HTTP/1.1\r\n" + hostLine, punt},
	{"fragment", "GET /a#frag HTTP/1.1\r\n" + hostLine, punt},
	{"fragment in query", "GET /a?x#frag HTTP/1.1\r\n" + hostLine, punt},
	{"empty target", "GET  HTTP/1.1\r\n" + hostLine, punt},
	{"two spaces after method", "GET  /a HTTP/1.1\r\n" + hostLine, punt},
	{"two spaces before version", "GET /a  HTTP/1.1\r\n" + hostLine, punt},
	{"space after version", "GET /a HTTP/1.1 \r\n" + hostLine, punt},
	{"tab as separator", "GET\t/a HTTP/1.1\r\n" + hostLine, punt},
	{"no version", "GET /a\r\n" + hostLine, punt},
	{"HTTP/0.9 style", "GET /a\r\n", punt},
	{"HTTP/2.0", "GET /a HTTP/2.0\r\n" + hostLine, punt},
	{"HTTP/1.2", "GET /a HTTP/1.2\r\n" + hostLine, punt},
	{"HTTP/1.10", "GET /a HTTP/1.10\r\n" + hostLine, punt},
	{"lower-case version", "GET /a http/1.1\r\n" + hostLine, punt},
	{"leading empty line", "\r\nGET /a HTTP/1.1\r\n" + hostLine, punt},
	{"empty head", "", punt},

	// Fields that need the full path.
	{"If-None-Match", get11("If-None-Match: \"x\"\r\n"), punt},
	{"If-Modified-Since", get11("If-Modified-Since: Sat, 29 Oct 1994 19:43:31 GMT\r\n"), punt},
	{"If-Range", get11("If-Range: \"x\"\r\n"), punt},
	{"If-Match", get11("If-Match: *\r\n"), punt},
	{"If-Unmodified-Since", get11("If-Unmodified-Since: Sat, 29 Oct 1994 19:43:31 GMT\r\n"), punt},
	{"if-none-match lower case", get11("if-none-match: *\r\n"), punt},
	{"Range", get11("Range: bytes=0-1\r\n"), punt},
	{"RANGE", get11("RANGE: bytes=0-1\r\n"), punt},
	{"Expect", get11("Expect: 100-continue\r\n"), punt},
	{"Upgrade", get11("Connection: upgrade\r\nUpgrade: websocket\r\n"), punt},
	{"Authorization", get11("Authorization: Bearer x\r\n"), punt},
	{"authorization lower case", get11("authorization: Basic eDp5\r\n"), punt},
	{"Transfer-Encoding", get11("Transfer-Encoding: chunked\r\n"), punt},
	{"Transfer-Encoding identity", get11("transfer-encoding: identity\r\n"), punt},
	{"Content-Length 5", get11("Content-Length: 5\r\n"), punt},
	{"Content-Length 00", get11("Content-Length: 00\r\n"), punt},
	{"Content-Length +0", get11("Content-Length: +0\r\n"), punt},
	{"Content-Length empty", get11("Content-Length:\r\n"), punt},
	{"Content-Length list", get11("Content-Length: 0, 0\r\n"), punt},
	{"punt field before Host", "GET /a HTTP/1.1\r\nRange: bytes=0-1\r\n" + hostLine, punt},

	// Malformed or unusual field lines.
	{"obs-fold with space", get11("X-A: b\r\n c\r\n"), punt},
	{"obs-fold with tab", get11("X-A: b\r\n\tc\r\n"), punt},
	{"obs-fold of Host", "GET /a HTTP/1.1\r\nHost: www.\r\n example.com\r\n", punt},
	{"space before colon", "GET /a HTTP/1.1\r\nHost : www.example.com\r\n", punt},
	{"tab before colon", "GET /a HTTP/1.1\r\nHost\t: www.example.com\r\n", punt},
	{"space before colon, other field", get11("X-A : b\r\n"), punt},
	{"no colon", get11("X-A b\r\n"), punt},
	{"empty name", get11(": b\r\n"), punt},
	{"empty line inside the head", get11("\r\nX-A: b\r\n"), punt},
	{"NUL in a value", get11("X-A: a\x00b\r\n"), punt},
	{"DEL in a value", get11("X-A: a\x7fb\r\n"), punt},
	{"ESC in a value", get11("X-A: \x1b[0m\r\n"), punt},
	{"control char in target", "GET /a\x01b HTTP/1.1\r\n" + hostLine, punt},
	{"control char in Host", "GET /a HTTP/1.1\r\nHost: www.example.com\x0b\r\n", punt},
	{"bare LF ending the request line", "GET /a HTTP/1.1\n" + hostLine, punt},
	{"bare LF ending a field", "GET /a HTTP/1.1\r\nHost: www.example.com\nX-A: b\r\n", punt},
	{"bare LF everywhere", "GET /a HTTP/1.1\nHost: www.example.com\n", punt},
	{"bare LF inside a value", get11("X-A: a\nb\r\n"), punt},

	// Host.
	{"1.1 without Host", "GET /a HTTP/1.1\r\nUser-Agent: t\r\n", punt},
	{"1.1 request line only", "GET /a HTTP/1.1\r\n", punt},
	{"two Host fields", "GET /a HTTP/1.1\r\n" + hostLine + hostLine, punt},
	{"two different Host fields", "GET /a HTTP/1.1\r\nHost: a.test\r\nhost: b.test\r\n", punt},
	{"two Host fields on 1.0", "GET /a HTTP/1.0\r\n" + hostLine + "Host: other.test\r\n", punt},

	// Ambiguous framing: refused outright.
	{"CL then TE", get11("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), parseWant{punt: true, bad: true}},
	{"TE then CL", get11("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"), parseWant{punt: true, bad: true}},
	{"cl and te lower case", get11("content-length: 5\r\ntransfer-encoding: chunked\r\n"), parseWant{punt: true, bad: true}},
	{"CL and TE upper case", get11("CONTENT-LENGTH: 5\r\nTRANSFER-ENCODING: CHUNKED\r\n"), parseWant{punt: true, bad: true}},
	{"CL 0 and TE", get11("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n"), parseWant{punt: true, bad: true}},
	{"TE and CL 0", get11("Transfer-Encoding: chunked\r\nContent-Length: 0\r\n"), parseWant{punt: true, bad: true}},
	{"CL and TE identity", get11("Content-Length: 3\r\nTransfer-Encoding: identity\r\n"), parseWant{punt: true, bad: true}},
	{"CL, TE, with other fields between", get11("Content-Length: 3\r\nX-A: b\r\nRange: bytes=0-1\r\nTransfer-Encoding: chunked\r\n"), parseWant{punt: true, bad: true}},
	{"CL and TE on HEAD", "HEAD /a HTTP/1.1\r\n" + hostLine + "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n", parseWant{punt: true, bad: true}},
	{"CL and TE on 1.0", "GET /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n", parseWant{punt: true, bad: true}},
	{"CL and TE without Host", "GET /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n", parseWant{punt: true, bad: true}},
}

func checkParse(t *testing.T, head string, want parseWant) {
	t.Helper()
	var r fastRequest
	r.method = []byte("junk from an earlier request") // parseHead must reset it
	r.punt, r.bad, r.close = true, true, true
	parseHead([]byte(head), &r)
	if r.bad != want.bad {
		t.Errorf("bad = %v, want %v", r.bad, want.bad)
	}
	if want.bad || want.punt {
		if !r.punt {
			t.Errorf("punt = false, want true (method %q target %q host %q)", r.method, r.target, r.host)
		}
		return
	}
	if r.punt {
		t.Fatalf("punt = true, want false")
	}
	if string(r.method) != want.method || string(r.target) != want.target || string(r.host) != want.host {
		t.Errorf("method %q target %q host %q, want %q %q %q", r.method, r.target, r.host, want.method, want.target, want.host)
	}
	if r.http10 != want.http10 || r.close != want.close {
		t.Errorf("http10 %v close %v, want %v %v", r.http10, r.close, want.http10, want.close)
	}
}

func TestParseHead(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) { checkParse(t, c.head, c.want) })
	}
}

// TestParseHeadAgreesWithNetHTTP runs every accepted table head through
// the same differential check as the fuzz target.
func TestParseHeadAgreesWithNetHTTP(t *testing.T) {
	for _, c := range parseCases {
		if c.want.punt || c.want.bad {
			continue
		}
		t.Run(c.name, func(t *testing.T) { checkParseInvariants(t, []byte(c.head)) })
	}
}

// TestParseHeadStrictness: heads that net/http refuses with 400 but
// that parseHead accepts as plain hits (no punt), so the fast path answers
// them with a cached 200. The design asks the fast path for RFC 9112
// parsing; the parser's own doc says "anything it does not fully
// understand sets punt, so that net/http, the reference parser, decides".
func TestParseHeadStrictness(t *testing.T) {
	cases := []struct{ name, head string }{
		// RFC 9112 §2.2: a bare CR must be treated as invalid (or replaced
		// with SP); net/http refuses "malformed MIME header line".
		{"bare CR inside a value", get11("X-A: a\rb\r\n")},
		{"bare CR ending a value", get11("X-A: a\r\r\n")},
		{"bare CR inside Host", "GET /a HTTP/1.1\r\nHost: www.example.com\rX\r\n"},
		// RFC 9112 §3.2: no whitespace inside the request-target; net/url
		// refuses control characters, HTAB included.
		{"tab inside the target", "GET /a\tb HTTP/1.1\r\n" + hostLine},
		{"tab ending the target", "GET /a\t HTTP/1.1\r\n" + hostLine},
		// RFC 9110 §5.1: a field name is a token; net/http refuses others.
		{"parenthesis in a field name", get11("X(: y\r\n")},
		{"space inside a field name", get11("X A: y\r\n")},
		{"slash in a field name", get11("X/A: y\r\n")},
		// RFC 9112 §3.2 / net/http "malformed Host header".
		{"space inside Host", "GET /a HTTP/1.1\r\nHost: www.exa mple.com\r\n"},
		{"slash inside Host", "GET /a HTTP/1.1\r\nHost: www.example.com/x\r\n"},
		// net/http (and RFC 9112 §9.3 for HTTP/1.0) reads every Connection
		// field: close anywhere means close.
		{"1.0 close then keep-alive field", "GET /a HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkParseInvariants(t, []byte(c.head)) })
	}
}

// FuzzParseHead: parseHead never panics, what it accepts satisfies the
// invariants the fast path relies on, and net/http accepts it too and
// reads the same method, request-target, Host and connection persistence.
func FuzzParseHead(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c.head))
	}
	f.Add([]byte("GET /a HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nAccept-Encoding: gzip\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		checkParseInvariants(t, head)
	})
}

func isTokenChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validHostChars mirrors httpguts.ValidHostHeader, which net/http's
// server applies to Host.
func validHostChars(h []byte) bool {
	for _, c := range h {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c != 0 && strings.IndexByte("!$%&'()*+,-.:;=[]_~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// checkParseInvariants parses head and, when parseHead accepts it, checks
// it against the invariants and against net/http.
func checkParseInvariants(t *testing.T, head []byte) {
	t.Helper()
	orig := append([]byte(nil), head...)
	var r fastRequest
	parseHead(head, &r)
	if !bytes.Equal(head, orig) {
		t.Fatalf("parseHead modified its input")
	}
	if r.bad {
		lower := bytes.ToLower(head)
		if !bytes.Contains(lower, []byte("content-length")) || !bytes.Contains(lower, []byte("transfer-encoding")) {
			t.Fatalf("bad without both Content-Length and Transfer-Encoding: %q", head)
		}
		if !r.punt {
			t.Fatalf("bad but not punt: %q", head)
		}
	}
	if r.punt || r.bad {
		return
	}
	// Invariants of an accepted head.
	m, target, host := string(r.method), string(r.target), string(r.host)
	if m != "GET" && m != "HEAD" {
		t.Fatalf("accepted method %q", m)
	}
	if target == "" || target[0] != '/' {
		t.Fatalf("accepted target %q", target)
	}
	path, _, _ := strings.Cut(target, "?")
	if strings.ContainsAny(path, "% ") || strings.ContainsAny(target, "# ") {
		t.Fatalf("accepted target %q", target)
	}
	for _, c := range []byte(target + host) {
		if c < 0x20 || c == 0x7f {
			t.Fatalf("accepted control byte %#x in target %q or host %q", c, target, host)
		}
	}
	if host != strings.Trim(host, " \t") {
		t.Fatalf("host %q not trimmed", host)
	}
	version := "HTTP/1.1"
	if r.http10 {
		version = "HTTP/1.0"
		if !r.close && !bytes.Contains(bytes.ToLower(head), []byte("keep-alive")) {
			t.Fatalf("HTTP/1.0 kept open without keep-alive: %q", head)
		}
	}
	line, _, _ := bytes.Cut(head, crlf)
	if string(line) != m+" "+target+" "+version {
		t.Fatalf("request line %q read as %q %q %q", line, m, target, version)
	}
	if !r.http10 && !bytes.Contains(bytes.ToLower(head), []byte("host:")) {
		t.Fatalf("HTTP/1.1 accepted without Host: %q", head)
	}
	for _, s := range [][]byte{r.method, r.target, r.host} {
		if len(s) > 0 && !bytes.Contains(head, s) {
			t.Fatalf("field %q is not from the head", s)
		}
	}

	// Differential: net/http's reader on the same bytes.
	raw := append(append([]byte(nil), head...), "\r\n\r\n"...)
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("parseHead accepted %q; http.ReadRequest refused it: %v", head, err)
	}
	if req.Method != m || req.RequestURI != target || req.Host != host {
		t.Fatalf("%q: parseHead read %q %q host %q; net/http %q %q host %q", head, m, target, host, req.Method, req.RequestURI, req.Host)
	}
	if req.Close != r.close {
		t.Fatalf("%q: parseHead close=%v; net/http Close=%v", head, r.close, req.Close)
	}
	// And net/http's server, which checks more (field names, Host).
	if sr, status := serveOnce(raw); sr == nil {
		t.Fatalf("parseHead accepted %q; net/http's server answered %d", head, status)
	} else if sr.Method != m || sr.RequestURI != target || sr.Host != host {
		t.Fatalf("%q: parseHead read %q %q host %q; net/http's server %q %q host %q", head, m, target, host, sr.Method, sr.RequestURI, sr.Host)
	}
}

// serveOnce feeds raw to a net/http server over an in-memory connection
// and returns the request its handler saw (nil when it refused it) and the
// status it answered.
func serveOnce(raw []byte) (*http.Request, int) {
	var got *http.Request
	c := &memConn{r: bytes.NewReader(raw), closed: make(chan struct{})}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r
			w.WriteHeader(http.StatusNoContent)
		}),
		ErrorLog: nil,
	}
	srv.Serve(&oneConnListener{c: c})
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
		return nil, -1
	}
	c.mu.Lock()
	out := c.out.Bytes()
	c.mu.Unlock()
	status := -1
	if resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil); err == nil {
		status = resp.StatusCode
	}
	return got, status
}

// memConn is a net.Conn that reads from r (then EOF) and records writes.
type memConn struct {
	r      *bytes.Reader
	mu     sync.Mutex
	out    bytes.Buffer
	once   sync.Once
	closed chan struct{}
}

func (c *memConn) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *memConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}
func (c *memConn) Close() error                     { c.once.Do(func() { close(c.closed) }); return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1234} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// oneConnListener yields one connection, then reports itself closed.
type oneConnListener struct {
	mu sync.Mutex
	c  net.Conn
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		return nil, errors.New("done")
	}
	c := l.c
	l.c = nil
	return c, nil
}
func (l *oneConnListener) Close() error   { return nil }
func (l *oneConnListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
