package h2

import (
	"golang.org/x/net/http2"
)

// floodLimit is how many frames that ask for work but no answer (PING,
// SETTINGS, RST_STREAM, PRIORITY, empty DATA, refused streams) a peer may
// send between two requests before the connection is ended with
// ENHANCE_YOUR_CALM.
const floodLimit = 1000

func (c *conn) floodFrame() error {
	c.flood++
	if c.flood > floodLimit {
		return http2.ConnectionError(http2.ErrCodeEnhanceYourCalm)
	}
	return nil
}

// process acts on one frame from the peer.
func (c *conn) process(f http2.Frame) error {
	if !c.settled {
		// RFC 9113 §3.4: the preface goes on with a SETTINGS frame.
		if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
			return http2.ConnectionError(http2.ErrCodeProtocol)
		}
		c.settled = true
	}
	switch f := f.(type) {
	case *http2.HeadersFrame:
		return c.onHeaders(f)
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.SettingsFrame:
		return c.onSettings(f)
	case *http2.WindowUpdateFrame:
		return c.onWindowUpdate(f)
	case *http2.PingFrame:
		if f.IsAck() {
			return nil
		}
		c.mu.Lock()
		c.fr.WritePing(true, f.Data)
		c.mu.Unlock()
		return c.floodFrame()
	case *http2.RSTStreamFrame:
		return c.onReset(f)
	case *http2.PriorityFrame:
		if f.StreamDep == f.StreamID {
			return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol}
		}
		return c.floodFrame() // otherwise ignored (RFC 9113 §5.3.2)
	case *http2.GoAwayFrame:
		c.goAway(http2.ErrCodeNo) // the peer is leaving: finish what is open
	case *http2.PushPromiseFrame, *http2.ContinuationFrame:
		return http2.ConnectionError(http2.ErrCodeProtocol) // never from a client; CONTINUATION only in a block
	}
	return nil // unknown frame types are ignored (RFC 9113 §5.5)
}

func (c *conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			// RFC 9113 §6.9.2: the change applies to every open stream's
			// window, which may go negative.
			delta := int64(s.Val) - c.peerWindow
			c.peerWindow = int64(s.Val)
			for _, st := range c.streams {
				st.sendWindow += delta
				if st.sendWindow > maxWindow {
					return http2.ConnectionError(http2.ErrCodeFlowControl)
				}
			}
		case http2.SettingMaxFrameSize:
			c.peerFrame = int(s.Val)
		case http2.SettingHeaderTableSize:
			c.sizeUpdate = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.fr.WriteSettingsAck()
	c.cond.Broadcast()
	c.resumeLocked()
	return c.floodFrame()
}

const maxWindow = 1<<31 - 1

func (c *conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		c.sendWindow += inc
		if c.sendWindow > maxWindow {
			return http2.ConnectionError(http2.ErrCodeFlowControl)
		}
	} else {
		st := c.streams[f.StreamID]
		if st == nil {
			if f.StreamID > c.maxClientID {
				return http2.ConnectionError(http2.ErrCodeProtocol) // idle stream
			}
			return nil // closed: allowed for a while after (RFC 9113 §6.9)
		}
		st.sendWindow += inc
		if st.sendWindow > maxWindow {
			return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
		}
	}
	c.cond.Broadcast()
	c.resumeLocked()
	return nil
}

func (c *conn) onReset(f *http2.RSTStreamFrame) error {
	c.mu.Lock()
	if f.StreamID > c.maxClientID {
		c.mu.Unlock()
		return http2.ConnectionError(http2.ErrCodeProtocol) // idle stream
	}
	if st := c.streams[f.StreamID]; st != nil {
		c.closeLocked(st, errStreamReset)
	}
	c.mu.Unlock()
	return c.floodFrame()
}

func (c *conn) onData(f *http2.DataFrame) error {
	id := f.StreamID
	n := int64(f.Length) // padding counts against the windows too
	data := f.Data()
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > c.recvWindow {
		return http2.ConnectionError(http2.ErrCodeFlowControl)
	}
	c.recvWindow -= n
	st := c.streams[id]
	if st == nil || st.state != stateOpen {
		c.returnConnLocked(n) // nobody reads it
		if id > c.maxClientID {
			return http2.ConnectionError(http2.ErrCodeProtocol) // idle stream
		}
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeStreamClosed}
	}
	if n > st.recvWindow {
		c.returnConnLocked(n)
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeFlowControl}
	}
	st.recvWindow -= n
	if pad := n - int64(len(data)); pad > 0 {
		c.consumedLocked(st, pad)
	}
	st.gotLen += int64(len(data))
	if st.declLen >= 0 && (st.gotLen > st.declLen || f.StreamEnded() && st.gotLen != st.declLen) {
		// RFC 9113 §8.1.1: a body that disagrees with its content-length
		// makes the request malformed.
		c.returnConnLocked(int64(len(data)))
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
	}
	if len(data) > 0 && !st.body.writeLocked(data) {
		c.consumedLocked(st, int64(len(data)))
	}
	if f.StreamEnded() {
		c.endRemoteLocked(st)
	} else if len(data) == 0 {
		return c.floodFrame()
	}
	return nil
}
