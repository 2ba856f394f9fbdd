//go:build linux

package edge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// These tests review the event loops (eventloop_linux.go) against what
// clients and the process can do to them.

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
