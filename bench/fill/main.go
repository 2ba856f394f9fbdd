// Command fill puts N distinct small objects into a caching proxy: C workers
// on keep-alive connections GET <base><i>?<query> for i in [0, N), each
// object once, and it prints one JSON line with the rate:
//
//	{"n":1000000,"done":1000000,"errors":0,"secs":61.2,"rate":16339}
//
// With -verify K it instead re-requests K objects spread evenly over [0, N)
// and counts how many came from the cache: the test origin numbers each
// request per URI in X-Origin-Count, and a cached copy still carries the 1
// of the fill, while a copy fetched again (the proxy evicted it) says 2 or
// more:
//
//	{"verify":1000,"cached":1000,"refetched":0,"errors":0}
//
// Everything stops at -timeout, whatever is left.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("base", "", "URL prefix; object i is <base><i>?<query> (required)")
	query := flag.String("query", "size=100&cc=max-age%3D86400", "query string of every object")
	n := flag.Int("n", 1000000, "number of objects")
	conc := flag.Int("c", 32, "concurrent keep-alive connections")
	timeout := flag.Duration("timeout", 20*time.Minute, "stop after this long, whatever is left")
	verify := flag.Int("verify", 0, "re-request this many objects and count cached copies instead of filling")
	flag.Parse()
	if *base == "" || *n < 1 || *conc < 1 {
		fmt.Fprintln(os.Stderr, "fill: -base is required; -n and -c must be at least 1")
		os.Exit(2)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        *conc,
		MaxIdleConnsPerHost: *conc,
		MaxConnsPerHost:     *conc,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	total := *n
	index := func(k int) int { return k }
	if *verify > 0 {
		total = min(*verify, *n)
		step := *n / total
		index = func(k int) int { return k * step }
	}

	var next, done, errs, cached, refetched atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k >= total {
					return
				}
				url := *base + strconv.Itoa(index(k)) + "?" + *query
				count, err := get(ctx, c, url)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				done.Add(1)
				if count == "1" {
					cached.Add(1)
				} else {
					refetched.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()

	var out map[string]any
	if *verify > 0 {
		out = map[string]any{"verify": total, "cached": cached.Load(), "refetched": refetched.Load(), "errors": errs.Load()}
	} else {
		out = map[string]any{"n": total, "done": done.Load(), "errors": errs.Load(),
			"secs": float64(int(secs*10)) / 10, "rate": int(float64(done.Load()) / secs)}
	}
	if ctx.Err() != nil {
		out["timed_out"] = true
	}
	if e, ok := firstErr.Load().(string); ok {
		out["first_error"] = e
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	if errs.Load() > 0 || ctx.Err() != nil {
		os.Exit(1)
	}
}

// get fetches url, reads the whole body and returns its X-Origin-Count.
func get(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", errors.New("status " + resp.Status)
	}
	return resp.Header.Get("X-Origin-Count"), nil
}
