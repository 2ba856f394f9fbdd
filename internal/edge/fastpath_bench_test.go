package edge

import (
	"net"
	"testing"
	"time"
)

// discardConn is a net.Conn that swallows what is written, so the
// benchmark measures the fast path's own work on a hit, not the kernel's.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error)      { return len(p), nil }
func (discardConn) Close() error                     { return nil }
func (discardConn) SetReadDeadline(time.Time) error  { return nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }

// BenchmarkFastHit measures a 1 KiB hit on the HTTP/1.1 fast path, from a
// parsed request head to the response handed to the connection.
func BenchmarkFastHit(b *testing.B) {
	s, _ := newBenchEdge(b, 1024)
	fs := newFastServer(s, nil)
	fc := &fastConn{c: discardConn{}, out: make([]byte, 0, 1024), key: make([]byte, 0, 256)}
	head := []byte("GET /obj?x=1 HTTP/1.1\r\nHost: d.test\r\nUser-Agent: bench\r\nAccept: */*\r\n")
	b.ReportAllocs()
	for b.Loop() {
		parseHead(head, &fc.req)
		if fc.req.punt || !fs.hit(fc) {
			b.Fatal("not answered on the fast path")
		}
	}
}
