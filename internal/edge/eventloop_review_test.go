//go:build linux

package edge

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/pharos-cdn/pharos/internal/httpcache"
)

// These tests review the event loops (eventloop_linux.go) against what
// clients and the process can do to them: bodies of many chunks, memory an
// idle connection keeps, a failing listener.

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
