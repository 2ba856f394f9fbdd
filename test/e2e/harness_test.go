// Package e2e runs Pharos as users do: it builds the binaries, starts the
// project's test origin and `pharos up` as real processes on loopback, and
// talks to them over real HTTP.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pharos-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, pkg := range []string{"pharos", "pharos-origin"} {
		args := []string{"build", "-o", filepath.Join(dir, pkg)}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "../../cmd/"+pkg)...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkg, ":", err)
			os.Exit(1)
		}
	}
	// The tests mostly wait on processes and timers, not on the CPU: run
	// more of them at once than there are cores, unless -parallel is given.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit && runtime.GOMAXPROCS(0) < 8 {
		flag.Set("test.parallel", "8")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a process started by a test; it is stopped when the test ends.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    strings.Builder // stdout and stderr
	lines  chan string
	exited chan struct{}
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Output is everything the process printed so far.
func (p *proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	return startEnv(t, nil, name, args...)
}

// startEnv is start with environment variables (KEY=value) added last, so
// they win over the ones start clears.
func startEnv(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, lines: make(chan string, 1024), exited: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(binDir, name), args...)
	p.cmd.Env = append(append(os.Environ(), "PHAROS_ACCESS_KEY_ID=", "PHAROS_SECRET_ACCESS_KEY="), env...)
	p.cmd.Stderr = p
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.Write([]byte(line + "\n"))
			select {
			case p.lines <- line:
			default:
			}
		}
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop(syscall.SIGKILL)
		if strings.Contains(p.Output(), "WARNING: DATA RACE") {
			t.Errorf("%s reported a data race", name)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.Output())
		}
	})
	return p
}

// waitLine waits for a stdout line matching re and returns its submatches.
func (p *proc) waitLine(re *regexp.Regexp, timeout time.Duration) []string {
	p.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-p.lines:
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-p.exited:
			p.t.Fatalf("process exited before printing %v:\n%s", re, p.Output())
		case <-deadline:
			p.t.Fatalf("timed out waiting for %v:\n%s", re, p.Output())
		}
	}
}

// stop sends sig and waits (bounded) for the process to exit.
func (p *proc) stop(sig syscall.Signal) {
	if p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

var originRe = regexp.MustCompile(`listening on (http://\S+)`)

// startOrigin starts the test origin on a free loopback port.
func startOrigin(t *testing.T) string {
	t.Helper()
	p := start(t, "pharos-origin", "--listen", "127.0.0.1:0")
	return p.waitLine(originRe, 10*time.Second)[1]
}

// startOriginAt starts the test origin on a given address.
func startOriginAt(t *testing.T, addr string) *proc {
	t.Helper()
	p := start(t, "pharos-origin", "--listen", addr)
	p.waitLine(originRe, 10*time.Second)
	return p
}

// pharos is a running `pharos up`.
type pharos struct {
	*proc
	Edge    string // http://127.0.0.1:port
	API     string
	DNS     string // 127.0.0.1:port, UDP and TCP
	DataDir string
}

var (
	edgeRe = regexp.MustCompile(`^\s+edge\s+(http://\S+)`)
	apiRe  = regexp.MustCompile(`^\s+api\s+(http://\S+)`)
	dnsRe  = regexp.MustCompile(`^\s+dns\s+(\S+) \(udp and tcp`)
	tryRe  = regexp.MustCompile(`curl -i (\S+)|No --origin given`)
)

// startPharos runs `pharos up` with a fresh data directory (unless
// --data is among args) on free loopback ports.
func startPharos(t *testing.T, args ...string) *pharos {
	t.Helper()
	data := ""
	for i, a := range args {
		if a == "--data" && i+1 < len(args) {
			data = args[i+1]
		}
	}
	if data == "" {
		data = t.TempDir()
		args = append(args, "--data", data)
	}
	if !slices.Contains(args, "--https") { // the default :8443 would be shared, and not loopback
		args = append(args, "--https", "127.0.0.1:0")
	}
	args = append([]string{"up", "--http", "127.0.0.1:0", "--api", "127.0.0.1:0", "--dns", "127.0.0.1:0", "--https", "127.0.0.1:0", "--shutdown-grace", "10s"}, args...)
	p := start(t, "pharos", args...)
	ph := &pharos{proc: p, DataDir: data}
	ph.Edge = p.waitLine(edgeRe, 30*time.Second)[1]
	ph.API = p.waitLine(apiRe, 5*time.Second)[1]
	ph.DNS = p.waitLine(dnsRe, 5*time.Second)[1]
	p.waitLine(tryRe, 5*time.Second)
	return ph
}

// secret returns the API secret pharos generated under its data directory.
func (ph *pharos) secret(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ph.DataDir, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ SecretAccessKey string }
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.SecretAccessKey
}

// api calls the native API with the generated credentials.
func (ph *pharos) api(t *testing.T, method, path string, body any, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, ph.API+path, rd)
	req.Header.Set("Authorization", "Bearer "+ph.secret(t))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return resp
}

// reply is a fully read response.
type reply struct {
	Status int
	Header http.Header
	Body   string
}

func (r reply) xcache() string { return r.Header.Get("X-Cache") }

var client = &http.Client{
	Transport: &http.Transport{Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 64},
	Timeout:   60 * time.Second,
}

// get sends a request to the edge; hdr is "Name: value" pairs.
func get(t *testing.T, method, url string, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		if strings.EqualFold(k, "Host") {
			req.Host = strings.TrimSpace(v)
			continue
		}
		req.Header.Add(k, strings.TrimSpace(v))
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: body: %v", method, url, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// originCount asks the test origin how many requests it saw for uri.
func originCount(t *testing.T, origin, uri string) int {
	t.Helper()
	resp, err := http.Get(origin + "/_origin/count?uri=" + urlQueryEscape(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct{ Count int }
	json.NewDecoder(resp.Body).Decode(&c)
	return c.Count
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// eventually retries cond until it holds or the bounded wait ends.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func expect(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
