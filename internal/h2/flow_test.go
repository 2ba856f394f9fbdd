package h2

import (
	"bytes"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// readData reads frames until n bytes of DATA for stream id arrived (or
// the stream ended) and returns them; other frames are passed to other.
func (rc *rawConn) readData(id uint32, n int, other func(http2.Frame)) ([]byte, bool) {
	rc.t.Helper()
	var got []byte
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < n {
		f, err := rc.readErr(time.Until(deadline))
		if err != nil {
			rc.t.Fatalf("stream %d: after %d bytes: %v", id, len(got), err)
		}
		d, ok := f.(*http2.DataFrame)
		if !ok || d.StreamID != id {
			if other != nil {
				other(f)
			}
			continue
		}
		got = append(got, d.Data()...)
		if d.StreamEnded() {
			return got, true
		}
	}
	return got, false
}

// quiet checks that no DATA for id arrives within d.
func (rc *rawConn) quiet(id uint32, d time.Duration) {
	rc.t.Helper()
	deadline := time.Now().Add(d)
	for {
		f, err := rc.readErr(time.Until(deadline))
		if err != nil {
			return // the timeout: nothing came
		}
		if df, ok := f.(*http2.DataFrame); ok && df.StreamID == id && len(df.Data()) > 0 {
			rc.t.Fatalf("stream %d: %d bytes of DATA beyond the window", id, len(df.Data()))
		}
	}
}

// An inline answer larger than the peer's stream window sends exactly the
// window, then waits for WINDOW_UPDATE without holding up the read loop:
// a PING and another request are answered meanwhile.
func TestInlineAnswerWaitsForWindow(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(echoHandler), Fast: fastHits(new(atomic.Int64))})
	rc := ts.dialRaw(t, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
	want := testBody(70_000)
	rc.get(1, "/fast/70000")
	got, ended := rc.readData(1, 1000, nil)
	if ended || len(got) != 1000 {
		t.Fatalf("first window: %d bytes, ended %v", len(got), ended)
	}
	rc.quiet(1, 200*time.Millisecond)

	rc.fr.WritePing(false, [8]byte{1, 2, 3})
	rc.get(3, "/fast/500")
	pinged := false
	small, _ := rc.readData(3, 500, func(f http2.Frame) {
		if p, ok := f.(*http2.PingFrame); ok && p.IsAck() && p.Data == [8]byte{1, 2, 3} {
			pinged = true
		}
	})
	if !pinged || !bytes.Equal(small, testBody(500)) {
		t.Fatalf("while stream 1 waits: PING answered %v, stream 3 %d bytes", pinged, len(small))
	}
	// The connection window (65,535) now limits too: 1,500 sent of it.
	rc.fr.WriteWindowUpdate(1, 200_000)
	more, ended := rc.readData(1, 65535-1500, nil)
	if ended || len(more) != 65535-1500 {
		t.Fatalf("after the stream's update: %d bytes, ended %v", len(more), ended)
	}
	rc.quiet(1, 200*time.Millisecond)
	rc.fr.WriteWindowUpdate(0, 100_000)
	rest, ended := rc.readData(1, 70_000, nil)
	got = append(append(got, more...), rest...)
	if !ended || !bytes.Equal(got, want) {
		t.Fatalf("whole answer: %d bytes, ended %v, equal %v", len(got), ended, bytes.Equal(got, want))
	}
}

// A handler's answer over a small window: the handler blocks, the read
// loop does not; a SETTINGS change of the initial window applies to the
// open stream (RFC 9113 §6.9.2).
func TestHandlerAnswerWaitsForWindow(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(echoHandler)})
	rc := ts.dialRaw(t, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 100})
	rc.get(1, "/sized/50000")
	got, _ := rc.readData(1, 100, nil)
	rc.quiet(1, 200*time.Millisecond)
	rc.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 30_100})
	more, _ := rc.readData(1, 30_000, nil)
	if len(more) != 30_000 {
		t.Fatalf("after SETTINGS: %d bytes", len(more))
	}
	rc.quiet(1, 200*time.Millisecond)
	rc.fr.WriteWindowUpdate(1, 100_000)
	rc.fr.WriteWindowUpdate(0, 100_000)
	rest, ended := rc.readData(1, 50_000, nil)
	got = append(append(got, more...), rest...)
	if !ended || !bytes.Equal(got, testBody(50_000)) {
		t.Fatalf("whole answer: %d bytes, ended %v", len(got), ended)
	}
}

// A peer sending more than the window it was given breaks flow control:
// past a stream's window it is a stream error, past the connection's a
// connection error (RFC 9113 §6.9.1).
func TestReceiveWindowEnforced(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	ts := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-block // reads nothing: the window is not returned
		io.Copy(io.Discard, r.Body)
	})})
	rc := ts.dialRaw(t)
	post := func(id uint32) {
		rc.headers(id, false, rc.block(":method", "POST", ":scheme", "https", ":authority", "localhost", ":path", "/up"))
	}
	chunk := make([]byte, 16<<10)
	post(1)
	for range streamRecvWindow / len(chunk) {
		rc.fr.WriteData(1, false, chunk)
	}
	rc.fr.WriteData(1, false, []byte{1})
	if code := rc.reset(1); code != http2.ErrCodeFlowControl {
		t.Fatalf("past the stream window: RST_STREAM %v", code)
	}
	// The reset stream's bytes went back to the connection window: four
	// more streams may fill their windows before the connection's ends.
	for id := uint32(3); id <= 9; id += 2 {
		post(id)
		for range streamRecvWindow / len(chunk) {
			rc.fr.WriteData(id, false, chunk)
		}
	}
	post(11)
	rc.fr.WriteData(11, false, []byte{1})
	if ga := rc.goAway(); ga.ErrCode != http2.ErrCodeFlowControl {
		t.Fatalf("past the connection window: GOAWAY %v", ga.ErrCode)
	}
}
