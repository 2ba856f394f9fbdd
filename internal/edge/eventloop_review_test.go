//go:build linux

package edge

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"weak"

	"github.com/pharos-cdn/pharos/internal/httpcache"
)

// These tests review the event loops (eventloop_linux.go) against what
// clients and the process can do to them: bodies of many chunks, memory an
// idle connection keeps, a failing listener, resets, half-closes, exact
// limits, and a seeded random mix of requests split at random bytes.

// reviewOrigin serves bodies of known bytes (fpBody's pattern) at
// /b/<size>, and "body of <uri>" elsewhere. It writes a body in 32 KiB
// pieces and keeps none of it.
func reviewOrigin(t *testing.T) *testOrigin {
	piece := fpBody(32<<10 + 26)
	return newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "max-age=600")
		size, ok := strings.CutPrefix(r.URL.Path, "/b/")
		if !ok {
			io.WriteString(w, "body of "+r.URL.RequestURI())
			return
		}
		n, err := strconv.Atoi(size)
		if err != nil {
			http.Error(w, "bad size", http.StatusBadRequest)
			return
		}
		h.Set("Content-Length", size)
		// The pattern repeats every 26 bytes: piece[off%26:] goes on from off.
		for off := 0; off < n; {
			m := min(32<<10, n-off)
			if _, err := w.Write(piece[off%26 : off%26+m]); err != nil {
				return
			}
			off += m
		}
	})
}

// patternAt is byte i of fpBody's pattern.
func patternAt(i int) byte { return byte('a' + i*7%26) }

// readPattern reads a body of n bytes from br and checks it against the
// pattern without keeping it.
func readPattern(br *bufio.Reader, n int) error {
	var buf [32 << 10]byte
	for off := 0; off < n; {
		m, err := br.Read(buf[:min(len(buf), n-off)])
		for i := range m {
			if buf[i] != patternAt(off+i) {
				return fmt.Errorf("byte %d is %q, want %q", off+i, buf[i], patternAt(off+i))
			}
		}
		off += m
		if err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", off, n, err)
		}
	}
	return nil
}

// fillBig fills target with a miss whose body is read and dropped.
func fillBig(t *testing.T, e *servedEdge, target string) {
	t.Helper()
	rc := dialRaw(t, e.addr)
	defer rc.c.Close()
	rc.send(rq("GET", target))
	r := rc.read(true)
	n, _ := strconv.Atoi(r.get("Content-Length"))
	if r.status != 200 || r.get("X-Cache") != xMiss || n == 0 {
		t.Fatalf("filling %s: %v", target, r)
	}
	if err := readPattern(rc.br, n); err != nil {
		t.Fatalf("filling %s: %v", target, err)
	}
	waitStored(t, e.s, target, false)
}

// storedObjectChunks lists the chunks of target's stored body.
func storedObjectChunks(t *testing.T, s *Server, target string) [][]byte {
	t.Helper()
	b := s.table.Load().Lookup(fpHost).Match(target)
	o := s.store.Get(httpcache.AppendKey(nil, fpHost, target, "", http.Header{}, &b.keyPolicy))
	if o == nil {
		t.Fatalf("%s is not stored", target)
	}
	chunks, complete := o.Chunks(nil)
	if !complete {
		t.Fatalf("%s is not complete in memory", target)
	}
	return chunks
}

// A memory hit whose body has more chunks than one writev takes (IOV_MAX,
// 1024) is answered whole: the loop writes it in batches of iovecs.
func TestEventLoopBodyOfManyChunks(t *testing.T) {
	org := reviewOrigin(t)
	e := serveEdge(t, org, edgeOpts{cacheMem: 128 << 20, maxObject: 64 << 20})
	const size = 33<<20 + 1 // fills read 32 KiB at most: more than 1024 chunks
	target := fmt.Sprintf("/b/%d", size)
	fillBig(t, e, target)
	if n := len(storedObjectChunks(t, e.s, target)); n <= 1024 {
		t.Fatalf("the body has %d chunks; the test needs more than 1024", n)
	}
	base := e.s.Stats().LoopMoves
	rc := dialRaw(t, e.addr)
	rc.send(rq("GET", target) + rq("HEAD", target))
	r, err := rc.readErr(true)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	wantResp(t, "GET", r, 200, xHit, nil)
	if !r.fast() {
		t.Errorf("not answered by the fast path: %v", r.lines)
	}
	if err := readPattern(rc.br, size); err != nil {
		t.Fatalf("body: %v", err)
	}
	r = rc.read(true)
	wantResp(t, "HEAD after it", r, 200, xHit, nil)
	if cl := r.get("Content-Length"); cl != strconv.Itoa(size) {
		t.Errorf("HEAD: Content-Length %q", cl)
	}
	// The socket took part of it; a goroutine wrote the rest.
	waitLoop(t, e.s, 0, base+1)
}

// An idle connection keeps no output buffer: a loop gathers a batch's
// answers (up to 128 KiB and a body) in a buffer of its own, not one per
// connection that stays as large as its largest batch.
func TestEventLoopIdleConnsKeepNoOutput(t *testing.T) {
	org := reviewOrigin(t)
	e := serveEdge(t, org, edgeOpts{})
	const (
		conns  = 64
		target = "/b/10240" // copied beside its head
		batch  = 16         // 160 KiB of answers in one read
	)
	fillBig(t, e, target)
	base := e.s.Stats().LoopMoves
	cs := make([]net.Conn, conns)
	brs := make([]*bufio.Reader, conns)
	for i := range cs {
		c, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs[i], brs[i] = c, bufio.NewReaderSize(c, 4<<10)
	}
	waitLoop(t, e.s, conns, base)
	heap := func() int64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	before := heap()
	reqs := strings.Repeat(rq("GET", target), batch)
	for i, c := range cs {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, reqs); err != nil {
			t.Fatal(err)
		}
		for j := range batch {
			r, err := readRawResp(brs[i], true)
			if err != nil || r.status != 200 {
				t.Fatalf("conn %d answer %d: %v %v", i, j, r, err)
			}
			if err := readPattern(brs[i], 10240); err != nil {
				t.Fatalf("conn %d answer %d: %v", i, j, err)
			}
		}
	}
	grown := heap() - before
	t.Logf("the heap grew %d KiB with %d idle connections", grown>>10, conns)
	if grown > 4<<20 {
		t.Errorf("%d idle connections keep %d KiB each after a batch of %d answers", conns, grown/conns>>10, batch)
	}
}

// When Serve fails (its listener's Accept returns an error), it stops the
// loops as a shutdown does: their connections are not left open, served
// by goroutines nobody waits for.
func TestEventLoopServeErrorStopsLoops(t *testing.T) {
	org := fpOrigin(t, nil)
	s := New(Config{ID: "e1", POP: "tst", CacheMem: 16 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	apply(t, s, 1, simpleDist(distID('A'), fpHost, org.modelOrigin(t, "o"), nil))
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &failingListener{Listener: inner}
	ctx, cancel := context.WithCancel(context.Background())
	e := &servedEdge{s: s, addr: inner.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { e.done <- s.Serve(ctx, ln, 5*time.Second) }()
	t.Cleanup(func() {
		if err := e.stop(10 * time.Second); err != nil && !errors.Is(err, errListenerFailed) {
			t.Errorf("Serve: %v", err)
		}
	})
	fill(t, e, "/obj/f", false)
	base := s.Stats().LoopMoves
	idle := dialRaw(t, e.addr)
	idle.send(rq("GET", "/obj/f"))
	wantResp(t, "hit", idle.read(false), 200, xHit, []byte("body of /obj/f"))
	waitLoop(t, s, 1, base)

	ln.failed.Store(true)
	if c, err := net.Dial("tcp", e.addr); err == nil { // wakes Accept
		c.Close()
	}
	select {
	case err := <-e.done:
		e.once.Do(func() { e.err = err })
		if !errors.Is(err, errListenerFailed) {
			t.Fatalf("Serve returned %v, want the listener's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its listener failed")
	}
	idle.expectEOF(2 * time.Second)
	if n := s.Stats().LoopConns; n != 0 {
		t.Errorf("the loops still hold %d connections after Serve returned", n)
	}
}

var errListenerFailed = errors.New("accept: the listener failed")

// failingListener fails every Accept once failed is set.
type failingListener struct {
	net.Listener
	failed atomic.Bool
}

func (l *failingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil && l.failed.Load() {
		c.Close()
		return nil, errListenerFailed
	}
	return c, err
}

// An idle connection does not keep the body of the last object it was
// answered alive: once that object is purged, its memory can be freed.
func TestEventLoopIdleConnKeepsNoBody(t *testing.T) {
	org := reviewOrigin(t)
	e := serveEdge(t, org, edgeOpts{})
	const target = "/b/307200" // kept as chunks, not frozen
	fillBig(t, e, target)
	weakChunks := func() []weak.Pointer[byte] {
		var ws []weak.Pointer[byte]
		for _, c := range storedObjectChunks(t, e.s, target) {
			ws = append(ws, weak.Make(&c[0]))
		}
		return ws
	}()
	base := e.s.Stats().LoopMoves
	rc := dialRaw(t, e.addr)
	rc.send(rq("GET", target))
	r := rc.read(true)
	wantResp(t, "hit", r, 200, xHit, nil)
	if err := readPattern(rc.br, 307200); err != nil {
		t.Fatal(err)
	}
	waitLoop(t, e.s, 1, base) // answered in the loop, and idle there
	if n := e.s.Invalidate(Purge{DistributionID: distID('A'), Paths: []string{target}}); n != 1 {
		t.Fatalf("the purge removed %d objects", n)
	}
	runtime.GC()
	runtime.GC()
	kept := 0
	for _, w := range weakChunks {
		if w.Value() != nil {
			kept++
		}
	}
	if kept > 0 {
		t.Errorf("an idle connection keeps %d of the purged body's %d chunks alive", kept, len(weakChunks))
	}
}

// A request head of exactly 20,480 bytes (CloudFront's limit, the blank
// line included) is answered in the loop; one byte more gets 431.
func TestEventLoopHeadLimitExact(t *testing.T) {
	org := fpOrigin(t, nil)
	e := serveEdge(t, org, edgeOpts{})
	fill(t, e, "/obj/x", false)
	padded := func(size int) string {
		r := rq("GET", "/obj/x", "X-Pad: ")
		return rq("GET", "/obj/x", "X-Pad: "+strings.Repeat("p", size-len(r)))
	}
	if n := len(padded(maxRequestHead)); n != maxRequestHead {
		t.Fatalf("padded head is %d bytes", n)
	}
	base := e.s.Stats().LoopMoves
	rc := dialRaw(t, e.addr)
	rc.send(rq("GET", "/obj/x") + padded(maxRequestHead) + rq("HEAD", "/obj/x"))
	for i, head := range []bool{false, false, true} {
		r := rc.read(head)
		wantResp(t, fmt.Sprint("#", i), r, 200, xHit, nil)
		if !r.fast() {
			t.Errorf("#%d: not answered by the fast path", i)
		}
	}
	waitLoop(t, e.s, 1, base) // all three in the loop
	rc.send(padded(maxRequestHead + 1))
	r := rc.read(false)
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a %d-byte head: status %d, want 431", maxRequestHead+1, r.status)
	}
	rc.expectEOF(2 * time.Second)
}

// Clients that reset the connection in the middle of pipelined answers, or
// half-close after their requests: the loop drops the first without harm
// to the process (its writes get EPIPE or ECONNRESET, no SIGPIPE; no
// connection is left in a loop) and answers the second in full before it
// closes.
func TestEventLoopResetAndHalfClose(t *testing.T) {
	org := reviewOrigin(t)
	e := serveEdge(t, org, edgeOpts{})
	const big = "/b/40960" // written with writev, not copied
	fillBig(t, e, big)
	fill(t, e, "/obj/h", false)
	reqs := strings.Repeat(rq("GET", big)+rq("GET", "/obj/h"), 40)
	for range 20 {
		c, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, reqs)
		c.Read(make([]byte, 100)) // answers have started
		c.(*net.TCPConn).SetLinger(0)
		c.Close() // RST
	}
	for range 5 {
		rc := dialRaw(t, e.addr)
		rc.send(rq("GET", "/obj/h") + rq("HEAD", big) + rq("GET", big))
		rc.c.(*net.TCPConn).CloseWrite()
		wantResp(t, "half-closed #0", rc.read(false), 200, xHit, []byte("body of /obj/h"))
		wantResp(t, "half-closed #1", rc.read(true), 200, xHit, nil)
		r := rc.read(true)
		wantResp(t, "half-closed #2", r, 200, xHit, nil)
		if err := readPattern(rc.br, 40960); err != nil {
			t.Fatal(err)
		}
		rc.expectEOF(2 * time.Second)
	}
	if !waitFor(5*time.Second, func() bool { return e.s.Stats().LoopConns == 0 }) {
		t.Errorf("the loops hold %d connections after their clients left", e.s.Stats().LoopConns)
	}
	r := fetch(t, e, rq("GET", "/obj/h"))
	wantResp(t, "after", r, 200, xHit, []byte("body of /obj/h"))
}

// A seeded random mix on a few connections at once: pipelines of hits
// (bodies copied beside their heads, written with writev, larger than the
// socket takes), HEADs, misses, HTTP/1.0 with and without keep-alive, heads
// of up to 6 KiB and Connection: close, sent in pieces cut at random bytes
// with random pauses. Every answer must come in order with its own body,
// and a connection that asked to close must close after its answer.
// PHAROS_LOOP_SEED repeats a run.
func TestEventLoopRandomPipelines(t *testing.T) {
	seed := time.Now().UnixNano()
	if v := os.Getenv("PHAROS_LOOP_SEED"); v != "" {
		var err error
		if seed, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatalf("PHAROS_LOOP_SEED: %v", err)
		}
	}
	t.Logf("seed %d", seed)
	org := reviewOrigin(t)
	e := serveEdge(t, org, edgeOpts{loops: 2, cacheMem: 64 << 20, maxObject: 8 << 20})
	// The last is larger than a fresh loopback socket's send buffer (about
	// 1.3 MiB): the loop's write of it comes up short.
	hits := []string{"/obj/r1", "/obj/r2", "/b/10240", "/b/40960", "/b/307200", "/b/2097152"}
	for _, h := range hits {
		if strings.HasPrefix(h, "/b/") {
			fillBig(t, e, h)
		} else {
			fill(t, e, h, false)
		}
	}
	const workers = 4
	deadline := time.Now().Add(1500 * time.Millisecond)
	var misses, pipelines atomic.Int64
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(seed), uint64(w)))
			for n := 0; n < 200 && time.Now().Before(deadline); n++ {
				if err := randomPipeline(e.addr, rng, hits, &misses); err != nil {
					errs <- fmt.Errorf("worker %d, pipeline %d: %w", w, n, err)
					return
				}
				pipelines.Add(1)
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
	}
	st := e.s.Stats()
	t.Logf("%d pipelines, %d misses; %d connections moved from a loop", pipelines.Load(), misses.Load(), st.LoopMoves)
	if !waitFor(5*time.Second, func() bool { return e.s.Stats().LoopConns == 0 }) {
		t.Errorf("the loops hold %d connections after every client closed", e.s.Stats().LoopConns)
	}
}

// pipelineStep is one request of a random pipeline and what answers it.
type pipelineStep struct {
	target string
	head   bool // HEAD: no body
	closes bool // the connection ends after this answer
	close  bool // with Connection: close (HTTP/1.1)
}

// randomPipeline sends 1 to 24 random requests on a new connection, cut at
// random bytes, and checks the answers.
func randomPipeline(addr string, rng *rand.Rand, hits []string, misses *atomic.Int64) error {
	n := 1 + rng.IntN(24)
	steps := make([]pipelineStep, n)
	missAt := -1 // one pipeline in three has a miss, which moves it out of its loop
	if rng.IntN(3) == 0 {
		missAt = rng.IntN(n)
	}
	var wire strings.Builder
	for i := range steps {
		s := &steps[i]
		last := i == n-1
		method := "GET"
		switch {
		case i == missAt:
			s.target = fmt.Sprintf("/obj/miss-%d", misses.Add(1))
		case rng.IntN(5) == 0:
			s.target, s.head, method = hits[rng.IntN(len(hits))], true, "HEAD"
		case rng.IntN(12) == 0:
			s.target = hits[len(hits)-1]
		default:
			s.target = hits[rng.IntN(len(hits)-1)]
		}
		var fields []string
		if rng.IntN(5) == 0 {
			fields = append(fields, "X-Pad: "+strings.Repeat("p", rng.IntN(6<<10)))
		}
		http10 := rng.IntN(8) == 0
		switch {
		case http10 && last && rng.IntN(2) == 0:
			s.closes = true // HTTP/1.0 without keep-alive
		case http10:
			fields = append(fields, "Connection: keep-alive")
		case last && rng.IntN(3) == 0:
			s.closes, s.close = true, true
			fields = append(fields, "Connection: close")
		}
		req := rq(method, s.target, fields...)
		if http10 {
			req = strings.Replace(req, "HTTP/1.1", "HTTP/1.0", 1)
		}
		wire.WriteString(req)
	}
	// The cuts and pauses, drawn before the writer runs (rng is not shared).
	type piece struct {
		end   int
		pause time.Duration
	}
	var pieces []piece
	for off := 0; off < wire.Len(); {
		m := 1 + rng.IntN(2048)
		if rng.IntN(3) == 0 {
			m = 1 + rng.IntN(16)
		}
		off = min(off+m, wire.Len())
		var pause time.Duration
		if rng.IntN(6) == 0 {
			pause = time.Duration(rng.IntN(1500)) * time.Microsecond
		}
		pieces = append(pieces, piece{off, pause})
	}

	// A small receive buffer and pauses in reading, now and then, so that
	// the loop's writes come up short and the rest moves to a goroutine.
	d := net.Dialer{Timeout: 5 * time.Second}
	if rng.IntN(3) == 0 {
		rcvbuf := 2<<10 + rng.IntN(32<<10)
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) {
				syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
			})
		}
	}
	readPauses := make([]time.Duration, n)
	for i := range readPauses {
		if rng.IntN(8) == 0 {
			readPauses[i] = time.Duration(rng.IntN(3000)) * time.Microsecond
		}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	written := make(chan struct{})
	go func() {
		defer close(written)
		data, prev := wire.String(), 0
		for _, p := range pieces {
			if _, err := io.WriteString(c, data[prev:p.end]); err != nil {
				return // the server closed after Connection: close
			}
			prev = p.end
			time.Sleep(p.pause)
		}
	}()
	defer func() { <-written }()
	br := bufio.NewReader(c)
	for i, s := range steps {
		time.Sleep(readPauses[i])
		r, err := readRawResp(br, s.head)
		if err != nil {
			return fmt.Errorf("#%d %s: %w", i, s.target, err)
		}
		if err := checkPipelineAnswer(s, r); err != nil {
			return fmt.Errorf("#%d of %d: %w", i, n, err)
		}
		if s.closes {
			if b, err := br.ReadByte(); !errors.Is(err, io.EOF) {
				return fmt.Errorf("#%d %s: want the connection closed, read %q, %v", i, s.target, b, err)
			}
		}
	}
	return nil
}

var body2M = fpBody(2 << 20)

// checkPipelineAnswer checks r against what step s asked for.
func checkPipelineAnswer(s pipelineStep, r *rawResp) error {
	want := []byte("body of " + s.target)
	if size, ok := strings.CutPrefix(s.target, "/b/"); ok {
		n, _ := strconv.Atoi(size)
		want = body2M[:n]
	}
	if r.status != 200 {
		return fmt.Errorf("%s: status %d", s.target, r.status)
	}
	if cl := r.get("Content-Length"); cl != strconv.Itoa(len(want)) {
		return fmt.Errorf("%s: Content-Length %q, want %d", s.target, cl, len(want))
	}
	if !s.head && !bytes.Equal(r.body, want) {
		return fmt.Errorf("%s: body %d bytes %.40q, want %d bytes %.40q", s.target, len(r.body), r.body, len(want), want)
	}
	if s.close && r.get("Connection") != "close" {
		return fmt.Errorf("%s: Connection %q, want close", s.target, r.get("Connection"))
	}
	return nil
}

// An idle connection goes back to a read buffer of the default size: one
// large request head (up to 20 KiB, which grows the buffer to 24 KiB) does
// not cost the connection that much memory for as long as it stays open.
func TestEventLoopIdleConnsShrinkTheirBuffers(t *testing.T) {
	org := fpOrigin(t, nil)
	e := serveEdge(t, org, edgeOpts{})
	fill(t, e, "/obj/g", false)
	const conns = 256
	base := e.s.Stats().LoopMoves
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		cs[i] = c
	}
	waitLoop(t, e.s, conns, base)
	heap := func() int64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	before := heap()
	req := rq("GET", "/obj/g", "X-Pad: "+strings.Repeat("p", 18<<10))
	var buf [4 << 10]byte
	for _, c := range cs {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		r, err := readRawResp(bufio.NewReaderSize(c, len(buf)), false)
		if err != nil || string(r.body) != "body of /obj/g" {
			t.Fatalf("%v %v", r, err)
		}
	}
	waitLoop(t, e.s, conns, base) // answered in the loops
	var grown int64
	if !waitFor(3*time.Second, func() bool {
		grown = heap() - before
		return grown < 1<<20
	}) {
		t.Errorf("%d idle connections keep %d KiB each after a head of 18 KiB", conns, grown/conns>>10)
	}
}
