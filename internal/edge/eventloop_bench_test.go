package edge

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// BenchmarkServedHit measures 1 KiB hits through a served edge over a real
// loopback connection: the request written, the answer read whole, as a
// client sees them, kernel included. depth requests go out in one write
// (pipelined); per op is one request. loop and goroutine are the fast
// path's two ways of holding a connection (Config.DisableEventLoop).
func BenchmarkServedHit(b *testing.B) {
	for _, mode := range []string{"loop", "goroutine"} {
		for _, depth := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/depth=%d", mode, depth), func(b *testing.B) {
				benchServedHit(b, mode == "goroutine", depth)
			})
		}
	}
}

func benchServedHit(b *testing.B, noLoop bool, depth int) {
	s, _ := newBenchEdge(b, 1024)
	s.cfg.DisableEventLoop = noLoop
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, 5*time.Second) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	})
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := bytes.Repeat([]byte("GET /obj?x=1 HTTP/1.1\r\nHost: d.test\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"), depth)
	br := bufio.NewReaderSize(c, 64<<10)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(req[:len(req)/depth]); err != nil {
		b.Fatal(err)
	}
	if err := readHit(br); err != nil {
		b.Fatalf("first answer: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	b.ResetTimer()
	for i := 0; i < b.N; i += depth {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		for range depth {
			if err := readHit(br); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if st := s.Stats(); noLoop != (st.LoopConns == 0) {
		b.Fatalf("connections in loops: %d (loops off: %v)", st.LoopConns, noLoop)
	}
}

// readHit reads one answer and checks that it is a hit: the head line by
// line, then Content-Length bytes of body.
func readHit(br *bufio.Reader) error {
	size, hit := -1, false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) == 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			size, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
		hit = hit || bytes.HasPrefix(line, []byte("X-Cache: Hit"))
	}
	if !hit || size < 0 {
		return errors.New("not a hit with a length")
	}
	_, err := br.Discard(size)
	return err
}
