package h2

import (
	"crypto/tls"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// FastFunc answers a request inline, on the connection's read goroutine,
// from bytes it already holds: it fills resp and returns true, or returns
// false, having kept nothing of req, to leave the request to the Handler.
// It must not block. It is offered only requests that end with their
// header block (no body) and passed every check the Handler's requests
// pass.
type FastFunc func(req *FastRequest, resp *InlineResponse) bool

// FastRequest is a request as the FastFunc sees it. Its strings are valid
// only during the call.
type FastRequest struct {
	Method, Scheme, Authority, Path string
	// Fields are the regular header fields, names in lower case, in the
	// order received (cookie fields not joined).
	Fields     []hpack.HeaderField
	RemoteAddr string
	TLS        *tls.ConnectionState
}

// InlineResponse is the FastFunc's answer. Its buffers belong to the
// connection and are reused: append to Head[:0], Body[:0], Scratch[:0].
type InlineResponse struct {
	// Head is an HTTP/1.1 response head: the status line, then
	// "Name: value\r\n" lines, without the blank line. Names may be in any
	// case; connection-specific fields are dropped.
	Head []byte
	// Body is the body as chunks, sent as they are (a HEAD request's is
	// not sent). They must not change afterwards: an answer larger than
	// the peer's window is sent as WINDOW_UPDATEs arrive.
	Body [][]byte
	// Scratch is the FastFunc's own, kept across requests on the
	// connection (for a cache key, say).
	Scratch []byte
}

// writeInline sends the FastFunc's answer to stream id: HEADERS, then DATA
// as far as the send windows allow; the rest waits in a stream of its own
// for WINDOW_UPDATE (resumeLocked), so the read loop never blocks on it.
func (c *conn) writeInline(id uint32, head bool) {
	resp := &c.inline
	c.enc.reset(false)
	if c.enc.http1Head(resp.Head) == 0 {
		c.mu.Lock()
		c.resetLocked(id, http2.ErrCodeInternal)
		c.mu.Unlock()
		return
	}
	body := resp.Body
	for len(body) > 0 && len(body[0]) == 0 {
		body = body[1:]
	}
	size := bodyLen(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	end := head || size == 0
	c.appendHeadersLocked(id, c.enc.b, end)
	if end {
		return
	}
	allowed := min(c.sendWindow, c.peerWindow, size)
	rest := c.appendChunksLocked(id, body, allowed, true)
	c.sendWindow -= allowed
	if len(rest) == 0 {
		return
	}
	st := c.newStreamLocked(id, stateHalfClosedRemote)
	st.sendWindow -= allowed
	st.pending = append(make([][]byte, 0, len(rest)), rest...)
	c.blocked = append(c.blocked, st)
}

// resumeLocked sends what the send windows now allow of the inline
// answers that wait for them.
func (c *conn) resumeLocked() {
	for i := 0; i < len(c.blocked) && c.sendWindow > 0; {
		st := c.blocked[i]
		allowed := min(c.sendWindow, st.sendWindow, bodyLen(st.pending))
		if allowed <= 0 {
			i++
			continue
		}
		st.pending = c.appendChunksLocked(st.id, st.pending, allowed, true)
		c.sendWindow -= allowed
		st.sendWindow -= allowed
		if len(st.pending) > 0 {
			i++
			continue
		}
		c.endLocalLocked(st) // closes it, and takes it off c.blocked
	}
}
