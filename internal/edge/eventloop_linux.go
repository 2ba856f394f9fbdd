//go:build linux

package edge

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event loops. A goroutine per connection waiting on Go's poller costs,
// per request, a read that returns EAGAIN, a park, and a wake-up through
// the scheduler; with a cache hit's own work down to a lookup and a copy,
// those were a third of the edge's CPU. So on Linux a plain connection on
// the fast path lives in an epoll set of the edge's own, one per P, the way
// nginx's workers keep theirs: a loop reads once per readiness event,
// answers every hit in what it read from memory, and writes the answers in
// one call. The first request that is anything else (a miss, a disk hit, a
// range, a body, a write the socket cannot take at once) moves the
// connection, with what it has buffered and what is left to write, to a
// goroutine of the ordinary fast path (fastpath.go), which may hand it on
// to net/http.

const (
	loopEvents = 128         // readiness events taken per epoll_wait
	loopTick   = time.Second // longest wait, so that timeouts are swept
	loopCopy   = 16 << 10    // bodies up to this are copied beside the head: one write
	loopOutMax = 128 << 10   // answers to pipelined requests gathered before a write
	loopIovMax = 1024        // iovecs in one writev: Linux's UIO_MAXIOV (EINVAL beyond)
)

// eventLoop serves connections from one epoll set on one goroutine.
type eventLoop struct {
	fs   *fastServer
	epfd int
	// ef is epfd as a file in Go's own poller: a loop with nothing to do
	// parks on it like any goroutine waiting for a read, so that neither
	// a blocked epoll_wait nor the scheduler's monitor taking its P back
	// costs anything while the loop is busy.
	ef   *os.File
	rc   syscall.RawConn
	wake int // eventfd: connections were added, or the server is closing
	mu   sync.Mutex
	// added are connections given to the loop and not yet in its set;
	// stopped refuses more once the loop has returned. Both under mu.
	added   []*fastConn
	stopped bool
	// byFd, live and out belong to the loop's goroutine alone.
	byFd []*fastConn
	live int
	// out gathers the answers to one connection's batch of requests. It is
	// lent to that connection's fc.out while the loop answers it (prepareHit
	// appends there) and taken back after, so that an idle connection keeps
	// no output buffer however large its last batch was.
	out []byte
	// epoch starts the loop's clock: fc.since and the sweep count monotonic
	// time from it, so that a step of the wall clock neither closes every
	// connection at once nor keeps them past their timeouts.
	epoch  time.Time
	events [loopEvents]unix.EpollEvent
	one    [8]byte // the eventfd's increment
	// iov is one writev's vector: a head and a body's chunks, as many as
	// Linux takes in one call (UIO_MAXIOV); a body of more goes in several.
	iov [loopIovMax]unix.Iovec
}

// startLoops starts n event loops; on an error, none.
func (fs *fastServer) startLoops(n int) error {
	loops := make([]*eventLoop, 0, n)
	for range n {
		l, err := newEventLoop(fs)
		if err != nil {
			for _, l := range loops {
				l.closeFds()
			}
			return err
		}
		loops = append(loops, l)
	}
	fs.loops = loops
	for _, l := range loops {
		fs.wg.Add(1)
		go l.run()
	}
	return nil
}

func newEventLoop(fs *fastServer) (*eventLoop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("edge: event loop: epoll_create1: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("edge: event loop: eventfd: %w", err)
	}
	l := &eventLoop{fs: fs, epfd: epfd, wake: wake, out: make([]byte, 0, 16<<10), epoch: time.Now()}
	if err := unix.SetNonblock(epfd, true); err != nil {
		l.closeFds()
		return nil, fmt.Errorf("edge: event loop: epoll set non-blocking: %w", err)
	}
	l.ef = os.NewFile(uintptr(epfd), "epoll") // owns epfd from here
	if l.rc, err = l.ef.SyscallConn(); err != nil {
		l.closeFds()
		return nil, fmt.Errorf("edge: event loop: %w", err)
	}
	l.one[0] = 1 // the eventfd adds host-order 64-bit counts; Linux's hosts are little-endian
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wake)}); err != nil {
		l.closeFds()
		return nil, fmt.Errorf("edge: event loop: watch eventfd: %w", err)
	}
	return l, nil
}

func (l *eventLoop) closeFds() {
	if l.ef != nil {
		l.ef.Close()
	} else {
		unix.Close(l.epfd)
	}
	unix.Close(l.wake)
}

// toLoop moves an accepted plain TCP connection into an event loop: the
// loop keeps a duplicate of its socket and Go's descriptor is closed, so
// that Go's poller no longer watches it. false leaves c as it was.
func (fs *fastServer) toLoop(c net.Conn) bool {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	if cerr := rc.Control(func(s uintptr) {
		fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); cerr != nil || err != nil || fd < 0 {
		return false
	}
	c.Close() // the duplicate keeps the connection open; O_NONBLOCK is shared
	// No fc.out: the loop lends its own while it answers (eventLoop.out).
	fc := &fastConn{fd: fd, buf: make([]byte, fastBufSize), key: make([]byte, 0, 256)}
	fs.loops[fs.nextLoop.Add(1)%uint32(len(fs.loops))].add(fc)
	return true
}

// add gives fc to the loop (from the accepting goroutine).
func (l *eventLoop) add(fc *fastConn) {
	l.mu.Lock()
	stopped := l.stopped
	if !stopped {
		l.added = append(l.added, fc)
		unix.Write(l.wake, l.one[:])
	}
	l.mu.Unlock()
	if stopped {
		l.toGoroutine(fc, false) // the loop has failed, or the server is closing
	}
}

// wakeUp makes the loop's epoll_wait return. The eventfd is written and
// closed under mu only, so that a wake-up never lands on a descriptor
// number the process has since reused.
func (l *eventLoop) wakeUp() {
	l.mu.Lock()
	if !l.stopped {
		unix.Write(l.wake, l.one[:])
	}
	l.mu.Unlock()
}

func (l *eventLoop) run() {
	defer l.fs.wg.Done()
	defer l.stop()
	var n int
	var errno syscall.Errno
	// wait takes the ready events without blocking (a raw system call: it
	// cannot block); false parks the loop until the set has some.
	wait := func(fd uintptr) bool {
		r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, fd, uintptr(unsafe.Pointer(&l.events[0])), loopEvents, 0, 0, 0)
		n, errno = int(r), e
		return n > 0 || e != 0
	}
	nextSweep := time.Now().Add(loopTick)
	l.ef.SetReadDeadline(nextSweep)
	for {
		n, errno = 0, 0
		err := l.rc.Read(wait)
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) || errno != 0 && errno != unix.EINTR {
			if err == nil {
				err = errno
			}
			l.fs.s.log.Error("edge: event loop stopped; its connections go on in goroutines", "err", err)
			return
		}
		t := time.Now()
		now := int64(t.Sub(l.epoch))
		for i := range max(n, 0) {
			fd := int(l.events[i].Fd)
			if fd == l.wake {
				l.takeAdded(now)
				continue
			}
			if fd < len(l.byFd) && l.byFd[fd] != nil {
				l.ready(l.byFd[fd], now)
			}
		}
		if l.fs.closing.Load() {
			return
		}
		if !t.Before(nextSweep) {
			l.sweep(now)
			nextSweep = t.Add(loopTick)
			l.ef.SetReadDeadline(nextSweep)
		}
	}
}

// takeAdded puts the connections given to the loop into its set.
func (l *eventLoop) takeAdded(now int64) {
	var drain [8]byte
	unix.Read(l.wake, drain[:])
	l.mu.Lock()
	added := l.added
	l.added = nil
	l.mu.Unlock()
	for _, fc := range added {
		fc.since = now
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fc.fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fc.fd)}); err != nil {
			// No loop for it: serve it the ordinary way.
			l.toGoroutine(fc, false)
			continue
		}
		for fc.fd >= len(l.byFd) {
			l.byFd = append(l.byFd, make([]*fastConn, len(l.byFd)+64)...)
		}
		l.byFd[fc.fd] = fc
		l.live++
		l.fs.s.metrics.loopConns.Add(1)
	}
}

// ready reads what fc's socket has and answers the requests it completes.
func (l *eventLoop) ready(fc *fastConn, now int64) {
	fc.room()
	n, errno := rawRead(fc.fd, fc.buf[fc.end:])
	if errno == unix.EAGAIN || errno == unix.EINTR {
		return
	}
	if n <= 0 || errno != 0 { // the peer closed, or the connection failed
		l.close(fc)
		return
	}
	if fc.end == fc.start {
		fc.since = now // a request starts: its head has headTimeout to arrive
	}
	fc.end += n
	l.answer(fc, now)
}

// answer answers the whole requests buffered on fc while they are memory
// hits, then writes the answers at once.
func (l *eventLoop) answer(fc *fastConn, now int64) {
	fc.out = l.out[:0]
	if l.answerBuffered(fc, now) {
		l.reclaim(fc)
	}
}

// answerBuffered does answer's work; false when fc has left the loop
// (closed, or moved to a goroutine, which owns fc from then on).
func (l *eventLoop) answerBuffered(fc *fastConn, now int64) bool {
	fs := l.fs
	for {
		head, next, ok, err := fc.scanHead()
		if err != nil {
			l.toGoroutine(fc, true) // it answers 431
			return false
		}
		if !ok {
			break
		}
		parseHead(head, &fc.req)
		if fc.req.bad || fc.req.punt {
			l.toGoroutine(fc, true)
			return false
		}
		h, body, hit := fs.prepareHit(fc, false)
		if !hit {
			l.toGoroutine(fc, true)
			return false
		}
		fc.start = next
		fc.served = true
		fc.since = now
		fc.closeAfter = fc.req.close // prepareHit sets it while the edge shuts down
		if body {
			if size := hitBodySize(h.o, nil, h.chunks); size <= loopCopy {
				for _, c := range h.chunks {
					fc.out = append(fc.out, c...)
				}
			} else if !l.write(fc, h.chunks) {
				return false
			}
		}
		if fc.closeAfter {
			break
		}
		if len(fc.out) >= loopOutMax && !l.write(fc, nil) {
			return false
		}
	}
	if len(fc.out) > 0 && !l.write(fc, nil) {
		return false
	}
	if fc.closeAfter {
		l.close(fc)
		return false
	}
	return true
}

// reclaim takes the loop's output buffer back from fc, and forgets the
// chunks of fc's last hit (fc.vec), which would otherwise keep the body of
// an object evicted since alive for as long as fc is idle. fc.out is nil
// but while the loop answers fc, so this does nothing to a connection
// given to the loop and not yet answered (add, takeAdded, stop).
func (l *eventLoop) reclaim(fc *fastConn) {
	if fc.out != nil {
		l.out, fc.out = fc.out[:0], nil
		clear(fc.vec[:])
	}
}

// write writes fc.out and then body, all of it or, when the socket takes
// less, moves the connection to a goroutine with the rest to write (false).
// A body goes in writevs of at most len(l.iov) iovecs: it may have more
// chunks than one writev takes (IOV_MAX), and l.iov never grows.
func (l *eventLoop) write(fc *fastConn, body [][]byte) bool {
	head := fc.out
	for {
		var n int
		var errno syscall.Errno
		total, rest := len(head), body
		if len(body) == 0 {
			n, errno = rawWrite(fc.fd, head)
		} else {
			iov := appendIovec(l.iov[:0], head)
			for len(rest) > 0 && len(iov) < len(l.iov) {
				iov = appendIovec(iov, rest[0])
				total += len(rest[0])
				rest = rest[1:]
			}
			n, errno = rawWritev(fc.fd, iov)
			clear(iov) // keep no body alive from here
		}
		if errno != 0 {
			if errno != unix.EAGAIN && errno != unix.EINTR {
				l.close(fc)
				return false
			}
			n = 0
		}
		if n < total {
			l.moveRest(fc, head, body, n)
			return false
		}
		if len(rest) == 0 {
			fc.out = fc.out[:0]
			return true
		}
		head, body = nil, rest
	}
}

// moveRest moves fc to a goroutine that writes what is left of head and
// body after their first n bytes: a copy of head's part (it is the loop's
// buffer), body's chunks as they are (stored bytes are never modified).
func (l *eventLoop) moveRest(fc *fastConn, head []byte, body [][]byte, n int) {
	var rest net.Buffers
	if n < len(head) {
		rest = append(rest, bytes.Clone(head[n:]))
		n = 0
	} else {
		n -= len(head)
	}
	for _, b := range body {
		if n >= len(b) {
			n -= len(b)
			continue
		}
		rest = append(rest, b[n:])
		n = 0
	}
	fc.out = fc.out[:0]
	fc.pending = rest
	l.toGoroutine(fc, true)
}

// toGoroutine moves fc from the loop to a goroutine of the ordinary fast
// path, which writes fc.pending, then serves what fc has buffered.
func (l *eventLoop) toGoroutine(fc *fastConn, inSet bool) {
	fd := fc.fd
	if inSet {
		l.forget(fc)
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	}
	fc.fd = -1
	l.fs.s.metrics.loopMoves.Add(1)
	if len(fc.out) > 0 { // answers to earlier pipelined requests
		fc.pending = append(net.Buffers{bytes.Clone(fc.out)}, fc.pending...)
	}
	l.reclaim(fc) // before fc is another goroutine's
	f := os.NewFile(uintptr(fd), "")
	c, err := net.FileConn(f) // a duplicate, in Go's poller
	f.Close()
	if err != nil {
		l.fs.s.log.Debug("edge: event loop: connection lost moving to a goroutine", "err", err)
		return
	}
	fc.c = c
	l.fs.wg.Add(1)
	go l.fs.serve(fc)
}

func (l *eventLoop) forget(fc *fastConn) {
	l.byFd[fc.fd] = nil
	l.live--
	l.fs.s.metrics.loopConns.Add(-1)
}

func (l *eventLoop) close(fc *fastConn) {
	l.forget(fc)
	l.reclaim(fc)
	unix.Close(fc.fd) // the only descriptor of the socket: epoll drops it too
	fc.fd = -1
}

// sweep closes connections idle longer than idleTimeout and those whose
// request head has taken longer than headTimeout to arrive. An idle
// connection whose buffer a large head grew (room: up to 24 KiB) goes back
// to one of the default size, as nginx frees its large header buffers at
// keep-alive: at most once a second per connection, off the request path.
func (l *eventLoop) sweep(now int64) {
	if l.live == 0 {
		return
	}
	idle, head := int64(l.fs.idleTimeout), int64(l.fs.headTimeout)
	for _, fc := range l.byFd {
		if fc == nil {
			continue
		}
		limit := idle
		if fc.end > fc.start || !fc.served {
			limit = head
		}
		switch {
		case now-fc.since > limit:
			l.close(fc)
		case fc.end == fc.start && len(fc.buf) > fastBufSize:
			fc.buf, fc.start, fc.end = make([]byte, fastBufSize), 0, 0
			fc.req = fastRequest{} // its views of the old buffer would keep it
		}
	}
}

// stop ends the loop: idle connections are closed; one with part of a
// request buffered goes on in a goroutine, which finishes that request.
func (l *eventLoop) stop() {
	l.mu.Lock()
	l.stopped = true
	unix.Close(l.wake)
	added := l.added
	l.added = nil
	l.mu.Unlock()
	for _, fc := range added {
		l.toGoroutine(fc, false) // it closes at once when the server is closing
	}
	for _, fc := range l.byFd {
		switch {
		case fc == nil:
		case fc.end > fc.start || !l.fs.closing.Load():
			l.toGoroutine(fc, true)
		default:
			l.close(fc)
		}
	}
	l.ef.Close()
}

// The loop's reads and writes are raw system calls: its sockets are
// non-blocking, so none can block, and a call the runtime does not see
// leaves the loop's P to it rather than inviting the scheduler's monitor,
// every 20 µs, to hand the P to another thread.

func rawRead(fd int, p []byte) (int, syscall.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(r), e
}

func rawWrite(fd int, p []byte) (int, syscall.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(r), e
}

func appendIovec(iov []unix.Iovec, b []byte) []unix.Iovec {
	if len(b) == 0 {
		return iov
	}
	v := unix.Iovec{Base: &b[0]}
	v.SetLen(len(b))
	return append(iov, v)
}

func rawWritev(fd int, iov []unix.Iovec) (int, syscall.Errno) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(iov))), uintptr(len(iov)))
	return int(r), e
}
