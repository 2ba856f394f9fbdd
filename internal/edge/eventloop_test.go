//go:build linux

package edge

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// These tests watch connections go into the event loops, stay there while
// they ask for memory hits, and leave for a goroutine when a request needs
// more (eventloop_linux.go); the fast-path tests in fastpath_test.go run
// through the loops too, since they are on by default.

// waitLoop waits until the edge's loops hold want connections and have
// moved moves of them to goroutines.
func waitLoop(t *testing.T, s *Server, conns, moves int64) {
	t.Helper()
	if !waitFor(5*time.Second, func() bool {
		st := s.Stats()
		return st.LoopConns == conns && st.LoopMoves == moves
	}) {
		st := s.Stats()
		t.Fatalf("loops hold %d connections and moved %d, want %d and %d", st.LoopConns, st.LoopMoves, conns, moves)
	}
}

func TestEventLoopHoldsHitConnections(t *testing.T) {
	org := fpOrigin(t, nil)
	e := serveEdge(t, org, edgeOpts{loops: 3}) // connections go round the loops
	fill(t, e, "/obj/l1", false)
	fill(t, e, "/obj/l2", false)
	base := e.s.Stats().LoopMoves // fill's own connections went to net/http

	a, b := dialRaw(t, e.addr), dialRaw(t, e.addr)
	for i := range 20 {
		for _, rc := range []*rawConn{a, b} {
			p := fmt.Sprintf("/obj/l%d", 1+i%2)
			rc.send(rq("GET", p))
			r := rc.read(false)
			wantResp(t, p, r, 200, xHit, []byte("body of "+p))
			if !r.fast() {
				t.Fatalf("#%d %s: not answered by the fast path: %v", i, p, r.lines)
			}
		}
	}
	waitLoop(t, e.s, 2, base)

	// A miss moves a's connection out; the answer and what follows on it
	// come from net/http, on the same connection.
	a.send(rq("GET", "/obj/l3"))
	wantResp(t, "miss", a.read(false), 200, xMiss, []byte("body of /obj/l3"))
	waitLoop(t, e.s, 1, base+1)
	a.send(rq("GET", "/obj/l1"))
	if r := a.read(false); r.fast() {
		t.Errorf("a hit after the move came from the fast path: %v", r.lines)
	}
	// b is still in its loop; a HEAD and a close are answered there.
	b.send(rq("HEAD", "/obj/l2") + rq("GET", "/obj/l1", "Connection: close"))
	wantResp(t, "HEAD", b.read(true), 200, xHit, nil)
	r := b.read(false)
	wantResp(t, "close", r, 200, xHit, []byte("body of /obj/l1"))
	if r.get("Connection") != "close" {
		t.Errorf("Connection: %q, want close", r.get("Connection"))
	}
	b.expectEOF(2 * time.Second)
	waitLoop(t, e.s, 0, base+1)
}

// A hit the socket cannot take at once (a reader slower than the body) is
// finished by a goroutine, byte for byte, and the connection goes on there.
func TestEventLoopSlowReaderMoves(t *testing.T) {
	org := fpOrigin(t, nil)
	e := serveEdge(t, org, edgeOpts{cacheMem: 128 << 20, maxObject: 64 << 20})
	fill(t, e, "/huge", false)
	fill(t, e, "/obj/s", false)
	base := e.s.Stats().LoopMoves

	c, err := net.DialTimeout("tcp", e.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rc := &rawConn{t: t, c: c}
	rc.br = bufio.NewReaderSize(c, 64<<10)
	t.Cleanup(func() { c.Close() })
	// A small hit first so the connection is in a loop, then a 24 MiB hit
	// that cannot fit in the sockets' buffers (4 MiB and 6 MiB at most by
	// default),
	// and a small one pipelined after it.
	rc.send(rq("GET", "/obj/s"))
	wantResp(t, "small", rc.read(false), 200, xHit, []byte("body of /obj/s"))
	waitLoop(t, e.s, 1, base)
	rc.send(rq("GET", "/huge") + rq("GET", "/obj/s"))
	time.Sleep(300 * time.Millisecond) // the loop's write comes up short meanwhile
	waitLoop(t, e.s, 0, base+1)
	for i, want := range [][]byte{body24M, []byte("body of /obj/s")} {
		r := rc.read(false)
		wantResp(t, fmt.Sprint("#", i), r, 200, xHit, want)
		if !r.fast() {
			t.Errorf("#%d: not answered by the fast path: %v", i, r.lines)
		}
	}
	rc.send(rq("GET", "/obj/s"))
	if r := rc.read(false); !r.fast() || string(r.body) != "body of /obj/s" {
		t.Errorf("after the move: %v", r)
	}
}

// Idle connections and request heads that never finish are closed by the
// loops' sweep; a connection that keeps asking is not.
func TestEventLoopTimeouts(t *testing.T) {
	org := fpOrigin(t, nil)
	e := serveEdge(t, org, edgeOpts{idle: 1500 * time.Millisecond, headWait: 500 * time.Millisecond})
	fill(t, e, "/obj/t", false)

	idle := dialRaw(t, e.addr)
	idle.send(rq("GET", "/obj/t"))
	idle.read(false)
	partial := dialRaw(t, e.addr)
	partial.send(rq("GET", "/obj/t")[:20])
	busy := dialRaw(t, e.addr)

	start := time.Now()
	for time.Since(start) < 3*time.Second {
		busy.send(rq("GET", "/obj/t"))
		if r := busy.read(false); !r.fast() {
			t.Fatalf("busy: not answered by the fast path: %v", r.lines)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// By now (3 s) both timeouts and a sweep (every second) have passed.
	partial.expectEOF(time.Second)
	idle.expectEOF(time.Second)
	busy.send(rq("GET", "/obj/t"))
	wantResp(t, "busy after 3 s", busy.read(false), 200, xHit, []byte("body of /obj/t"))
}

// The same answers with the loops off: every connection has a goroutine.
func TestEventLoopOff(t *testing.T) {
	org := fpOrigin(t, nil)
	e := serveEdge(t, org, edgeOpts{noLoop: true})
	for _, p := range []string{"/obj/1", "/obj/2"} {
		fill(t, e, p, false)
	}
	rc := dialRaw(t, e.addr)
	targets := []string{"/obj/1", "/obj/2", "/obj/3", "/obj/1"}
	var all strings.Builder
	for _, p := range targets {
		all.WriteString(rq("GET", p))
	}
	rc.send(all.String())
	for i, p := range targets {
		r := rc.read(false)
		wantResp(t, p, r, 200, []string{xHit, xHit, xMiss, ""}[i], []byte("body of "+p))
		if fast := i < 2; r.fast() != fast {
			t.Errorf("#%d %s: fast path %v, want %v", i, p, r.fast(), fast)
		}
	}
	if st := e.s.Stats(); st.LoopConns != 0 || st.LoopMoves != 0 {
		t.Errorf("loops held %d and moved %d connections with the loops off", st.LoopConns, st.LoopMoves)
	}
}

// At shutdown a loop closes its idle connections at once and hands one with
// part of a request buffered to a goroutine, which answers the request
// once it is complete and then closes.
func TestEventLoopShutdownFinishesARequest(t *testing.T) {
	org := fpOrigin(t, nil)
	e := serveEdge(t, org, edgeOpts{grace: 10 * time.Second})
	fill(t, e, "/obj/d", false)
	base := e.s.Stats().LoopMoves
	idle, partial := dialRaw(t, e.addr), dialRaw(t, e.addr)
	req := rq("GET", "/obj/d")
	partial.send(req[:12])
	waitLoop(t, e.s, 2, base)

	stopped := make(chan error, 1)
	go func() { stopped <- e.stop(10 * time.Second) }()
	idle.expectEOF(2 * time.Second)
	waitLoop(t, e.s, 0, base+1)
	partial.send(req[12:])
	r := partial.read(false)
	wantResp(t, "finished after shutdown began", r, 200, xHit, []byte("body of /obj/d"))
	if r.get("Connection") != "close" {
		t.Errorf("the last answer before the close: Connection %q, want close", r.get("Connection"))
	}
	partial.expectEOF(2 * time.Second)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

// A connection that never sends a request has the request-head timeout,
// not the idle one, on both ways of holding a connection; one that has been
// answered waits the idle timeout.
func TestFastPathSilentConnectionTimesOut(t *testing.T) {
	for _, noLoop := range []bool{false, true} {
		t.Run(fmt.Sprintf("loops off %v", noLoop), func(t *testing.T) {
			org := fpOrigin(t, nil)
			e := serveEdge(t, org, edgeOpts{noLoop: noLoop, idle: 10 * time.Second, headWait: 300 * time.Millisecond})
			fill(t, e, "/obj/q", false)
			answered := dialRaw(t, e.addr)
			answered.send(rq("GET", "/obj/q"))
			answered.read(false)
			silent := dialRaw(t, e.addr)
			silent.expectEOF(3 * time.Second) // 300 ms, then the next sweep
			answered.expectOpen(100 * time.Millisecond)
			answered.send(rq("GET", "/obj/q"))
			wantResp(t, "answered, later", answered.read(false), 200, xHit, []byte("body of /obj/q"))
		})
	}
}
