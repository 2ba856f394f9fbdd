package e2e

import (
	"crypto/sha256"
	"io"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/testorigin"
)

// Concurrent misses for one key collapse into one origin fetch whose bytes
// stream to every viewer as they arrive (DESIGN.md "Caching rules").
func TestE2E_Collapse_ConcurrentMissesStreamOneFetch(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	// Five parts 200 ms apart: the origin takes about 0.8 s.
	const size = 50000
	uri := "/collapse?drip=5&dripms=200&size=" + strconv.Itoa(size)
	want := sha256.Sum256(testorigin.Expected("/collapse", 0, size))

	const viewers = 20
	results := make([]stream, viewers)
	var ready, wg sync.WaitGroup
	ready.Add(viewers)
	wg.Add(viewers)
	startGate := make(chan struct{})
	for i := range viewers {
		go func() {
			defer wg.Done()
			ready.Done()
			<-startGate
			results[i] = timedGet(ph.Edge + uri)
		}()
	}
	ready.Wait()
	close(startGate)
	wg.Wait()

	expect(t, "origin requests for 20 concurrent viewers", originCount(t, origin, uri), 1)
	t.Logf("viewer 0: first body byte after %v, whole body after %v", results[0].FirstByte, results[0].Total)
	for i, r := range results {
		if r.Err != nil {
			t.Errorf("viewer %d: %v", i, r.Err)
			continue
		}
		expect(t, "viewer "+strconv.Itoa(i)+" status", r.Status, 200)
		if len(r.Body) != size || sha256.Sum256(r.Body) != want {
			t.Errorf("viewer %d: body of %d bytes does not match the origin's %d", i, len(r.Body), size)
		}
		if r.FirstByte >= r.Total-400*time.Millisecond {
			t.Errorf("viewer %d: first body byte after %v of %v: the body was not streamed as it arrived",
				i, r.FirstByte, r.Total)
		}
	}
}

// An object bigger than the memory tier streams through intact, and is not
// kept: the next request goes to the origin again.
func TestE2E_Collapse_LargerThanMemoryStreams(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t, "--cache-mem", "4MiB")
	const size = 20000000
	path := "/large"
	uri := path + "?size=" + strconv.Itoa(size)

	check := func(n int) string {
		t.Helper()
		resp, err := client.Get(ph.Edge + uri)
		if err != nil {
			t.Fatalf("request %d: %v", n, err)
		}
		defer resp.Body.Close()
		expect(t, "status", resp.StatusCode, 200)
		if resp.ContentLength != -1 && resp.ContentLength != size {
			t.Errorf("request %d: Content-Length %d, want %d", n, resp.ContentLength, size)
		}
		// Compare every byte with the origin's pattern as it arrives.
		pattern := testorigin.Expected(path, 0, testorigin.PatternLen)
		buf := make([]byte, 64<<10)
		var off int64
		mismatch := int64(-1)
		for {
			k, err := resp.Body.Read(buf)
			for i := 0; i < k && mismatch < 0; i++ {
				if buf[i] != pattern[(off+int64(i))%testorigin.PatternLen] {
					mismatch = off + int64(i)
				}
			}
			off += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("request %d: body broke after %d bytes: %v", n, off, err)
			}
		}
		expect(t, "body length", off, size)
		if mismatch >= 0 {
			t.Errorf("request %d: body differs from the origin's at byte %d", n, mismatch)
		}
		return resp.Header.Get("X-Cache")
	}
	expect(t, "first X-Cache", check(1), miss)
	if xc := check(2); xc == hit {
		t.Errorf("second X-Cache = %q: a 20 MB object cannot be kept in a 4 MiB memory tier", xc)
	}
	expect(t, "origin requests", originCount(t, origin, uri), 2)
}
