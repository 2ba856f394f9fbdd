package h2

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http2"
)

// onHeaders handles a HEADERS frame: a new request, or trailers.
func (c *conn) onHeaders(f *http2.HeadersFrame) error {
	id := f.StreamID
	c.mu.Lock()
	st, closed := c.streams[id], id <= c.maxClientID
	c.mu.Unlock()
	c.hb.reset(st != nil)
	if err := c.readHeaderBlock(f); err != nil {
		return err
	}
	if id%2 == 0 {
		return http2.ConnectionError(http2.ErrCodeProtocol) // clients use odd ids (RFC 9113 §5.1.1)
	}
	if st != nil {
		return c.onTrailers(st, f)
	}
	if closed {
		// A closed stream, or an id below one already used.
		return http2.ConnectionError(http2.ErrCodeProtocol)
	}
	c.mu.Lock()
	c.maxClientID = id
	if c.goingAway {
		c.mu.Unlock()
		return nil // above the last stream our GOAWAY named: ignored
	}
	if len(c.streams) >= int(c.srv.maxStreams()) {
		c.resetLocked(id, http2.ErrCodeRefusedStream)
		c.mu.Unlock()
		return c.floodFrame()
	}
	c.mu.Unlock()
	if f.HasPriority() && f.Priority.StreamDep == id {
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
	}
	if c.hb.truncated {
		c.headerTooLarge(id, f.StreamEnded())
		return nil
	}
	cl, ok := c.hb.checkRequest()
	end := f.StreamEnded()
	if !ok || end && cl > 0 {
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
	}
	c.flood = 0
	if end && c.srv.Fast != nil && c.fast() {
		c.writeInline(id, c.hb.method == http.MethodHead)
		return nil
	}
	u := &url.URL{Host: c.hb.authority}
	if c.hb.method != http.MethodConnect {
		var err error
		if u, err = url.ParseRequestURI(c.hb.path); err != nil {
			return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
		}
	}
	return c.startStream(id, u, cl, end)
}

// fast offers the request to the FastFunc.
func (c *conn) fast() bool {
	r := &c.fastReq
	hb := &c.hb
	r.Method, r.Scheme, r.Authority, r.Path = hb.method, hb.scheme, hb.authority, hb.path
	r.Fields, r.RemoteAddr, r.TLS = hb.fields, c.remote, c.tls
	resp := &c.inline
	resp.Head, resp.Body = resp.Head[:0], resp.Body[:0]
	ok := c.srv.Fast(r, resp)
	r.Fields = nil
	return ok
}

// onTrailers takes a trailer block: it must end the stream; its fields
// are dropped (nothing here uses request trailers).
func (c *conn) onTrailers(st *stream, f *http2.HeadersFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st.closed && st.reset {
		return nil // we reset it: the peer may not know yet (RFC 9113 §5.4.2)
	}
	if st.closed || st.state != stateOpen {
		// After the peer's END_STREAM (the stream may have closed since
		// it was looked up, its answer sent).
		return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeStreamClosed}
	}
	if !f.StreamEnded() || c.hb.invalid {
		return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol}
	}
	if st.declLen >= 0 && st.gotLen != st.declLen {
		return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol}
	}
	c.endRemoteLocked(st)
	return nil
}

// headerTooLarge answers a request whose header list is over the limit
// with 431, as net/http does, and stops its body.
func (c *conn) headerTooLarge(id uint32, end bool) {
	const msg = "431 Request Header Fields Too Large\n"
	c.enc.reset(false)
	c.enc.b = appendStatus(c.enc.b, http.StatusRequestHeaderFieldsTooLarge)
	c.enc.field([]byte("content-type"), []byte("text/plain; charset=utf-8"))
	c.enc.field([]byte("content-length"), []byte("36"))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.appendHeadersLocked(id, c.enc.b, false)
	if int64(len(msg)) <= min(c.sendWindow, c.peerWindow) {
		c.appendDataLocked(id, []byte(msg), true)
		c.sendWindow -= int64(len(msg))
	} else {
		c.appendDataLocked(id, nil, true)
	}
	if !end {
		c.fr.WriteRSTStream(id, http2.ErrCodeNo)
	}
}

// startStream opens a stream for the Handler and runs it, or queues it
// while MaxConcurrentStreams handlers run: a peer resetting streams as
// fast as it opens them (CVE-2023-44487) gets no more goroutines than
// that, and a connection whose queue grows past four times the limit is
// ended.
func (c *conn) startStream(id uint32, u *url.URL, cl int64, end bool) error {
	c.mu.Lock()
	state := stateOpen
	if end {
		state = stateHalfClosedRemote
	}
	st := c.newStreamLocked(id, state)
	st.declLen = cl
	req := c.newRequest(st, u, end)
	if c.running >= int(c.srv.maxStreams()) {
		if len(c.queued) >= 4*int(c.srv.maxStreams()) {
			c.mu.Unlock()
			return http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)
		}
		st.req = req
		c.queued = append(c.queued, st)
		c.mu.Unlock()
		return nil
	}
	c.running++
	c.handlerWG.Add(1)
	c.mu.Unlock()
	go c.runHandler(st, req)
	return nil
}

// newRequest builds the Handler's request from the decoded block.
func (c *conn) newRequest(st *stream, u *url.URL, end bool) *http.Request {
	hb := &c.hb
	h := make(http.Header, len(hb.fields))
	var cookies []string
	for _, f := range hb.fields {
		if f.Name == "cookie" && hb.cookies > 1 {
			cookies = append(cookies, f.Value)
			continue
		}
		k := http.CanonicalHeaderKey(f.Name)
		h[k] = append(h[k], f.Value)
	}
	if cookies != nil {
		h["Cookie"] = []string{strings.Join(cookies, "; ")} // RFC 9113 §8.2.3
	}
	host := hb.authority
	if host == "" {
		host = h.Get("Host")
	}
	delete(h, "Host")
	if hb.expect100 {
		delete(h, "Expect") // answered here, as net/http does
		st.expect100 = !end
	}
	st.ctx, st.cancel = context.WithCancel(c.ctx)
	r := &http.Request{
		Method:     hb.method,
		URL:        u,
		Proto:      "HTTP/2.0",
		ProtoMajor: 2,
		Header:     h,
		Host:       host,
		RequestURI: hb.path,
		RemoteAddr: c.remote,
		TLS:        c.tls,
		Body:       http.NoBody,
	}
	if !end {
		st.body = newPipe(st)
		r.Body = st.body
		r.ContentLength = st.declLen
	}
	return r.WithContext(st.ctx)
}
