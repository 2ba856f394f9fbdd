package h2

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"

	"golang.org/x/net/http2"
)

// streamState is where a stream in c.streams stands (RFC 9113 §5.1); idle
// and closed streams are not in the map: an id at or below maxClientID
// that is not there is closed.
type streamState uint8

const (
	stateOpen             streamState = iota
	stateHalfClosedRemote             // the peer ended its side
	stateHalfClosedLocal              // we ended ours; the peer still sends
)

// stream is one request and its answer. Fields are guarded by c.mu unless
// noted.
type stream struct {
	c          *conn
	id         uint32
	state      streamState
	closed     bool
	sendWindow int64
	// recvWindow is what the peer may still send; recvUnacked is what the
	// handler consumed and has not been returned to it yet.
	recvWindow  int64
	recvUnacked int64
	declLen     int64 // the request's content-length, -1 when not given
	gotLen      int64 // request body bytes received
	body        *pipe // nil without a request body
	ctx         context.Context
	cancel      context.CancelFunc
	req         *http.Request // a queued stream's request
	// pending is the rest of an inline answer's body, waiting for window.
	pending [][]byte
	// sentHead says the response's HEADERS (final, not 1xx) are out;
	// expect100 that the request asked for 100-continue and has not had it.
	sentHead  bool
	expect100 bool
	reset     bool // we sent RST_STREAM: late frames are ignored
}

var (
	errStreamReset  = errors.New("h2: stream reset")
	errStreamClosed = errors.New("h2: stream closed")
)

func (c *conn) newStreamLocked(id uint32, state streamState) *stream {
	st := &stream{c: c, id: id, state: state, sendWindow: c.peerWindow,
		recvWindow: streamRecvWindow, declLen: -1}
	c.streams[id] = st
	return st
}

// resetLocked sends RST_STREAM for id and closes the stream if it is open.
func (c *conn) resetLocked(id uint32, code http2.ErrCode) {
	c.fr.WriteRSTStream(id, code)
	if st := c.streams[id]; st != nil {
		st.reset = true
		c.closeLocked(st, errStreamReset)
	}
}

// closeLocked removes a stream: its handler's context ends, its request
// body reads fail with err (unless it ended already), the bytes it held
// unread go back to the connection's window.
func (c *conn) closeLocked(st *stream, err error) {
	if st.closed {
		return
	}
	delete(c.streams, st.id)
	st.abortLocked(err)
	if i := slices.Index(c.blocked, st); i >= 0 {
		c.blocked = slices.Delete(c.blocked, i, i+1)
	}
	st.pending = nil
	c.cond.Broadcast()
	if len(c.streams) == 0 && c.waiting {
		c.armLocked()
	}
}

// abortLocked ends what runs for a stream that is closed.
func (st *stream) abortLocked(err error) {
	st.closed = true
	if err == nil {
		err = errStreamClosed
	}
	if st.cancel != nil {
		st.cancel()
	}
	if st.body != nil {
		if n := st.body.closeLocked(err); n > 0 {
			st.c.returnConnLocked(int64(n))
		}
	}
}

// endRemoteLocked moves a stream past the peer's END_STREAM.
func (c *conn) endRemoteLocked(st *stream) {
	if st.body != nil {
		st.body.closeLocked(io.EOF)
	}
	if st.state == stateHalfClosedLocal {
		c.closeLocked(st, nil)
		return
	}
	st.state = stateHalfClosedRemote
}

// endLocalLocked moves a stream past our END_STREAM. When the peer is
// still sending a body nobody will read, it is told to stop
// (RST_STREAM NO_ERROR, RFC 9113 §8.1).
func (c *conn) endLocalLocked(st *stream) {
	if st.state == stateHalfClosedRemote {
		c.closeLocked(st, nil)
		return
	}
	st.state = stateHalfClosedLocal
	c.resetLocked(st.id, http2.ErrCodeNo)
}

// returnConnLocked gives n consumed bytes back to the connection's receive
// window, with a WINDOW_UPDATE once enough have gathered.
func (c *conn) returnConnLocked(n int64) {
	c.recvUnacked += n
	if c.recvUnacked >= connRecvWindow/4 {
		c.fr.WriteWindowUpdate(0, uint32(c.recvUnacked))
		c.recvWindow += c.recvUnacked
		c.recvUnacked = 0
	}
}

// consumedLocked accounts n body bytes the handler read.
func (c *conn) consumedLocked(st *stream, n int64) {
	c.returnConnLocked(n)
	if st.state != stateOpen {
		return // the peer sends no more on this stream
	}
	st.recvUnacked += n
	if st.recvUnacked >= streamRecvWindow/4 {
		c.fr.WriteWindowUpdate(st.id, uint32(st.recvUnacked))
		st.recvWindow += st.recvUnacked
		st.recvUnacked = 0
	}
}

// pipe is a request body: DATA payloads appended by the read goroutine,
// read by the handler. Its size is bounded by the stream's receive
// window. Guarded by c.mu.
type pipe struct {
	st   *stream
	cond sync.Cond
	buf  []byte
	off  int
	err  error // io.EOF at the end, or why the stream ended
	done bool  // the handler will read no more: data is discarded
}

func newPipe(st *stream) *pipe {
	p := &pipe{st: st}
	p.cond.L = &st.c.mu
	return p
}

// writeLocked appends data from a DATA frame. It reports false when
// nobody reads any more (the data is to be given back at once).
func (p *pipe) writeLocked(data []byte) bool {
	if p.done || p.err != nil {
		return false
	}
	p.buf = append(p.buf, data...)
	p.cond.Signal()
	return true
}

// closeLocked ends the body with err (the first error sticks) and returns
// how many bytes were left unread.
func (p *pipe) closeLocked(err error) int {
	if p.err == nil && err != nil {
		p.err = err
	}
	p.cond.Broadcast()
	if err != nil && err != io.EOF {
		n := len(p.buf) - p.off
		p.buf, p.off = nil, 0
		return n
	}
	return 0
}

// Read is the handler's side.
func (p *pipe) Read(b []byte) (int, error) {
	c := p.st.c
	c.mu.Lock()
	for len(p.buf) == p.off && p.err == nil && !p.done {
		if p.st.expect100 {
			p.st.expect100 = false
			if !p.st.sentHead && !p.st.closed {
				c.writeInterimLocked(p.st, 100, nil)
				c.mu.Unlock()
				c.flush()
				c.mu.Lock()
				continue
			}
		}
		p.cond.Wait()
	}
	if len(p.buf) > p.off {
		n := copy(b, p.buf[p.off:])
		p.off += n
		if p.off == len(p.buf) {
			p.buf, p.off = p.buf[:0], 0
		}
		before := len(c.out)
		c.consumedLocked(p.st, int64(n))
		wrote := len(c.out) != before
		c.mu.Unlock()
		if wrote {
			c.flush()
		}
		return n, nil
	}
	err := p.err
	if p.done {
		err = errBodyClosed
	}
	c.mu.Unlock()
	return 0, err
}

var errBodyClosed = errors.New("h2: read on closed body")

// Close discards the rest of the body and gives its bytes back.
func (p *pipe) Close() error {
	c := p.st.c
	c.mu.Lock()
	p.done = true
	n := len(p.buf) - p.off
	p.buf, p.off = nil, 0
	if n > 0 {
		c.returnConnLocked(int64(n))
	}
	p.cond.Broadcast()
	c.mu.Unlock()
	return nil
}
