// Command collapse measures request collapsing in a caching proxy: it opens
// N keep-alive connections (one per viewer, each warmed with one request to
// -warm), releases all N viewers at once from a barrier with a GET for the
// same uncached URL, and prints one JSON line:
//
//	{"n":200,"ok":200,"errors":0,"p50_ms":312.4,"max_ms":318.9,"min_ms":301.2}
//
// Latencies run from the barrier's release to the last body byte. A viewer
// counts as an error on a transport error, a status other than 200 or a
// body shorter than its Content-Length. bench/compare.sh reads the number of
// origin requests from the test origin's counter.
//
//	go run ./bench/collapse -url 'http://127.0.0.1:18482/c/1?size=1024&cc=max-age%3D3600&delay=300'
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	url := flag.String("url", "", "the uncached URL every viewer asks for (required)")
	warm := flag.String("warm", "", "URL each viewer fetches first to open its connection (default: none)")
	n := flag.Int("n", 200, "number of concurrent viewers")
	timeout := flag.Duration("timeout", 30*time.Second, "per-request time limit")
	flag.Parse()
	if *url == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "collapse: -url is required and -n must be at least 1")
		os.Exit(2)
	}

	type result struct {
		d   time.Duration
		err error
	}
	results := make([]result, *n)
	start := make(chan struct{})
	var t0 time.Time
	var ready, done sync.WaitGroup
	ready.Add(*n)
	done.Add(*n)
	for i := 0; i < *n; i++ {
		go func(i int) {
			defer done.Done()
			// One transport per viewer: each viewer has its own connection,
			// as N separate browsers would.
			tr := &http.Transport{
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConnsPerHost: 1,
				DisableCompression:  true,
			}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: *timeout}
			if *warm != "" {
				if err := get(c, *warm); err != nil {
					results[i].err = fmt.Errorf("warm: %w", err)
					ready.Done()
					return
				}
			}
			ready.Done()
			<-start
			err := get(c, *url)
			results[i] = result{d: time.Since(t0), err: err}
		}(i)
	}
	ready.Wait()
	t0 = time.Now()
	close(start)
	done.Wait()

	var lat []float64
	errs := 0
	var firstErr string
	for _, r := range results {
		if r.err != nil {
			errs++
			if firstErr == "" {
				firstErr = r.err.Error()
			}
			continue
		}
		lat = append(lat, float64(r.d.Microseconds())/1000)
	}
	sort.Float64s(lat)
	out := map[string]any{"n": *n, "ok": len(lat), "errors": errs}
	if len(lat) > 0 {
		out["p50_ms"] = lat[(len(lat)-1)/2]
		out["min_ms"] = lat[0]
		out["max_ms"] = lat[len(lat)-1]
	}
	if firstErr != "" {
		out["first_error"] = firstErr
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	if errs > 0 {
		os.Exit(1)
	}
}

// get fetches url and reads the whole body.
func get(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("short body: %d of %d bytes", n, resp.ContentLength)
	}
	return nil
}
