package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOnlinePoliciesBelowBelady(t *testing.T) {
	overhead := storeOverhead()
	for _, s := range []float64{0.7, 1.0, 1.2} {
		dist, err := parseSizeDist("fixed:1KiB")
		if err != nil {
			t.Fatal(err)
		}
		tr, err := zipfTrace(s, 2000, 30000, dist, 7)
		if err != nil {
			t.Fatal(err)
		}
		st := tr.stats(overhead)
		if !st.uniformCost {
			t.Fatalf("s=%v: fixed sizes and fixed-width keys should cost the same", s)
		}
		next := tr.nextUse()
		for _, pct := range []int64{1, 5, 20} {
			c := cacheConfig(st.uniqueBytes*pct/100, 0, overhead)
			lru, s3, opt := simLRU(tr, c), simS3FIFO(tr, c), simBelady(tr, c, next)
			t.Logf("s=%v %d%%: LRU %d, S3-FIFO %d, Belady %d hits of %d", s, pct, lru.hits, s3.hits, opt.hits, st.requests)
			if lru.hits > opt.hits || s3.hits > opt.hits {
				t.Errorf("s=%v %d%%: LRU %d or S3-FIFO %d hits above Belady's %d", s, pct, lru.hits, s3.hits, opt.hits)
			}
			if lru.hitBytes > opt.hitBytes || s3.hitBytes > opt.hitBytes {
				t.Errorf("s=%v %d%%: LRU %d or S3-FIFO %d hit bytes above Belady's %d", s, pct, lru.hitBytes, s3.hitBytes, opt.hitBytes)
			}
			if lru.hits == 0 || opt.hits == lru.hits {
				t.Errorf("s=%v %d%%: LRU %d, Belady %d hits: want 0 < LRU < Belady", s, pct, lru.hits, opt.hits)
			}
		}
	}
}

// TestHandChecked replays A B A C B A C A (100-byte bodies, one-byte keys)
// through caches that hold exactly two objects.
//
// LRU (most recent first):
//
//	A miss [A]; B miss [B A]; A hit [A B]; C miss, evicts B [C A];
//	B miss, evicts A [B C]; A miss, evicts C [A B]; C miss, evicts B [C A];
//	A hit [A C]: 2 hits.
//
// Belady (positions 1..8; "never" when not requested again):
//
//	A, B miss {A B}; A hit; C (next 7) is wanted after A (6) and B (5), so
//	it is not admitted; B hit; A hit; C (never) is not admitted; A hit:
//	4 hits.
//
// S3-FIFO (the store; small queue holds up to a tenth of the bytes):
//
//	A, B miss: small [B A]; A hit, freq 1; C miss: A leaves small for main,
//	B is evicted into the ghost, small [C] main [A]; B miss: C is evicted
//	into the ghost, B is a ghost so goes to main [B A]; A hit, freq 1;
//	C miss: main's tail A has freq 1, goes round, B is evicted, C is a
//	ghost: main [C A]; A hit: 3 hits.
func TestHandChecked(t *testing.T) {
	in := "0 A 100\n1 B 100\n2 A 100\n3 C 100\n4 B 100\n5 A 100\n6 C 100\n7 A 100\n"
	tr, err := parseTrace(strings.NewReader(in), "hand")
	if err != nil {
		t.Fatal(err)
	}
	overhead := storeOverhead()
	cost := 100 + 1 + overhead
	c := config{capacity: 2 * cost, maxObject: 100, overhead: overhead}
	for _, tc := range []struct {
		name string
		got  result
		want int64
	}{
		{"LRU", simLRU(tr, c), 2},
		{"Belady", simBelady(tr, c, tr.nextUse()), 4},
		{"S3-FIFO", simS3FIFO(tr, c), 3},
	} {
		if tc.got.hits != tc.want || tc.got.hitBytes != 100*tc.want {
			t.Errorf("%s: %d hits, %d hit bytes; want %d, %d", tc.name, tc.got.hits, tc.got.hitBytes, tc.want, 100*tc.want)
		}
	}

	// One byte less and only one object fits: nothing ever hits in LRU.
	c.capacity--
	if r := simLRU(tr, c); r.hits != 0 {
		t.Errorf("LRU holding one object: %d hits, want 0", r.hits)
	}
}

func TestSizeChangeIsMiss(t *testing.T) {
	in := "0 A 100\n1 A 100\n2 A 200\n3 A 200\n4 A 100\n"
	tr, err := parseTrace(strings.NewReader(in), "resize")
	if err != nil {
		t.Fatal(err)
	}
	c := config{capacity: 1 << 20, maxObject: 1 << 20, overhead: storeOverhead()}
	for name, r := range map[string]result{
		"LRU":     simLRU(tr, c),
		"S3-FIFO": simS3FIFO(tr, c),
		"Belady":  simBelady(tr, c, tr.nextUse()),
	} {
		if r.hits != 2 || r.hitBytes != 300 {
			t.Errorf("%s: %d hits, %d bytes; want 2, 300", name, r.hits, r.hitBytes)
		}
	}
}

func TestVariableSizes(t *testing.T) {
	dist, err := parseSizeDist("lognormal:4KiB,1.5")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := zipfTrace(0.9, 2000, 20000, dist, 3)
	if err != nil {
		t.Fatal(err)
	}
	overhead := storeOverhead()
	st := tr.stats(overhead)
	if st.uniformCost {
		t.Fatal("lognormal sizes should not cost the same")
	}
	res := simulate(tr, []cacheSize{{"5%", st.uniqueBytes / 20}, {"1MiB", 1 << 20}}, 0, overhead, 2)
	for p := range res {
		for s, r := range res[p] {
			if r.hits <= 0 || r.hits > int64(st.requests) || r.hitBytes <= 0 || r.hitBytes > st.totalBytes {
				t.Errorf("%s at size %d: %+v out of range", policies[p].name, s, r)
			}
		}
	}
}

func TestZipfDeterministic(t *testing.T) {
	dist, _ := parseSizeDist("pareto:1KiB,1.2")
	a, _ := zipfTrace(1.0, 500, 5000, dist, 42)
	b, _ := zipfTrace(1.0, 500, 5000, dist, 42)
	c, _ := zipfTrace(1.0, 500, 5000, dist, 43)
	if !slices.Equal(a.reqs, b.reqs) || !slices.Equal(a.sizes, b.sizes) {
		t.Error("same seed, different traces")
	}
	if slices.Equal(a.reqs, c.reqs) {
		t.Error("different seeds, same requests")
	}
	// The most popular key comes first by far.
	counts := make([]int, len(a.keys))
	for _, k := range a.reqs {
		counts[k]++
	}
	if counts[0] < 2*counts[10] {
		t.Errorf("rank 1 asked %d times, rank 11 %d: not Zipf-like", counts[0], counts[10])
	}
}

func TestParseTrace(t *testing.T) {
	in := "# timestamp key size\n" +
		"\n" +
		"1.5 /a 100\n" +
		"  2\t/b\t0   # an empty body\r\n" +
		"   \n" +
		"3 /a 100\n" +
		"4 /c#frag 7\n"
	tr, err := parseTrace(strings.NewReader(in), "good")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/a", "/b", "/c#frag"}; !slices.Equal(tr.keys, want) {
		t.Errorf("keys %q, want %q", tr.keys, want)
	}
	if want := []int32{0, 1, 0, 2}; !slices.Equal(tr.reqs, want) {
		t.Errorf("requests %v, want %v", tr.reqs, want)
	}
	if want := []int64{100, 0, 100, 7}; !slices.Equal(tr.sizes, want) {
		t.Errorf("sizes %v, want %v", tr.sizes, want)
	}
	st := tr.stats(160)
	if st.requests != 4 || st.uniqueKeys != 3 || st.uniqueBytes != 107 || st.totalBytes != 207 {
		t.Errorf("stats %+v", st)
	}
	if want := []int32{2, 4, 4, 4}; !slices.Equal(tr.nextUse(), want) {
		t.Errorf("next use %v, want %v", tr.nextUse(), want)
	}
}

func TestParseTraceMalformed(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1 /a 10\n2 /b\n", "bad:2: want 3 fields"},
		{"# c\n\n1 /a 10 extra\n", "bad:3: want 3 fields"},
		{"1 /a 10\n2 /b ten\n", `bad:2: bad size "ten"`},
		{"1 /a -5\n", `bad:1: bad size "-5"`},
		{"1 /a 1.5\n", `bad:1: bad size "1.5"`},
		{"1 /a 99999999999999999999\n", "bad:1: bad size"},
		{"/a 10\n", "bad:1: want 3 fields"},
		{"# only comments\n\n", "bad: no requests"},
	} {
		_, err := parseTrace(strings.NewReader(tc.in), "bad")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestParseBytesAndSizes(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1024": 1024, "1KiB": 1024, "1k": 1024, "64MiB": 64 << 20, "1.5MiB": 3 << 19,
		"2GiB": 2 << 30, "1kB": 1000, "3MB": 3e6, "10 B": 10,
	} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "1.5", "-1", "1XB", "1e3"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) accepted", in)
		}
	}
	sizes, err := parseCacheSizes("1%, 50%,64MiB", 1000000)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int64{sizes[0].bytes, sizes[1].bytes, sizes[2].bytes}; !slices.Equal(got, []int64{10000, 500000, 64 << 20}) {
		t.Errorf("cache sizes %v", got)
	}
	for _, in := range []string{"0%", "x%", "0", "1%,", "-5%"} {
		if _, err := parseCacheSizes(in, 1000); err == nil {
			t.Errorf("parseCacheSizes(%q) accepted", in)
		}
	}
	for _, in := range []string{"fixed:-1", "fixed", "lognormal:1KiB", "lognormal:0,1", "pareto:1KiB,0", "uniform:5,1", "zipf:1"} {
		if _, err := parseSizeDist(in); err == nil {
			t.Errorf("parseSizeDist(%q) accepted", in)
		}
	}
}

func TestRun(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run([]string{"-zipf", "0.9", "-keys", "1000", "-requests", "10000", "-sizes", "5%,20%"}, &out, &errs); err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	for _, want := range []string{
		"Trace: zipf s=0.9 keys=1000 requests=10000 size-dist=fixed:1KiB seed=1: 10,000 requests,",
		"| policy | 5% (", "| LRU | ", "| S3-FIFO (store.Memory) | ", "| Belady | ", "exact optimum",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	path := filepath.Join(t.TempDir(), "trace.txt")
	if err := os.WriteFile(path, []byte("1 /a 10\n2 /b 2000\n3 /a 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{"-trace", path, "-sizes", "1MiB"}, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "3 requests, 2 unique keys, 2,010 unique bytes") ||
		!strings.Contains(out.String(), "| LRU | 33.33% / 0.50% |") || !strings.Contains(out.String(), "heuristic") {
		t.Errorf("output:\n%s", out.String())
	}
	if err := run([]string{"-trace", path, "-zipf", "1"}, &out, &errs); err == nil {
		t.Error("-trace with -zipf accepted")
	}
	if err := run([]string{"-trace", path + ".missing"}, &out, &errs); err == nil {
		t.Error("missing trace accepted")
	}
}

// TestAgainstNaive checks LRU and Belady against slow, obvious versions on
// a trace where every object costs the same, so the cache holds n objects.
func TestAgainstNaive(t *testing.T) {
	dist, _ := parseSizeDist("fixed:500")
	tr, err := zipfTrace(0.8, 300, 5000, dist, 11)
	if err != nil {
		t.Fatal(err)
	}
	overhead := storeOverhead()
	cost := 500 + int64(len(tr.keys[0])) + overhead
	for _, n := range []int{1, 2, 7, 40} {
		c := config{capacity: int64(n)*cost + cost - 1, maxObject: 500, overhead: overhead}

		var lru []int32 // most recent last
		lruHits := int64(0)
		for _, k := range tr.reqs {
			if i := slices.Index(lru, k); i >= 0 {
				lruHits++
				lru = slices.Delete(lru, i, i+1)
			} else if len(lru) == n {
				lru = lru[1:]
			}
			lru = append(lru, k)
		}
		if got := simLRU(tr, c).hits; got != lruHits {
			t.Errorf("%d objects: LRU %d hits, naive %d", n, got, lruHits)
		}

		nextAfter := func(i int, k int32) int {
			for j := i + 1; j < len(tr.reqs); j++ {
				if tr.reqs[j] == k {
					return j
				}
			}
			return len(tr.reqs)
		}
		var opt []int32
		optHits := int64(0)
		for i, k := range tr.reqs {
			if slices.Contains(opt, k) {
				optHits++
				continue
			}
			opt = append(opt, k)
			if len(opt) > n {
				far := 0
				for j := range opt {
					if nextAfter(i, opt[j]) > nextAfter(i, opt[far]) {
						far = j
					}
				}
				opt = slices.Delete(opt, far, far+1)
			}
		}
		if got := simBelady(tr, c, tr.nextUse()).hits; got != optHits {
			t.Errorf("%d objects: Belady %d hits, naive %d", n, got, optHits)
		}
	}
}
