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
	"syscall"
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
	conns   map[*fastConn]struct{} // connections served by goroutines (not by a loop)
	closing atomic.Bool
	wg      sync.WaitGroup
	// accepted closes when the accept loop has returned: only then may
	// shutdown wait on wg, which the loop adds to.
	accepted chan struct{}
	// loops serve connections in epoll sets of their own (eventloop_linux.go);
	// nil where there are none: every connection has a goroutine.
	loops    []*eventLoop
	nextLoop atomic.Uint32
	// idleTimeout and headTimeout are fastIdleTimeout and fastHeadTimeout
	// (fields so that tests can shorten them).
	idleTimeout, headTimeout time.Duration
}

func newFastServer(s *Server, addr net.Addr) *fastServer {
	fs := &fastServer{s: s, handoff: newHandoffListener(addr), conns: map[*fastConn]struct{}{},
		accepted: make(chan struct{}), idleTimeout: fastIdleTimeout, headTimeout: fastHeadTimeout}
	if s.fastIdle > 0 {
		fs.idleTimeout = s.fastIdle
	}
	if s.fastHead > 0 {
		fs.headTimeout = s.fastHead
	}
	return fs
}

// track registers fc for shutdown; false when the server is closing.
func (fs *fastServer) track(fc *fastConn) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closing.Load() {
		return false
	}
	fs.conns[fc] = struct{}{}
	return true
}

func (fs *fastServer) untrack(fc *fastConn) {
	fs.mu.Lock()
	delete(fs.conns, fc)
	fs.mu.Unlock()
}

// shutdown stops idle connections at once and lets busy ones finish their
// response; it waits until every fast connection is gone or ctx ends.
func (fs *fastServer) shutdown(ctx context.Context) {
	fs.mu.Lock()
	fs.closing.Store(true)
	for fc := range fs.conns {
		// A connection marks itself idle before it sets its deadline and
		// checks closing, and only then reads: either it sees closing, or
		// this deadline comes after its own and wakes the read.
		if fc.idle.Load() {
			fc.c.SetReadDeadline(time.Now())
		}
	}
	fs.mu.Unlock()
	for _, l := range fs.loops {
		l.wakeUp()
	}
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
	c        net.Conn // nil while an event loop serves the connection
	fd       int      // the socket, while an event loop serves it
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
	// pending is output an event loop could not write: the goroutine that
	// takes the connection over writes it first, then closes the
	// connection if closeAfter is set.
	pending    net.Buffers
	closeAfter bool
	idle       atomic.Bool // waiting for a request (shutdown wakes it)
	deadline   time.Time   // the read deadline last set on c
	// since is when the loop took the connection, last answered on it, or
	// saw the first byte of a request still incomplete (monotonic ns on
	// the loop's clock).
	since int64
	// served is set once a request has been answered: until then the
	// connection has headTimeout, not idleTimeout, to send one (as
	// net/http's ReadHeaderTimeout runs from the connection's start), so
	// that connections opened and left silent do not pile up.
	served bool
}

func newFastConn() *fastConn {
	return &fastConn{fd: -1, buf: make([]byte, fastBufSize), out: make([]byte, 0, 1024), key: make([]byte, 0, 256)}
}

// accept serves connections from l until it is closed.
func (fs *fastServer) accept(l net.Listener) error {
	defer close(fs.accepted)
	var backoff time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if fs.closing.Load() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if acceptCanRetry(err) {
				// Out of descriptors or kernel memory, or a connection that
				// went away before it was accepted: the edge goes on serving
				// the connections it has and tries again, as net/http does.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				if backoff == 5*time.Millisecond {
					fs.s.log.Warn("edge: accept failed; retrying", "err", err)
				}
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if fs.loops != nil && fs.toLoop(c) {
			continue
		}
		fc := newFastConn()
		fc.c = c
		fs.wg.Add(1)
		go fs.serve(fc)
	}
}

// serve serves fc on this goroutine until it closes or is handed to
// net/http. fc may come from an event loop with output still to write and
// requests already buffered.
func (fs *fastServer) serve(fc *fastConn) {
	defer fs.wg.Done()
	c := fc.c
	handed := false
	defer func() {
		fs.untrack(fc)
		if !handed {
			c.Close()
		}
	}()
	if !fs.track(fc) && fc.start == fc.end && len(fc.pending) == 0 {
		return
	}
	if len(fc.pending) > 0 {
		_, err := fc.pending.WriteTo(c)
		fc.pending = nil
		if err != nil || fc.closeAfter {
			return
		}
	}
	for {
		head, headEnd, err := fc.readHead(fs)
		fc.idle.Store(false)
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
		fc.served = true
		if fc.req.close { // prepareHit sets it while the edge shuts down
			return
		}
	}
}

var errHeadTooLarge = errors.New("request head too large")

// acceptCanRetry reports whether an accept error passes: a timeout, or
// running out of descriptors or buffers, or a peer that reset first.
func acceptCanRetry(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

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

// scanHead finds a whole request head in what is buffered: the head
// (without the blank line) and the offset just past it; ok false when more
// must be read first.
func (fc *fastConn) scanHead() (head []byte, next int, ok bool, err error) {
	// Skip the empty lines a client may send before a request (RFC 9112 §2.2).
	for fc.end-fc.start >= 2 && fc.buf[fc.start] == '\r' && fc.buf[fc.start+1] == '\n' {
		fc.start += 2
	}
	if i := bytes.Index(fc.buf[fc.start:fc.end], headEnd); i >= 0 {
		if i+4 > maxRequestHead {
			return nil, 0, false, errHeadTooLarge
		}
		return fc.buf[fc.start : fc.start+i+2], fc.start + i + 4, true, nil
	}
	if fc.end-fc.start >= maxRequestHead {
		return nil, 0, false, errHeadTooLarge
	}
	return nil, 0, false, nil
}

// room makes space to read into after buf's data: it moves the data to
// the front, or grows buf (up to the largest head plus one read).
func (fc *fastConn) room() {
	if fc.start == fc.end {
		fc.start, fc.end = 0, 0
	}
	if fc.end < len(fc.buf) {
		return
	}
	if fc.start > 0 {
		n := copy(fc.buf, fc.buf[fc.start:fc.end])
		fc.start, fc.end = 0, n
		return
	}
	grown := make([]byte, min(2*len(fc.buf), maxRequestHead+fastBufSize))
	copy(grown, fc.buf[:fc.end])
	fc.buf = grown
}

// readHead reads until a whole request head is buffered and returns it
// (without the blank line) and the offset just past it. While nothing of
// the next request has arrived the connection is idle: shutdown may end it.
func (fc *fastConn) readHead(fs *fastServer) ([]byte, int, error) {
	headStarted := false
	for {
		head, next, ok, err := fc.scanHead()
		if ok || err != nil {
			return head, next, err
		}
		fc.room()
		if fc.end > fc.start {
			if !headStarted {
				// The whole head must arrive within headTimeout of its
				// first byte, however slowly it trickles.
				fc.setDeadline(time.Now().Add(fs.headTimeout))
				headStarted = true
			}
		} else {
			fc.idle.Store(true)
			wait := fs.idleTimeout
			if !fc.served {
				wait = fs.headTimeout
			}
			fc.setDeadline(time.Now().Add(wait))
			if fs.closing.Load() {
				return nil, 0, net.ErrClosed
			}
		}
		n, err := fc.c.Read(fc.buf[fc.end:])
		fc.end += n
		if n > 0 {
			fc.idle.Store(false)
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// setDeadline sets c's read deadline to t unless the one set last is
// within a second of it: a deadline costs a timer update, and a request
// per connection after another would otherwise pay one each.
func (fc *fastConn) setDeadline(t time.Time) {
	if d := t.Sub(fc.deadline); d < time.Second && d > -time.Second {
		return
	}
	fc.deadline = t
	fc.c.SetReadDeadline(t)
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
	fc.out = fc.out[:0]
	h, body, ok := fs.prepareHit(fc, true)
	if !ok {
		return false
	}
	if h.file != nil {
		defer h.file.Close()
	}
	var err error
	switch {
	case !body:
		_, err = fc.c.Write(fc.out)
	case h.file != nil:
		if _, err = fc.c.Write(fc.out); err == nil {
			// net.TCPConn.ReadFrom turns this into sendfile(2).
			_, err = io.CopyN(fc.c, h.file, h.o.BodyLen())
		}
	default:
		// WriteTo consumes the slice, capacity included: rebuild it on a
		// fixed backing array each time.
		fc.wv = append(append(fc.wvArr[:0], fc.out), h.chunks...)
		_, err = fc.wv.WriteTo(fc.c) // writev(2)
		// Keep no view of the body: the object may be purged while the
		// connection idles.
		clear(fc.vec[:])
		clear(fc.wvArr[:])
	}
	if err != nil {
		fc.req.close = true
	}
	return true
}

// prepareHit looks fc's parsed request up and, when it is a hit the fast
// path answers (disk false: from memory only), appends the response head
// to fc.out. body reports whether the body (h.file or h.chunks) follows:
// not for HEAD nor a 204.
func (fs *fastServer) prepareHit(fc *fastConn, disk bool) (h fastHit, body, ok bool) {
	s := fs.s
	r := &fc.req
	// Views of the read buffer, valid until the next read: nothing below
	// keeps them (lookups only compare, AppendKey copies).
	path, query := r.target, []byte(nil)
	if i := bytes.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	h, ok = s.lookupFastHit(hostOnly(bytesView(r.host)), bytesView(path), bytesView(query), &fc.key, fc.vec[:0], disk)
	if !ok {
		return h, false, false
	}
	out := s.appendFastHead(fc.out, &h)
	if fs.closing.Load() {
		r.close = true // the last answer on this connection: say so
	}
	switch {
	case r.close && !r.http10:
		out = append(out, "Connection: close\r\n"...)
	case !r.close && r.http10:
		out = append(out, "Connection: keep-alive\r\n"...)
	}
	fc.out = append(out, "\r\n"...)
	s.metrics.count(resultHit)
	body = string(r.method) != http.MethodHead && h.m.status != http.StatusNoContent
	return h, body, true
}
