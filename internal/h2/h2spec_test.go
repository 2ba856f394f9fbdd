package h2

import (
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
)

// h2spec (github.com/summerwind/h2spec, a tool in go.mod) checks the
// server against RFC 7540 and RFC 7541 requirements, strict cases
// included, over TLS, twice: with "/" answered inline by the fast callback
// and by the handler. Every case must pass.
func TestH2Spec(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "h2spec")
	build := exec.Command("go", "build", "-o", bin, "github.com/summerwind/h2spec/cmd/h2spec")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build h2spec: %v\n%s", err, out)
	}
	page := testBody(2000)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		w.Write(page)
	})
	fast := func(r *FastRequest, w *InlineResponse) bool {
		if r.Path != "/" {
			return false
		}
		w.Head = append(w.Head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2000\r\n"...)
		w.Body = append(w.Body, page[:700], page[700:])
		return true
	}
	for _, mode := range []string{"inline", "handler"} {
		t.Run(mode, func(t *testing.T) {
			s := &Server{Handler: handler}
			var served atomic.Int64
			if mode == "inline" {
				s.Fast = func(r *FastRequest, w *InlineResponse) bool { served.Add(1); return fast(r, w) }
			}
			ts := serve(t, s)
			_, port, _ := net.SplitHostPort(ts.addr)
			report := filepath.Join(t.TempDir(), "report.xml")
			cmd := exec.Command(bin, "-S", "-t", "-k", "-h", "127.0.0.1", "-p", port, "-o", "2", "-j", report)
			out, err := cmd.CombinedOutput()
			passed, failed := readJUnit(t, report)
			t.Logf("h2spec (%s): %d passed, %d failed", mode, len(passed), len(failed))
			for _, f := range failed {
				t.Errorf("failed: %s", f)
			}
			if err != nil && len(failed) == 0 {
				t.Errorf("h2spec: %v\n%s", err, out)
			}
			if len(passed) < 146 {
				t.Errorf("only %d cases ran:\n%s", len(passed), out)
			}
			if mode == "inline" && served.Load() == 0 {
				t.Error("the fast callback was never offered a request")
			}
			if os.Getenv("H2SPEC_VERBOSE") != "" {
				t.Logf("%s", out)
			}
		})
	}
}

// readJUnit returns the names of the passed and failed cases of an
// h2spec JUnit report.
func readJUnit(t *testing.T, path string) (passed, failed []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("h2spec wrote no report: %v", err)
	}
	var r struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Error   *struct{} `xml:"error"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &r); err != nil {
		t.Fatalf("h2spec report: %v", err)
	}
	for _, s := range r.Suites {
		for _, c := range s.Cases {
			name := strings.TrimSpace(s.Name + " " + c.Name)
			switch {
			case c.Failure != nil || c.Error != nil:
				failed = append(failed, name)
			case c.Skipped == nil:
				passed = append(passed, name)
			}
		}
	}
	sort.Strings(failed)
	return passed, failed
}
