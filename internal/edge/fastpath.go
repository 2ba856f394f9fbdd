package edge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// The HTTP/1.1 fast path. A cache hit is most of a CDN's work, and
// net/http spends more on a request than the whole rest of a hit. So the
// edge reads each connection's requests itself: a GET or HEAD that is a
// plain fresh hit is answered from pre-encoded header bytes plus the body
// (writev from memory, sendfile from disk) without allocating; the first
// request that is anything else (a miss, a conditional, a range, a body,
// anything the strict parser does not fully understand) hands the whole
// connection, that request included, to net/http and the stage chain.

const (
	fastBufSize     = 4 << 10
	fastIdleTimeout = 2 * time.Minute  // as the net/http server's IdleTimeout
	fastHeadTimeout = 10 * time.Second // as its ReadHeaderTimeout
)

// fastServer owns accepted connections until they leave the fast path.
type fastServer struct {
	s       *Server
	handoff *handoffListener
	mu      sync.Mutex
	idle    map[net.Conn]bool // open fast connections; true while waiting for a request
	closing atomic.Bool
	wg      sync.WaitGroup
	// accepted closes when the accept loop has returned: only then may
	// shutdown wait on wg, which the loop adds to.
	accepted chan struct{}
}

func newFastServer(s *Server, addr net.Addr) *fastServer {
	return &fastServer{s: s, handoff: newHandoffListener(addr), idle: map[net.Conn]bool{}, accepted: make(chan struct{})}
}

func (fs *fastServer) setIdle(c net.Conn, idle bool) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closing.Load() && idle {
		return false
	}
	fs.idle[c] = idle
	return true
}

// shutdown stops idle connections at once and lets busy ones finish their
// response; it waits until every fast connection is gone or ctx ends.
func (fs *fastServer) shutdown(ctx context.Context) {
	fs.mu.Lock()
	fs.closing.Store(true)
	for c, idle := range fs.idle {
		if idle {
			c.SetReadDeadline(time.Now()) // wakes the blocked read
		}
	}
	fs.mu.Unlock()
	select { // the listener is closed by now, so the loop ends promptly
	case <-fs.accepted:
	case <-ctx.Done():
		return
	}
	done := make(chan struct{})
	go func() { fs.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// fastConn is one connection's state on the fast path.
type fastConn struct {
	c        net.Conn
	buf      []byte
	start    int // first unread byte of buf
	end      int // end of data in buf
	out      []byte
	key      []byte
	vec      [17][]byte
	wv       net.Buffers // reused for each writev
	wvArr    [18][]byte
	req      fastRequest
	keepOpen bool
}

// accept serves connections from l until it is closed.
func (fs *fastServer) accept(l net.Listener) error {
	defer close(fs.accepted)
	for {
		c, err := l.Accept()
		if err != nil {
			if fs.closing.Load() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond) // e.g. out of file descriptors
				continue
			}
			return err
		}
		fs.wg.Add(1)
		go fs.serve(c)
	}
}

func (fs *fastServer) serve(c net.Conn) {
	defer fs.wg.Done()
	fc := &fastConn{c: c, buf: make([]byte, fastBufSize), out: make([]byte, 0, 1024), key: make([]byte, 0, 256)}
	handed := false
	defer func() {
		fs.mu.Lock()
		delete(fs.idle, c)
		fs.mu.Unlock()
		if !handed {
			c.Close()
		}
	}()
	for {
		if !fs.setIdle(c, true) {
			return
		}
		head, headEnd, err := fc.readHead()
		fs.setIdle(c, false)
		if err != nil {
			if errors.Is(err, errHeadTooLarge) {
				fs.s.metrics.count(resultError)
				io.WriteString(c, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 85\r\n\r\n431 Request Header Fields Too Large: the request line and headers exceed 20480 bytes\n")
				lingerClose(c)
			}
			return
		}
		parseHead(head, &fc.req)
		if fc.req.bad {
			fs.s.metrics.count(resultError)
			io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 75\r\n\r\n400 Bad Request: Content-Length and Transfer-Encoding must not both appear\n")
			lingerClose(c)
			return
		}
		if fc.req.punt || !fs.hit(fc) {
			// Not ours: net/http reads this request (still in the buffer)
			// and everything after it on this connection.
			handed = true
			fs.handoff.give(&prefixConn{Conn: c, pending: append([]byte(nil), fc.buf[fc.start:fc.end]...)})
			return
		}
		fc.start = headEnd
		if fc.req.close || fs.closing.Load() {
			return
		}
	}
}

var errHeadTooLarge = errors.New("request head too large")

// lingerClose lets a client that is still sending read our error answer:
// close our side for writing, then discard what it sends for a moment
// (net/http's closeWriteAndWait does the same), before the caller closes.
func lingerClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	io.Copy(io.Discard, io.LimitReader(c, 1<<20))
}

// readHead reads until a whole request head is buffered and returns it
// (without the blank line) and the offset just past it.
func (fc *fastConn) readHead() ([]byte, int, error) {
	if fc.start == fc.end {
		fc.start, fc.end = 0, 0
	}
	deadlineSet := false
	for {
		// Skip the empty lines a client may send before a request (RFC 9112 §2.2).
		for fc.end-fc.start >= 2 && fc.buf[fc.start] == '\r' && fc.buf[fc.start+1] == '\n' {
			fc.start += 2
		}
		if i := bytes.Index(fc.buf[fc.start:fc.end], headEnd); i >= 0 {
			if i+4 > maxRequestHead {
				return nil, 0, errHeadTooLarge
			}
			return fc.buf[fc.start : fc.start+i+2], fc.start + i + 4, nil
		}
		if fc.end-fc.start >= maxRequestHead {
			return nil, 0, errHeadTooLarge
		}
		if fc.end == len(fc.buf) {
			if fc.start > 0 {
				n := copy(fc.buf, fc.buf[fc.start:fc.end])
				fc.start, fc.end = 0, n
			} else {
				grown := make([]byte, min(2*len(fc.buf), maxRequestHead+fastBufSize))
				copy(grown, fc.buf[:fc.end])
				fc.buf = grown
			}
		}
		if !deadlineSet {
			timeout := fastIdleTimeout
			if fc.end > fc.start {
				timeout = fastHeadTimeout
			}
			fc.c.SetReadDeadline(time.Now().Add(timeout))
			deadlineSet = fc.end > fc.start
		}
		n, err := fc.c.Read(fc.buf[fc.end:])
		fc.end += n
		if err != nil {
			return nil, 0, err
		}
		if n > 0 && !deadlineSet {
			fc.c.SetReadDeadline(time.Now().Add(fastHeadTimeout))
			deadlineSet = true
		}
	}
}

var headEnd = []byte("\r\n\r\n")

// bytesView returns b as a string without copying. The caller must not let
// the string outlive b's contents (the connection's next read).
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// hit answers fc's request if it is a fresh cache hit that needs nothing
// but the stored bytes; false leaves the connection untouched.
func (fs *fastServer) hit(fc *fastConn) bool {
	s := fs.s
	r := &fc.req
	// Views of the read buffer, valid until the next read: nothing below
	// keeps them (lookups only compare, AppendKey copies).
	path, query := r.target, []byte(nil)
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	h, ok := s.lookupFastHit(hostOnly(bytesView(r.host)), bytesView(path), bytesView(query), &fc.key, fc.vec[:0], true)
	if !ok {
		return false
	}
	if h.file != nil {
		defer h.file.Close()
	}
	out := s.appendFastHead(fc.out[:0], &h)
	switch {
	case r.close && !r.http10:
		out = append(out, "Connection: close\r\n"...)
	case !r.close && r.http10:
		out = append(out, "Connection: keep-alive\r\n"...)
	}
	out = append(out, "\r\n"...)
	fc.out = out
	s.metrics.count(resultHit)
	head := string(r.method) == http.MethodHead
	var err error
	switch {
	case head || h.m.status == http.StatusNoContent:
		_, err = fc.c.Write(out)
	case h.file != nil:
		if _, err = fc.c.Write(out); err == nil {
			// net.TCPConn.ReadFrom turns this into sendfile(2).
			_, err = io.CopyN(fc.c, h.file, h.o.BodyLen())
		}
	default:
		// WriteTo consumes the slice, capacity included: rebuild it on a
		// fixed backing array each time.
		fc.wv = append(append(fc.wvArr[:0], out), h.chunks...)
		_, err = fc.wv.WriteTo(fc.c) // writev(2)
	}
	if err != nil {
		r.close = true
	}
	return true
}
