// Command replay measures cache eviction quality: it replays a request trace
// through the store's real S3-FIFO (store.Memory: Get on every request, Put
// on a miss), a byte-bounded LRU and Belady's offline farthest-next-use
// policy, at several cache sizes, and prints each one's object and byte hit
// ratios as a markdown table.
//
// Usage:
//
//	go run ./bench/replay [flags]
//
// The trace is synthetic by default: -requests requests over -keys keys whose
// popularity follows Zipf's law with exponent -zipf (any s >= 0; the key of
// rank k is asked for with probability ∝ 1/k^s), each key with one size drawn
// from -size-dist, all from -seed, so a run is repeatable:
//
//	go run ./bench/replay -zipf 0.8 -keys 100000 -requests 1000000 -size-dist fixed:1KiB
//	go run ./bench/replay -zipf 1.1 -size-dist lognormal:4KiB,1.5
//
// Size distributions (sizes take units: B, KiB/K, MiB/M, GiB/G or kB, MB, GB):
//
//	fixed:SIZE              every object SIZE bytes (default fixed:1KiB)
//	uniform:MIN,MAX         uniform in [MIN, MAX]
//	lognormal:MEAN,SIGMA    log-normal with arithmetic mean MEAN and log-space
//	                        standard deviation SIGMA; the median is
//	                        MEAN·e^(−SIGMA²/2), so lognormal:4KiB,1.5 has a
//	                        median near 1.3 KiB and a tail into the megabytes
//	pareto:MIN,ALPHA        Pareto with scale MIN and shape ALPHA
//
// Or -trace FILE replays a text trace, one request per line:
//
//	timestamp key size
//
// whitespace-separated, in file order (the timestamp is read past, not used);
// blank lines are skipped and a field starting with '#' comments out the rest
// of its line. A malformed line is an error naming its line number.
//
// -sizes lists the cache sizes, each a percentage of the trace's unique bytes
// (the sum of every requested key's body size) or a byte count:
// "-sizes 1%,2%,5%,10%,20%" (the default) or "-sizes 64MiB,1GiB".
//
// Every policy charges an object what store.Memory does: body size + key
// length + the store's fixed per-object overhead (measured from the store at
// start-up), and keeps no body larger than -max-object (by default the
// store's own default, an eighth of the cache size). All ratios count every
// request, cold misses included. A request for a cached key with a different
// size is a miss that replaces the copy.
//
// Belady's policy evicts the objects whose next request is farthest in the
// future and does not admit an object requested later than what it would
// evict. When every object costs the same (fixed sizes, equal-length keys, as
// in the synthetic traces) it is the exact optimum for the object hit ratio.
// With variable sizes it is the classic heuristic: an estimate of the upper
// bound, not the exact optimum (which is NP-hard), and another policy can
// beat it, on byte hit ratio especially.
//
// Policies and sizes run in parallel, -j at a time.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "replay:", err)
		}
		os.Exit(2)
	}
}

type policy struct {
	name string
	sim  func(t *trace, c config, next []int32) result
}

var policies = []policy{
	{"LRU", func(t *trace, c config, _ []int32) result { return simLRU(t, c) }},
	{"S3-FIFO (store.Memory)", func(t *trace, c config, _ []int32) result { return simS3FIFO(t, c) }},
	{"Belady", simBelady},
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	tracePath := fs.String("trace", "", "replay this `file` of \"timestamp key size\" lines instead of a Zipf trace")
	zipfS := fs.Float64("zipf", 1.0, "Zipf `exponent` of key popularity")
	keys := fs.Int("keys", 100000, "number of keys in the Zipf trace")
	requests := fs.Int("requests", 1000000, "number of requests in the Zipf trace")
	sizeDist := fs.String("size-dist", "fixed:1KiB", "object size `distribution`: fixed:SIZE, uniform:MIN,MAX, lognormal:MEAN,SIGMA or pareto:MIN,ALPHA")
	seed := fs.Uint64("seed", 1, "random seed of the Zipf trace")
	sizesFlag := fs.String("sizes", "1%,2%,5%,10%,20%", "cache `sizes`: percentages of the trace's unique bytes, or byte counts (64MiB)")
	maxObjFlag := fs.String("max-object", "0", "largest body kept, in `bytes`; 0: the store's default, cache size / 8")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "simulations to run at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *tracePath != "" {
		var zipfFlags []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "zipf", "keys", "requests", "size-dist", "seed":
				zipfFlags = append(zipfFlags, "-"+f.Name)
			}
		})
		if len(zipfFlags) > 0 {
			return fmt.Errorf("%s: Zipf trace flags, not used with -trace", strings.Join(zipfFlags, ", "))
		}
	}
	maxObj, err := parseBytes(*maxObjFlag)
	if err != nil || maxObj < 0 {
		return fmt.Errorf("-max-object %q: want a byte count", *maxObjFlag)
	}

	start := time.Now()
	var t *trace
	if *tracePath != "" {
		f, err := os.Open(*tracePath)
		if err != nil {
			return err
		}
		t, err = parseTrace(f, *tracePath)
		f.Close()
		if err != nil {
			return err
		}
	} else {
		dist, err := parseSizeDist(*sizeDist)
		if err != nil {
			return err
		}
		if t, err = zipfTrace(*zipfS, *keys, *requests, dist, *seed); err != nil {
			return err
		}
	}
	overhead := storeOverhead()
	st := t.stats(overhead)
	sizes, err := parseCacheSizes(*sizesFlag, st.uniqueBytes)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "trace ready in %v\n", time.Since(start).Round(time.Millisecond))

	res := simulate(t, sizes, maxObj, overhead, *jobs)
	fmt.Fprintf(stderr, "simulated in %v\n", time.Since(start).Round(time.Millisecond))
	writeReport(stdout, t, st, sizes, maxObj, overhead, res)
	return nil
}

// cacheSize is one -sizes entry.
type cacheSize struct {
	label string
	bytes int64
}

func parseCacheSizes(s string, uniqueBytes int64) ([]cacheSize, error) {
	var out []cacheSize
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		var n int64
		if pct, ok := strings.CutSuffix(f, "%"); ok {
			p, err := strconv.ParseFloat(pct, 64)
			if err != nil || !(p > 0) || p > 1e6 {
				return nil, fmt.Errorf("-sizes: bad percentage %q", f)
			}
			n = int64(float64(uniqueBytes) * p / 100)
		} else {
			var err error
			if n, err = parseBytes(f); err != nil {
				return nil, fmt.Errorf("-sizes: %v", err)
			}
		}
		if n <= 0 {
			return nil, fmt.Errorf("-sizes: %q is an empty cache", f)
		}
		out = append(out, cacheSize{f, n})
	}
	return out, nil
}

// simulate runs every policy at every size; res[p][s] is policy p at size s.
func simulate(t *trace, sizes []cacheSize, maxObj, overhead int64, jobs int) [][]result {
	next := t.nextUse()
	res := make([][]result, len(policies))
	type job struct{ p, s int }
	work := make(chan job)
	var wg sync.WaitGroup
	for range max(jobs, 1) {
		wg.Go(func() {
			for j := range work {
				res[j.p][j.s] = policies[j.p].sim(t, cacheConfig(sizes[j.s].bytes, maxObj, overhead), next)
			}
		})
	}
	for p := range policies {
		res[p] = make([]result, len(sizes))
	}
	// Biggest caches first: they take longest (S3-FIFO's ghost grows).
	for s := len(sizes) - 1; s >= 0; s-- {
		for p := range policies {
			work <- job{p, s}
		}
	}
	close(work)
	wg.Wait()
	return res
}

func cacheConfig(capacity, maxObj, overhead int64) config {
	if maxObj <= 0 {
		maxObj = capacity / 8 // store.NewMemory's default
	}
	// Bodies over the capacity cannot fit anyway.
	return config{capacity: capacity, maxObject: min(maxObj, capacity), overhead: overhead}
}

func writeReport(w io.Writer, t *trace, st stats, sizes []cacheSize, maxObj, overhead int64, res [][]result) {
	fmt.Fprintf(w, "Trace: %s: %s requests, %s unique keys, %s unique bytes (%s), %s requested bytes.\n\n",
		t.desc, commas(int64(st.requests)), commas(int64(st.uniqueKeys)),
		commas(st.uniqueBytes), formatBytes(st.uniqueBytes), commas(st.totalBytes))

	fmt.Fprint(w, "| policy |")
	for _, s := range sizes {
		fmt.Fprintf(w, " %s (%s) |", s.label, formatBytes(s.bytes))
	}
	fmt.Fprint(w, "\n| --- |")
	for range sizes {
		fmt.Fprint(w, " --- |")
	}
	fmt.Fprintln(w)
	for p, pol := range policies {
		fmt.Fprintf(w, "| %s |", pol.name)
		for s := range sizes {
			r := res[p][s]
			fmt.Fprintf(w, " %s / %s |", ratio(r.hits, int64(st.requests)), ratio(r.hitBytes, st.totalBytes))
		}
		fmt.Fprintln(w)
	}

	maxDesc := "cache size / 8 (the store's default)"
	if maxObj > 0 {
		maxDesc = formatBytes(maxObj)
	}
	fmt.Fprintf(w, "\nCells: object hit ratio / byte hit ratio, over all requests (cold misses included). "+
		"Percentage cache sizes are of unique (body) bytes. Each policy charges an object body + key + %d B, "+
		"as store.Memory does (all unique objects would take %s), and keeps no body over %s.\n\n",
		overhead, formatBytes(st.footprint), maxDesc)
	if st.uniformCost {
		fmt.Fprintln(w, "Belady: offline, evicts the object requested farthest in the future (bypassing "+
			"newcomers requested later still). Every object costs the same here, so this is the exact "+
			"optimum object hit ratio.")
	} else {
		fmt.Fprintln(w, "Belady: offline, evicts the objects requested farthest in the future (bypassing "+
			"newcomers requested later still). With variable sizes this is the classic Belady heuristic, "+
			"an upper-bound estimate, not the exact optimum (NP-hard); another policy can beat it, "+
			"on byte hit ratio especially.")
	}
}

func ratio(n, d int64) string {
	if d == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(d))
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
