package h2

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// RST_STREAM from the client cancels the handler's request context and
// fails its body reads; the connection serves on.
func TestResetCancelsHandler(t *testing.T) {
	cancelled := make(chan error, 2)
	ts := serve(t, &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/body":
			_, err := io.ReadAll(r.Body)
			cancelled <- err
			return
		case "/wait":
		default:
			http.NotFound(w, r)
			return
		}
		select {
		case <-r.Context().Done():
			cancelled <- r.Context().Err()
		case <-time.After(10 * time.Second):
			cancelled <- errors.New("not cancelled")
		}
	})})
	// Through x/net's client: cancelling the request sends RST_STREAM.
	c, _ := ts.client()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.url("/wait"), nil)
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	if _, err := c.Do(req); err == nil {
		t.Fatal("the cancelled request succeeded")
	}
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler context: %v", err)
	}
	// A body read in progress fails.
	rc := ts.dialRaw(t)
	rc.headers(1, false, rc.block(":method", "POST", ":scheme", "https", ":authority", "localhost", ":path", "/body"))
	rc.fr.WriteData(1, false, []byte("part"))
	time.Sleep(100 * time.Millisecond)
	rc.fr.WriteRSTStream(1, http2.ErrCodeCancel)
	if err := <-cancelled; err == nil {
		t.Fatal("the body read ended cleanly after RST_STREAM")
	}
	rc.get(3, "/other")
	if r := rc.response(3); r.status != "404" {
		t.Fatalf("after the reset: %s", r.status)
	}
}

// Shutdown sends GOAWAY naming the last stream taken, lets that stream
// finish, ignores streams opened after it, and returns once the
// connection has ended.
func TestGracefulShutdown(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		close(started)
		<-release
		io.WriteString(w, "finished")
	})}
	ts := serve(t, s)
	rc := ts.dialRaw(t)
	rc.get(1, "/slow")
	<-started
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- s.Shutdown(ctx)
	}()
	ga := rc.goAway()
	if ga.ErrCode != http2.ErrCodeNo || ga.LastStreamID != 1 {
		t.Fatalf("GOAWAY %v last stream %d, want NO_ERROR and 1", ga.ErrCode, ga.LastStreamID)
	}
	rc.get(3, "/after") // above the last stream: ignored
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a stream open", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if r := rc.response(1); r.status != "200" || string(r.body) != "finished" {
		t.Fatalf("the open stream: %s %q", r.status, r.body)
	}
	if !rc.closed(5 * time.Second) {
		t.Fatal("the connection stayed open")
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d handler calls, want 1 (the stream after GOAWAY is not served)", n)
	}
	// A connection arriving afterwards is closed at once.
	if _, err := ts.dialRawErr(); err == nil {
		t.Fatal("a new connection was served after Shutdown")
	}
}

// Shutdown with a deadline closes connections whose streams do not end.
func TestShutdownDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := &Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})}
	ts := serve(t, s)
	rc := ts.dialRaw(t)
	rc.get(1, "/stuck")
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the deadline", err)
	}
	if !rc.closed(5 * time.Second) {
		t.Fatal("the connection stayed open past the deadline")
	}
}

// A connection without streams for IdleTimeout gets GOAWAY and is closed;
// one whose frame stalls halfway is closed after ReadHeaderTimeout.
func TestTimeouts(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(echoHandler), IdleTimeout: 300 * time.Millisecond,
		ReadHeaderTimeout: 300 * time.Millisecond})
	rc := ts.dialRaw(t)
	rc.get(1, "/sized/10")
	rc.response(1)
	start := time.Now()
	if ga := rc.goAway(); ga.ErrCode != http2.ErrCodeNo {
		t.Fatalf("idle: GOAWAY %v", ga.ErrCode)
	}
	if !rc.closed(5*time.Second) || time.Since(start) > 4*time.Second {
		t.Fatal("idle: the connection stayed open")
	}
	// A HEADERS frame whose block never ends (no CONTINUATION comes).
	rc = ts.dialRaw(t)
	rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: rc.block(":method", "GET"), EndHeaders: false})
	if !rc.closed(5 * time.Second) {
		t.Fatal("stalled header block: the connection stayed open")
	}
	// Half a frame header.
	rc = ts.dialRaw(t)
	rc.c.Write([]byte{0, 0, 5, 1})
	if !rc.closed(5 * time.Second) {
		t.Fatal("stalled frame: the connection stayed open")
	}
}

// Past MAX_CONCURRENT_STREAMS a new stream is refused with
// REFUSED_STREAM; the others go on.
func TestRefusedStream(t *testing.T) {
	release := make(chan struct{})
	ts := serve(t, &Server{MaxConcurrentStreams: 2, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		io.WriteString(w, "ok")
	})})
	rc := ts.dialRaw(t)
	rc.get(1, "/a")
	rc.get(3, "/b")
	rc.get(5, "/c")
	if code := rc.reset(5); code != http2.ErrCodeRefusedStream {
		t.Fatalf("third stream: %v, want REFUSED_STREAM", code)
	}
	close(release)
	for id, r := range rc.responses(1, 3) {
		if string(r.body) != "ok" {
			t.Fatalf("stream %d: %q", id, r.body)
		}
	}
	rc.get(7, "/d")
	if r := rc.response(7); string(r.body) != "ok" {
		t.Fatalf("after the others ended: %q", r.body)
	}
}
