package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// trace is a request sequence with its keys interned: request i asks for key
// reqs[i] with body size sizes[i].
type trace struct {
	desc     string   // where it came from, for the header line
	keys     []string // by key id
	keyBytes [][]byte // the same keys, for store.Memory.Get
	reqs     []int32  // key id per request
	sizes    []int64  // body size per request
}

// stats describes what a trace asks for.
type stats struct {
	requests   int
	uniqueKeys int
	// uniqueBytes sums each requested key's body size (its first size, when a
	// trace gives one key several).
	uniqueBytes int64
	// footprint is what uniqueBytes costs in the store's accounting: body +
	// key + per-object overhead.
	footprint  int64
	totalBytes int64
	maxSize    int64
	// uniformCost says every request costs the same to cache, in which case
	// the farthest-next-use policy is the exact optimum.
	uniformCost bool
}

func (t *trace) stats(overhead int64) stats {
	s := stats{requests: len(t.reqs), uniformCost: true}
	seen := make([]bool, len(t.keys))
	firstCost := int64(-1)
	for i, k := range t.reqs {
		size := t.sizes[i]
		cost := size + int64(len(t.keys[k])) + overhead
		if firstCost < 0 {
			firstCost = cost
		} else if cost != firstCost {
			s.uniformCost = false
		}
		s.totalBytes += size
		s.maxSize = max(s.maxSize, size)
		if !seen[k] {
			seen[k] = true
			s.uniqueKeys++
			s.uniqueBytes += size
			s.footprint += cost
		}
	}
	return s
}

// nextUse returns, for each request, the index of the next request for the
// same key, or len(reqs) when there is none.
func (t *trace) nextUse() []int32 {
	next := make([]int32, len(t.reqs))
	last := make([]int32, len(t.keys))
	for i := range last {
		last[i] = int32(len(t.reqs))
	}
	for i := len(t.reqs) - 1; i >= 0; i-- {
		k := t.reqs[i]
		next[i] = last[k]
		last[k] = int32(i)
	}
	return next
}

// maxRequests keeps request indices within int32.
const maxRequests = math.MaxInt32 - 1

// parseTrace reads lines of "timestamp key size", whitespace-separated. The
// timestamp is ignored (requests are replayed in file order). Blank lines are
// skipped, and a field starting with '#' comments out the rest of its line.
func parseTrace(r io.Reader, name string) (*trace, error) {
	t := &trace{desc: "file " + name}
	ids := make(map[string]int32)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	var fields [][]byte
	for sc.Scan() {
		line++
		fields = fields[:0]
		for _, f := range bytes.Fields(sc.Bytes()) {
			if f[0] == '#' {
				break
			}
			fields = append(fields, f)
		}
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want 3 fields (timestamp key size), got %d", name, line, len(fields))
		}
		size, err := strconv.ParseInt(string(fields[2]), 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("%s:%d: bad size %q: want a non-negative integer", name, line, fields[2])
		}
		if len(t.reqs) >= maxRequests {
			return nil, fmt.Errorf("%s:%d: more than %d requests", name, line, maxRequests)
		}
		id, ok := ids[string(fields[1])]
		if !ok {
			id = int32(len(t.keys))
			key := string(fields[1])
			ids[key] = id
			t.keys = append(t.keys, key)
			t.keyBytes = append(t.keyBytes, []byte(key))
		}
		t.reqs = append(t.reqs, id)
		t.sizes = append(t.sizes, size)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if len(t.reqs) == 0 {
		return nil, fmt.Errorf("%s: no requests", name)
	}
	return t, nil
}

// sizeDist draws object sizes.
type sizeDist struct {
	spec string
	draw func(r *rand.Rand) int64
}

// maxDrawn keeps heavy-tailed draws from overflowing.
const maxDrawn = 1 << 40

// parseSizeDist parses one of
//
//	fixed:SIZE              every object SIZE bytes
//	uniform:MIN,MAX         uniform in [MIN, MAX]
//	lognormal:MEAN,SIGMA    log-normal with arithmetic mean MEAN bytes and
//	                        log-space standard deviation SIGMA (median is
//	                        MEAN·e^(−SIGMA²/2)); at least 1 byte
//	pareto:MIN,ALPHA        Pareto with scale MIN bytes and shape ALPHA
//	                        (heavier tail as ALPHA falls; infinite mean at ≤ 1)
//
// where sizes take the units parseBytes accepts. Draws are capped at 1 TiB.
func parseSizeDist(spec string) (sizeDist, error) {
	kind, args, _ := strings.Cut(spec, ":")
	parts := strings.Split(args, ",")
	bad := func(format string) (sizeDist, error) {
		return sizeDist{}, fmt.Errorf("size distribution %q: want %s", spec, format)
	}
	switch kind {
	case "fixed":
		n, err := parseBytes(args)
		if err != nil || n < 0 || len(parts) != 1 {
			return bad("fixed:SIZE")
		}
		return sizeDist{spec, func(*rand.Rand) int64 { return n }}, nil
	case "uniform":
		if len(parts) != 2 {
			return bad("uniform:MIN,MAX")
		}
		lo, err1 := parseBytes(parts[0])
		hi, err2 := parseBytes(parts[1])
		if err1 != nil || err2 != nil || lo < 0 || hi < lo {
			return bad("uniform:MIN,MAX with 0 <= MIN <= MAX")
		}
		return sizeDist{spec, func(r *rand.Rand) int64 { return lo + r.Int64N(hi-lo+1) }}, nil
	case "lognormal":
		if len(parts) != 2 {
			return bad("lognormal:MEAN,SIGMA")
		}
		mean, err1 := parseBytes(parts[0])
		sigma, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil || mean <= 0 || !(sigma >= 0) || math.IsInf(sigma, 0) {
			return bad("lognormal:MEAN,SIGMA with MEAN > 0, SIGMA >= 0")
		}
		mu := math.Log(float64(mean)) - sigma*sigma/2
		return sizeDist{spec, func(r *rand.Rand) int64 {
			return clampSize(math.Round(math.Exp(mu + sigma*r.NormFloat64())))
		}}, nil
	case "pareto":
		if len(parts) != 2 {
			return bad("pareto:MIN,ALPHA")
		}
		xm, err1 := parseBytes(parts[0])
		alpha, err2 := strconv.ParseFloat(parts[1], 64)
		if err1 != nil || err2 != nil || xm <= 0 || !(alpha > 0) || math.IsInf(alpha, 0) {
			return bad("pareto:MIN,ALPHA with MIN > 0, ALPHA > 0")
		}
		return sizeDist{spec, func(r *rand.Rand) int64 {
			u := 1 - r.Float64() // (0, 1]
			return clampSize(math.Round(float64(xm) * math.Pow(u, -1/alpha)))
		}}, nil
	}
	return bad("fixed:SIZE, uniform:MIN,MAX, lognormal:MEAN,SIGMA or pareto:MIN,ALPHA")
}

func clampSize(f float64) int64 {
	if !(f < maxDrawn) { // NaN too
		return maxDrawn
	}
	return max(int64(f), 1)
}

// zipfTrace generates requests over keys whose popularity follows Zipf's law
// with exponent s (the key of rank k is asked for with probability ∝ 1/k^s;
// s may be below 1, unlike math/rand's Zipf). Each key gets one size from
// dist. Sizes and requests come from separate seeded streams, so the same
// seed gives the same sizes whatever the request count.
func zipfTrace(s float64, keys, requests int, dist sizeDist, seed uint64) (*trace, error) {
	if keys <= 0 || keys > math.MaxInt32 {
		return nil, fmt.Errorf("-keys %d: want 1..%d", keys, math.MaxInt32)
	}
	if requests <= 0 || requests > maxRequests {
		return nil, fmt.Errorf("-requests %d: want 1..%d", requests, maxRequests)
	}
	if !(s >= 0) || math.IsInf(s, 0) {
		return nil, fmt.Errorf("-zipf %v: want a finite exponent >= 0", s)
	}
	t := &trace{
		desc:     fmt.Sprintf("zipf s=%g keys=%d requests=%d size-dist=%s seed=%d", s, keys, requests, dist.spec, seed),
		keys:     make([]string, keys),
		keyBytes: make([][]byte, keys),
		reqs:     make([]int32, requests),
		sizes:    make([]int64, requests),
	}
	// Fixed-width names, so that every key costs the same in the accounting.
	width := len(strconv.Itoa(keys - 1))
	keySize := make([]int64, keys)
	sr := rand.New(rand.NewPCG(seed, 0x5eed5))
	for i := range t.keys {
		t.keys[i] = fmt.Sprintf("/obj/%0*d", width, i)
		t.keyBytes[i] = []byte(t.keys[i])
		keySize[i] = dist.draw(sr)
	}
	// Key id i has rank i+1. Sampling inverts the cumulative weights.
	cdf := make([]float64, keys)
	sum := 0.0
	for i := range cdf {
		sum += math.Pow(float64(i+1), -s)
		cdf[i] = sum
	}
	rr := rand.New(rand.NewPCG(seed, 0x7e9))
	for i := range t.reqs {
		k := sort.SearchFloat64s(cdf, rr.Float64()*sum)
		if k >= keys { // rounding at the top end
			k = keys - 1
		}
		t.reqs[i] = int32(k)
		t.sizes[i] = keySize[k]
	}
	return t, nil
}

// parseBytes parses a byte count: an integer with an optional unit, B, KiB,
// MiB, GiB, TiB (powers of 1024; K, M, G, T mean the same) or kB, MB, GB, TB
// (powers of 1000). A decimal number is allowed with a unit ("1.5MiB").
func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	mult := int64(1)
	switch strings.ToLower(unit) {
	case "", "b":
	case "k", "kib":
		mult = 1 << 10
	case "m", "mib":
		mult = 1 << 20
	case "g", "gib":
		mult = 1 << 30
	case "t", "tib":
		mult = 1 << 40
	case "kb":
		mult = 1e3
	case "mb":
		mult = 1e6
	case "gb":
		mult = 1e9
	case "tb":
		mult = 1e12
	default:
		return 0, fmt.Errorf("byte count %q: unknown unit %q", s, unit)
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > math.MaxInt64/mult {
			return 0, fmt.Errorf("byte count %q: too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || unit == "" || f < 0 || f*float64(mult) >= math.MaxInt64 {
		return 0, fmt.Errorf("byte count %q: want an integer, or a number with a unit", s)
	}
	return int64(math.Round(f * float64(mult))), nil
}

// formatBytes writes n in binary units for people.
func formatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f, u := float64(n), 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[u])
}
