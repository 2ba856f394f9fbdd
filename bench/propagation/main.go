// Command propagation measures how fast a change reaches every edge: it
// starts `pharos control` and N `pharos edge` processes on loopback, then
// for each trial changes a distribution (and, separately, invalidates a
// path) through the API and times, from the API's answer, until every edge
// has reported applying it (edges publish a heartbeat the moment they apply
// something). It prints p50 and p99 per edge count as a markdown table.
//
//	go build -o bin/pharos ./cmd/pharos && go run ./bench/propagation -edges 5,10,20 -trials 100
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	bin := flag.String("bin", "bin/pharos", "the pharos binary")
	edgesFlag := flag.String("edges", "5,10,20", "edge counts to measure")
	trials := flag.Int("trials", 100, "changes and invalidations per edge count")
	flag.Parse()
	fmt.Printf("| edges | config p50 | config p99 | invalidation p50 | invalidation p99 |\n| --- | --- | --- | --- | --- |\n")
	for _, f := range strings.Split(*edgesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-edges: %q", f))
		}
		cfg, inv, err := measure(*bin, n, *trials)
		if err != nil {
			fail(err)
		}
		fmt.Printf("| %d | %s | %s | %s | %s |\n", n, pct(cfg, 50), pct(cfg, 99), pct(inv, 50), pct(inv, 99))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "propagation:", err)
	os.Exit(1)
}

// fleet is a control plane and its edges, and what the edges reported.
type fleet struct {
	procs   []*exec.Cmd
	api     string
	secret  string
	mu      sync.Mutex
	applied map[string][2]uint64 // edge → revision, invalidation
	changed chan struct{}
}

func measure(bin string, n, trials int) (cfg, inv []time.Duration, err error) {
	dir, err := os.MkdirTemp("", "pharos-propagation")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	f := &fleet{applied: map[string][2]uint64{}, changed: make(chan struct{}, 1)}
	defer f.stop()
	out, err := f.start(bin, "control", "--data", filepath.Join(dir, "control"), "--api", "127.0.0.1:0",
		"--nats-listen", "127.0.0.1:0", "--log-level", "warn")
	if err != nil {
		return nil, nil, err
	}
	f.api = waitFor(out, regexp.MustCompile(`^\s+api\s+(http://\S+)`))
	engine := waitFor(out, regexp.MustCompile(`^\s+engine\s+(nats://\S+)`))
	if f.api == "" || engine == "" {
		return nil, nil, fmt.Errorf("control plane did not start")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "control", "credentials.json"))
	var c struct{ SecretAccessKey string }
	json.Unmarshal(b, &c)
	f.secret = c.SecretAccessKey
	nc, err := nats.Connect(engine)
	if err != nil {
		return nil, nil, err
	}
	defer nc.Close()
	nc.Subscribe("pharos.edge.heartbeat", func(m *nats.Msg) {
		var hb struct {
			ID           string
			Revision     uint64
			Invalidation uint64
		}
		if json.Unmarshal(m.Data, &hb) == nil {
			f.mu.Lock()
			f.applied[hb.ID] = [2]uint64{hb.Revision, hb.Invalidation}
			f.mu.Unlock()
			select {
			case f.changed <- struct{}{}:
			default:
			}
		}
	})
	for i := range n {
		id := fmt.Sprintf("edge-%02d", i)
		if _, err := f.start(bin, "edge", "--nats", engine, "--id", id, "--pop", "bench", "--http", "127.0.0.1:0",
			"--data", filepath.Join(dir, id), "--cache-mem", "16MiB", "--log-level", "warn"); err != nil {
			return nil, nil, err
		}
	}
	var d struct{ ID, ETag string }
	if err := f.call("POST", "/v1/distributions", map[string]any{"enabled": true, "aliases": []string{"bench.example"},
		"origins": []map[string]any{{"id": "o", "domainName": "127.0.0.1", "httpPort": 9}}}, &d); err != nil {
		return nil, nil, err
	}
	if !f.wait(n, 0, 1, 60*time.Second) {
		return nil, nil, fmt.Errorf("%d edges did not all report in", n)
	}
	spec := map[string]any{"enabled": true, "aliases": []string{"bench.example"},
		"origins": []map[string]any{{"id": "o", "domainName": "127.0.0.1", "httpPort": 9}}}
	for i := range trials {
		spec["comment"] = fmt.Sprintf("trial %d", i)
		var u struct{ ETag string }
		if err := f.call("PUT", "/v1/distributions/"+d.ID, spec, &u); err != nil {
			return nil, nil, err
		}
		t0 := time.Now()
		rev, _ := strconv.ParseUint(strings.TrimPrefix(u.ETag, "E"), 10, 64)
		if !f.wait(n, 0, rev, 10*time.Second) {
			return nil, nil, fmt.Errorf("change %d did not reach every edge", i)
		}
		cfg = append(cfg, time.Since(t0))

		var iv struct{ Sequence uint64 }
		if err := f.call("POST", "/v1/distributions/"+d.ID+"/invalidations", map[string]any{"paths": []string{"/x"}}, &iv); err != nil {
			return nil, nil, err
		}
		t0 = time.Now()
		if !f.wait(n, 1, iv.Sequence, 10*time.Second) {
			return nil, nil, fmt.Errorf("invalidation %d did not reach every edge", i)
		}
		inv = append(inv, time.Since(t0))
	}
	return cfg, inv, nil
}

// wait blocks until n edges report field (0 revision, 1 invalidation) >= v.
func (f *fleet) wait(n, field int, v uint64, within time.Duration) bool {
	deadline := time.After(within)
	for {
		f.mu.Lock()
		done := 0
		for _, a := range f.applied {
			if a[field] >= v {
				done++
			}
		}
		f.mu.Unlock()
		if done >= n {
			return true
		}
		select {
		case <-f.changed:
		case <-deadline:
			return false
		}
	}
}

func (f *fleet) call(method, path string, body, out any) error {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, f.api+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+f.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	return json.Unmarshal(data, out)
}

// start runs a pharos role and returns its stdout lines.
func (f *fleet) start(bin string, args ...string) (<-chan string, error) {
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	f.procs = append(f.procs, cmd)
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	return lines, nil
}

func waitFor(lines <-chan string, re *regexp.Regexp) string {
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l := <-lines:
			if m := re.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-deadline:
			return ""
		}
	}
}

func (f *fleet) stop() {
	for _, p := range f.procs {
		p.Process.Kill()
		p.Wait()
	}
}

func pct(ds []time.Duration, p int) string {
	if len(ds) == 0 {
		return "n/a"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return fmt.Sprintf("%.1f ms", float64(s[max(i, 0)].Microseconds())/1000)
}
