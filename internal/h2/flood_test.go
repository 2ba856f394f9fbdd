package h2

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// Frames that cost work and ask for no answer, sent without end, get the
// connection closed with ENHANCE_YOUR_CALM; a client that also sends
// requests is never cut off.
func TestControlFrameFloods(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(echoHandler), Fast: fastHits(new(atomic.Int64))})
	floods := map[string]func(rc *rawConn, i int){
		"PING":        func(rc *rawConn, i int) { rc.fr.WritePing(false, [8]byte{byte(i)}) },
		"SETTINGS":    func(rc *rawConn, i int) { rc.fr.WriteSettings() },
		"PRIORITY":    func(rc *rawConn, i int) { rc.fr.WritePriority(uint32(2*i+1), http2.PriorityParam{Weight: 1}) },
		"empty DATA":  func(rc *rawConn, i int) { rc.fr.WriteData(1, false, nil) },
		"RST_STREAM":  func(rc *rawConn, i int) { rc.fr.WriteRSTStream(1, http2.ErrCodeCancel) },
		"ping+ignore": func(rc *rawConn, i int) { rc.fr.WritePing(true, [8]byte{}) }, // ACKs cost nothing: allowed
	}
	for name, send := range floods {
		t.Run(name, func(t *testing.T) {
			rc := ts.dialRaw(t)
			if name == "empty DATA" || name == "RST_STREAM" {
				rc.headers(1, false, rc.block(":method", "POST", ":scheme", "https", ":authority", "a", ":path", "/echo"))
			}
			var code http2.ErrCode = 255
			sent := make(chan struct{})
			go func() {
				defer close(sent)
				for i := 0; i < 3*floodLimit; i++ {
					send(rc, i)
				}
			}()
			defer func() { rc.c.Close(); <-sent }()
			f, err := rc.readErr(5 * time.Second)
			for err == nil {
				if ga, ok := f.(*http2.GoAwayFrame); ok {
					code = ga.ErrCode
					break
				}
				f, err = rc.readErr(time.Second)
			}
			if name == "ping+ignore" {
				if code != 255 {
					t.Fatalf("PING ACKs ended the connection: %v", code)
				}
				return
			}
			if code != http2.ErrCodeEnhanceYourCalm {
				t.Fatalf("GOAWAY %v, want ENHANCE_YOUR_CALM", code)
			}
		})
	}
	// Requests in between reset the count.
	rc := ts.dialRaw(t)
	for i := range 5 {
		for j := range floodLimit / 2 {
			rc.fr.WritePing(false, [8]byte{byte(j)})
		}
		id := uint32(2*i + 1)
		rc.get(id, "/fast/10")
		if r := rc.response(id); r.status != "200" {
			t.Fatalf("request %d among PINGs: %s", i, r.status)
		}
	}
}

// CONTINUATION frames without end (CVE-2024-27316) end the connection.
func TestContinuationFlood(t *testing.T) {
	ts := serve(t, &Server{Handler: http.HandlerFunc(echoHandler)})
	rc := ts.dialRaw(t)
	rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: rc.block(":method", "GET"), EndHeaders: false})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for range 10 * maxContinuations {
			if rc.fr.WriteContinuation(1, false, nil) != nil {
				return
			}
		}
	}()
	defer func() { rc.c.Close(); <-sent }()
	if ga := rc.goAway(); ga.ErrCode != http2.ErrCodeEnhanceYourCalm {
		t.Fatalf("GOAWAY %v", ga.ErrCode)
	}
}

// Rapid reset (CVE-2023-44487): streams reset as soon as they are opened
// never run more handlers at once than MAX_CONCURRENT_STREAMS, and a peer
// that keeps on gets the connection closed.
func TestRapidReset(t *testing.T) {
	const limit = 8
	var running, peak atomic.Int64
	release := make(chan struct{})
	var once sync.Once
	defer once.Do(func() { close(release) })
	ts := serve(t, &Server{MaxConcurrentStreams: limit, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		<-release // ignores the cancellation, as a slow origin fetch might
	})})
	rc := ts.dialRaw(t)
	block := rc.block(":method", "GET", ":scheme", "https", ":authority", "a", ":path", "/")
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range 100 * limit {
			id := uint32(2*i + 1)
			err := rc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true})
			if err != nil || rc.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
				return
			}
		}
	}()
	ga := rc.goAway()
	rc.c.Close()
	<-sent
	if ga.ErrCode != http2.ErrCodeEnhanceYourCalm {
		t.Fatalf("GOAWAY %v", ga.ErrCode)
	}
	if p := peak.Load(); p > limit {
		t.Fatalf("%d handlers ran at once, limit %d", p, limit)
	}
	once.Do(func() { close(release) })
}
