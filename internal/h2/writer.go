package h2

import (
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
)

// runHandler runs the Handler for a stream on its own goroutine.
func (c *conn) runHandler(st *stream, req *http.Request) {
	w := &responseWriter{c: c, st: st, head: req.Method == http.MethodHead, clen: -1}
	defer c.handlerDone(st, w, req)
	c.srv.Handler.ServeHTTP(w, req)
}

// handlerDone ends a handler's answer: the rest of its body and
// END_STREAM, or, after a panic (http.ErrAbortHandler included),
// RST_STREAM so the viewer sees a broken answer; then it starts a queued
// stream's handler in this one's place.
func (c *conn) handlerDone(st *stream, w *responseWriter, req *http.Request) {
	e := recover()
	if e != nil && e != http.ErrAbortHandler {
		buf := make([]byte, 64<<10)
		buf = buf[:runtime.Stack(buf, false)]
		c.srv.logger().Error("h2: handler panic", "remote", c.remote, "uri", req.RequestURI,
			"panic", fmt.Sprint(e), "stack", string(buf))
	}
	if st.body != nil {
		st.body.Close()
	}
	if e != nil {
		w.reset(http2.ErrCodeInternal)
	} else {
		w.finish()
	}
	c.mu.Lock()
	c.running--
	var next *stream
	for len(c.queued) > 0 && !c.broken {
		s := c.queued[0]
		c.queued = c.queued[1:]
		if !s.closed {
			next = s
			break
		}
	}
	if next != nil {
		c.running++
		c.handlerWG.Add(1)
	}
	c.mu.Unlock()
	if next != nil {
		req := next.req
		next.req = nil
		go c.runHandler(next, req)
	}
	c.handlerWG.Done()
}

// responseWriter is a handler's http.ResponseWriter and http.Flusher.
// Small writes gather in buf; a full buffer, Flush or the handler's return
// sends them as DATA frames, waiting for send window as needed.
type responseWriter struct {
	c           *conn
	st          *stream
	header      http.Header
	snap        http.Header // the header as it was at WriteHeader, which is what is sent
	status      int
	wroteHeader bool
	head        bool  // a HEAD request: the body is not sent
	clen        int64 // the handler's Content-Length, -1 when none
	written     int64
	buf         []byte
	enc         blockEncoder
	failed      error
}

const writeBufSize = 16 << 10

func (w *responseWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code < 200 {
		// 1xx: sent at once, the final status follows. 101 has no place
		// in HTTP/2 (RFC 9113 §8.6).
		if code != http.StatusSwitchingProtocols {
			w.c.mu.Lock()
			if !w.st.closed {
				w.st.expect100 = false
				w.c.writeInterimLocked(w.st, code, w.header)
			}
			w.c.mu.Unlock()
			w.c.flush()
		}
		return
	}
	w.wroteHeader, w.status = true, code
	// Changes to the header after WriteHeader have no effect (the
	// http.ResponseWriter contract).
	w.snap = w.Header().Clone()
	if v := w.snap.Get("Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			w.clen = n
		} else {
			delete(w.snap, "Content-Length") // as net/http: never send a bad one
		}
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.failed != nil {
		return 0, w.failed
	}
	if w.clen >= 0 && w.written+int64(len(p)) > w.clen {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	if w.head {
		return len(p), nil
	}
	if len(w.buf)+len(p) <= writeBufSize {
		w.buf = append(w.buf, p...)
		return len(p), nil
	}
	if err := w.send(w.buf, false); err != nil {
		return 0, err
	}
	w.buf = w.buf[:0]
	if len(p) >= writeBufSize {
		if err := w.send(p, false); err != nil {
			return 0, err
		}
	} else {
		w.buf = append(w.buf, p...)
	}
	return len(p), nil
}

func (w *responseWriter) WriteString(s string) (int, error) {
	return w.Write([]byte(s))
}

func (w *responseWriter) Flush() { w.FlushError() }

// FlushError sends the header and what is buffered.
func (w *responseWriter) FlushError() error {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed != nil {
		return w.failed
	}
	err := w.send(w.buf, false)
	w.buf = w.buf[:0]
	return err
}

// finish completes the answer when the handler returns.
func (w *responseWriter) finish() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed != nil {
		return
	}
	if w.clen >= 0 && w.written < w.clen && !w.head && bodyAllowed(w.status) {
		w.reset(http2.ErrCodeInternal) // shorter than it said: never end it as if complete
		return
	}
	if !w.st.sentHead && w.clen < 0 && bodyAllowed(w.status) && (w.written > 0 || !w.head) {
		// The whole answer is known: say how long it is.
		w.clen = w.written
		w.snap["Content-Length"] = []string{strconv.FormatInt(w.written, 10)}
	}
	w.send(w.buf, true)
	w.buf = nil
}

// reset ends the stream with RST_STREAM.
func (w *responseWriter) reset(code http2.ErrCode) {
	c := w.c
	c.mu.Lock()
	if !w.st.closed {
		c.resetLocked(w.st.id, code)
	}
	c.mu.Unlock()
	c.flush()
}

// send sends the header if it has not gone yet, then p as DATA frames
// (end: with END_STREAM), as the windows allow.
func (w *responseWriter) send(p []byte, end bool) error {
	c, st := w.c, w.st
	if !st.sentHead {
		w.encodeHeader(p)
	}
	c.mu.Lock()
	for {
		if st.closed || c.broken {
			c.mu.Unlock()
			w.failed = errStreamClosed
			return w.failed
		}
		if !st.sentHead {
			st.sentHead = true
			st.expect100 = false
			noBody := w.head || !bodyAllowed(w.status) || len(p) == 0 && end
			c.appendHeadersLocked(st.id, w.enc.b, end && noBody)
			if noBody {
				if end {
					c.endLocalLocked(st)
				}
				break
			}
		}
		n := min(c.sendWindow, st.sendWindow, int64(len(p)))
		if n <= 0 && len(p) > 0 {
			// Out of window: what is queued goes now, then wait for a
			// WINDOW_UPDATE (the read goroutine broadcasts every change).
			c.mu.Unlock()
			if err := c.flush(); err != nil {
				w.failed = err
				return err
			}
			c.mu.Lock()
			if (min(c.sendWindow, st.sendWindow) <= 0) && !st.closed && !c.broken {
				c.cond.Wait()
			}
			continue
		}
		last := end && n == int64(len(p))
		c.appendDataLocked(st.id, p[:n], last)
		c.sendWindow -= n
		st.sendWindow -= n
		p = p[n:]
		if last {
			c.endLocalLocked(st)
		}
		if len(p) == 0 {
			break
		}
		if len(c.out) >= flushAt {
			c.mu.Unlock()
			if err := c.flush(); err != nil {
				w.failed = err
				return err
			}
			c.mu.Lock()
		}
	}
	c.mu.Unlock()
	if err := c.flush(); err != nil {
		w.failed = err
		return err
	}
	return nil
}

// encodeHeader builds the response's header block, adding what net/http
// adds: Date, and a sniffed Content-Type when the handler set none.
func (w *responseWriter) encodeHeader(first []byte) {
	h := w.snap
	e := &w.enc
	e.reset(false)
	e.b = appendStatus(e.b, w.status)
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !httpguts.ValidHeaderFieldName(k) || strings.HasPrefix(k, http.TrailerPrefix) || k == "Trailer" {
			continue
		}
		for _, v := range h[k] {
			if httpguts.ValidHeaderFieldValue(v) {
				e.field([]byte(k), []byte(v))
			}
		}
	}
	if _, ok := h["Date"]; !ok {
		e.field([]byte("date"), []byte(time.Now().UTC().Format(http.TimeFormat)))
	}
	if _, ok := h["Content-Type"]; !ok && bodyAllowed(w.status) && len(first) > 0 && !w.head {
		e.field([]byte("content-type"), []byte(http.DetectContentType(first)))
	}
}

// writeInterimLocked sends a 1xx answer's HEADERS.
func (c *conn) writeInterimLocked(st *stream, code int, h http.Header) {
	e := &c.ctlEnc
	e.reset(false)
	e.b = appendStatus(e.b, code)
	for k, vs := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			continue
		}
		for _, v := range vs {
			if httpguts.ValidHeaderFieldValue(v) {
				e.field([]byte(k), []byte(v))
			}
		}
	}
	c.appendHeadersLocked(st.id, e.b, false)
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
)
