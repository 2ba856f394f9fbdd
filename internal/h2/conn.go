package h2

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// conn is one HTTP/2 connection. The read goroutine owns the framer's read
// side, the header decoder and the fields marked below; everything under
// mu is shared with handler goroutines. Frames are appended to out under
// mu and written by flush, outside mu, so a slow socket write never holds
// it up.
type conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	fr     *http2.Framer
	tls    *tls.ConnectionState
	remote string
	ctx    context.Context
	cancel context.CancelFunc

	// Read goroutine only.
	hdec      *hpack.Decoder
	hb        headerBlock
	fastReq   FastRequest
	inline    InlineResponse
	enc       blockEncoder
	settled   bool // the peer's first SETTINGS arrived
	flood     int  // frames that cost work without a response (frames.go)
	handlerWG sync.WaitGroup

	mu          sync.Mutex
	cond        sync.Cond // writers waiting for send window; wakes on any change
	out         []byte
	spare       []byte             // the buffer out is swapped with on a flush
	flushing    bool               // a goroutine is writing out (flush)
	flushed     sync.Cond          // wakes waiters when it is done
	streams     map[uint32]*stream // open and half-closed streams
	maxClientID uint32
	sendWindow  int64 // connection send window
	peerWindow  int64 // the peer's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrame   int   // the peer's SETTINGS_MAX_FRAME_SIZE
	sizeUpdate  bool  // the peer changed its header table size
	recvWindow  int64 // what the peer may still send on the connection
	recvUnacked int64 // bytes consumed but not yet returned with WINDOW_UPDATE
	goingAway   bool  // GOAWAY sent: no stream above goAwayID is served
	goAwayID    uint32
	lingerUntil time.Time
	broken      bool // the connection failed or is closing: writers give up
	waiting     bool // the read goroutine waits for a frame's first byte
	running     int  // handler goroutines running
	queued      []*stream
	blocked     []*stream    // inline answers waiting for send window
	ctlEnc      blockEncoder // 1xx answers from handler goroutines
	tmp         []byte       // a header block with a size update in front
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{srv: s, nc: nc, remote: nc.RemoteAddr().String(),
		streams: map[uint32]*stream{}, sendWindow: 65535, peerWindow: 65535, peerFrame: 16384,
		recvWindow: 65535}
	c.cond.L = &c.mu
	c.flushed.L = &c.mu
	if tc, ok := nc.(*tls.Conn); ok {
		st := tc.ConnectionState()
		c.tls = &st
	}
	// Handlers find the local address where net/http puts it.
	c.ctx, c.cancel = context.WithCancel(context.WithValue(context.Background(), http.LocalAddrContextKey, nc.LocalAddr()))
	c.br = bufio.NewReaderSize(nc, 16<<10)
	c.fr = http2.NewFramer(ctlWriter{c}, c.br)
	c.fr.SetMaxReadFrameSize(readFrameSize)
	c.fr.SetReuseFrames()
	c.hdec = hpack.NewDecoder(4096, c.hb.emit)
	// A value over the list limit still decodes (to answer 431); the
	// block is bounded at four times the limit (readHeaderBlock).
	c.hdec.SetMaxStringLength(4 * int(s.maxHeaderList()))
	c.hb.c = c
	c.inline.Head = make([]byte, 0, 1024)
	c.inline.Scratch = make([]byte, 0, 256)
	return c
}

// ctlWriter is where the framer writes control frames: the output buffer.
// Only used with c.mu held.
type ctlWriter struct{ c *conn }

func (w ctlWriter) Write(p []byte) (int, error) {
	w.c.out = append(w.c.out, p...)
	return len(p), nil
}

// serve runs the read loop until the connection ends.
func (c *conn) serve() {
	defer c.finish()
	c.mu.Lock()
	c.fr.WriteSettings(
		http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: c.srv.maxStreams()},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: streamRecvWindow},
		http2.Setting{ID: http2.SettingMaxFrameSize, Val: readFrameSize},
		http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: c.srv.maxHeaderList()},
	)
	c.fr.WriteWindowUpdate(0, connRecvWindow-65535)
	c.recvWindow = connRecvWindow
	c.mu.Unlock()
	if c.flush() != nil {
		return
	}
	c.nc.SetReadDeadline(time.Now().Add(c.srv.headerTimeout()))
	var preface [len(http2.ClientPreface)]byte
	if _, err := io.ReadFull(c.br, preface[:]); err != nil || string(preface[:]) != http2.ClientPreface {
		return // not HTTP/2: nothing sensible to answer
	}
	for {
		if c.br.Buffered() == 0 {
			if c.flushSoon() != nil || !c.waitInput() {
				return
			}
		} else if c.outLen() >= flushAt {
			if c.flush() != nil {
				return
			}
		}
		fh, err := c.fr.ReadFrameHeader()
		if err != nil {
			c.handleError(err) // the frame's size, or its place in a header block
			return
		}
		if fh.Type == http2.FrameData && c.br.Buffered() < int(fh.Length) {
			c.nc.SetReadDeadline(time.Now().Add(c.srv.bodyTimeout()))
		}
		f, err := c.fr.ReadFrameForHeader(fh)
		var se http2.StreamError
		switch {
		case err == nil:
			err = c.process(f)
		case fh.Type == http2.FrameHeaders && errors.As(err, &se):
			// The block was not decoded (a bad padding length): the
			// decoder's state is lost, and the connection with it.
			err = http2.ConnectionError(http2.ErrCodeProtocol)
		}
		if err != nil && !c.handleError(err) {
			return
		}
	}
}

// flushAt is how much output a long batch of input may gather before it
// is written anyway.
const flushAt = 64 << 10

func (c *conn) outLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.out)
}

// waitInput waits for the next frame's first byte: with the idle timeout
// while no stream is open, a short one after a graceful GOAWAY, none while
// streams are open (their handlers may take their time). Once a byte is
// in, the frame must arrive within the header timeout. It reports false
// when the connection is to end.
func (c *conn) waitInput() bool {
	c.mu.Lock()
	if c.broken {
		c.mu.Unlock()
		return false
	}
	c.waiting = true
	c.armLocked()
	c.mu.Unlock()
	_, err := c.br.Peek(1)
	c.mu.Lock()
	c.waiting = false
	idle := len(c.streams) == 0 && !c.goingAway
	c.mu.Unlock()
	if err != nil {
		var ne net.Error
		if idle && errors.As(err, &ne) && ne.Timeout() {
			c.goAway(http2.ErrCodeNo) // idle: say so before closing
			c.flush()
		}
		return false
	}
	c.nc.SetReadDeadline(time.Now().Add(c.srv.headerTimeout()))
	return true
}

// armLocked sets the read deadline for a wait between frames from the
// connection's state; it is called again when the state changes while
// the read goroutine waits.
func (c *conn) armLocked() {
	switch {
	case len(c.streams) > 0:
		c.nc.SetReadDeadline(time.Time{})
	case c.goingAway:
		// The peer has had a GOAWAY and nothing is left to answer: give it
		// a moment to read it, counted once, not from every frame it sends.
		if c.lingerUntil.IsZero() {
			c.lingerUntil = time.Now().Add(goAwayLinger)
		}
		c.nc.SetReadDeadline(c.lingerUntil)
	default:
		c.nc.SetReadDeadline(time.Now().Add(c.srv.idleTimeout()))
	}
}

// flush writes what out holds and returns once it is written. Whoever
// finds no flush in progress writes, until out is empty, what every
// goroutine appended meanwhile; others wait for it. Waiting is the
// backpressure that keeps out small when the peer reads slowly.
func (c *conn) flush() error { return c.doFlush(true) }

// flushSoon is the read goroutine's flush at the end of a batch: when a
// handler goroutine is writing already, what the batch appended goes out
// with its next write, and the read goroutine reads on meanwhile.
func (c *conn) flushSoon() error { return c.doFlush(false) }

func (c *conn) doFlush(wait bool) error {
	c.mu.Lock()
	for c.flushing && wait {
		c.flushed.Wait()
	}
	if c.flushing || c.broken || len(c.out) == 0 {
		broken := c.broken
		c.mu.Unlock()
		if broken {
			return net.ErrClosed
		}
		return nil
	}
	c.flushing = true
	var err error
	for len(c.out) > 0 && err == nil && !c.broken {
		buf := c.out
		c.out = c.spare[:0]
		c.mu.Unlock()
		c.nc.SetWriteDeadline(time.Now().Add(c.srv.writeTimeout()))
		_, err = c.nc.Write(buf)
		c.mu.Lock()
		if cap(buf) > 4*flushAt {
			buf = nil // a large answer: do not keep its buffer
		}
		c.spare = buf[:0]
	}
	c.flushing = false
	c.flushed.Broadcast()
	c.mu.Unlock()
	if err != nil {
		c.fail()
	}
	return err
}

// fail marks the connection broken: writers give up, handlers' contexts
// end, the read goroutine's next read fails.
func (c *conn) fail() {
	c.mu.Lock()
	c.broken = true
	c.cond.Broadcast()
	c.flushed.Broadcast()
	c.mu.Unlock()
	c.cancel()
	c.nc.Close()
}

// finish ends the connection once the read loop has returned.
func (c *conn) finish() {
	c.mu.Lock()
	c.broken = true
	for _, st := range c.streams {
		st.abortLocked(errConnClosed)
	}
	c.streams = map[uint32]*stream{}
	c.queued, c.blocked = nil, nil
	c.cond.Broadcast()
	c.flushed.Broadcast()
	c.mu.Unlock()
	c.cancel()
	c.nc.Close()
	c.handlerWG.Wait()
}

var errConnClosed = errors.New("h2: connection closed")

// handleError answers an error from reading or processing a frame: a
// stream error resets that stream, anything else ends the connection
// (with a GOAWAY when the peer broke the protocol). It reports whether
// the connection goes on.
func (c *conn) handleError(err error) bool {
	var se http2.StreamError
	if errors.As(err, &se) {
		c.mu.Lock()
		c.resetLocked(se.StreamID, se.Code)
		c.mu.Unlock()
		return true
	}
	var ce http2.ConnectionError
	switch {
	case errors.As(err, &ce):
		c.fatal(http2.ErrCode(ce))
	case errors.Is(err, http2.ErrFrameTooLarge):
		c.fatal(http2.ErrCodeFrameSize)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, os.ErrDeadlineExceeded):
	default:
		var ne net.Error
		if !errors.As(err, &ne) {
			c.fatal(http2.ErrCodeProtocol) // a frame the framer refused
		}
	}
	return false
}

// fatal sends GOAWAY with code, then closes the connection once the peer
// has had a moment to read it.
func (c *conn) fatal(code http2.ErrCode) {
	c.mu.Lock()
	c.writeGoAwayLocked(code)
	c.mu.Unlock()
	if c.flush() != nil {
		return
	}
	c.lingerClose()
}

// lingerClose closes our side for writing, discards what the peer still sends
// for a moment (so the close does not reset the connection and lose the
// GOAWAY), then fails the connection.
func (c *conn) lingerClose() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(time.Now().Add(goAwayLinger))
	io.Copy(io.Discard, io.LimitReader(c.br, 1<<20))
	c.fail()
}

// goAway starts a graceful shutdown of the connection: a GOAWAY naming
// the last stream served; open streams finish, new ones are ignored, and
// the connection ends when none is left.
func (c *conn) goAway(code http2.ErrCode) {
	c.mu.Lock()
	if !c.goingAway {
		c.writeGoAwayLocked(code)
		if c.waiting {
			c.armLocked()
		}
	}
	c.mu.Unlock()
	c.flush()
}

func (c *conn) writeGoAwayLocked(code http2.ErrCode) {
	c.goingAway = true
	c.goAwayID = c.maxClientID
	c.fr.WriteGoAway(c.maxClientID, code, nil)
}
