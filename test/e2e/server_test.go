package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/testorigin"
)

// CloudFront's request limit: headers over 20 KiB are refused with 431
// (RFC 6585 §5); a request just under it is served.
func TestE2E_Server_RequestHeaderLimit431(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	for _, tc := range []struct {
		name string
		size int
		want int
	}{
		{"19KiB", 19 << 10, http.StatusOK},
		{"21KiB", 21 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"24KiB", 24 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"64KiB", 64 << 10, http.StatusRequestHeaderFieldsTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uri := "/big-header-" + tc.name
			r := get(t, "GET", ph.Edge+uri, "X-Big: "+strings.Repeat("a", tc.size))
			expect(t, "status for a "+tc.name+" header", r.Status, tc.want)
			if tc.want != http.StatusOK {
				expect(t, "origin requests", originCount(t, origin, uri), 0)
			}
		})
	}
}

// SIGTERM lets a response in flight finish, then pharos exits 0.
func TestE2E_Server_GracefulShutdown(t *testing.T) {
	t.Parallel()
	_, ph := quickStart(t)
	const size = 40000
	// Four parts 500 ms apart: the response takes about 1.5 s.
	uri := "/graceful?drip=4&dripms=500&size=" + strconv.Itoa(size)
	resp, err := client.Get(ph.Edge + uri)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatalf("first byte: %v", err)
	}
	ph.cmd.Process.Signal(syscall.SIGTERM)
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("after SIGTERM the response broke off after %d bytes: %v", 1+len(rest), err)
	}
	body := append(first, rest...)
	if len(body) != size || string(body) != string(testorigin.Expected("/graceful", 0, size)) {
		t.Errorf("after SIGTERM: %d-byte body, want the origin's %d bytes", len(body), size)
	}
	select {
	case <-ph.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("pharos did not exit within 15 s of SIGTERM")
	}
	expect(t, "exit status after SIGTERM", ph.cmd.ProcessState.ExitCode(), 0)
}

// RFC 9112 §6.1, §6.3: a request with ambiguous framing is refused (400)
// or the connection closed; it never reaches the origin.
func TestE2E_Server_AmbiguousFramingRefused(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	addr := hostPort(t, ph.Edge)
	for _, tc := range []struct{ name, path, headers string }{
		{"ContentLengthAndChunked", "/smuggle-cl-te", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"},
		{"TwoContentLengths", "/smuggle-cl-cl", "Content-Length: 5\r\nContent-Length: 6\r\n"},
		{"ChunkedNotLast", "/smuggle-te", "Transfer-Encoding: chunked, identity\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := "GET " + tc.path + " HTTP/1.1\r\nHost: a\r\n" + tc.headers + "\r\n"
			r := rawExchange(t, addr, req, 3*time.Second)
			if r.Status != 0 && r.Status != http.StatusBadRequest && r.Status != http.StatusNotImplemented {
				t.Errorf("answered %d, want 400 (or the connection closed):\n%s", r.Status, r.Head)
			}
			// Whatever the edge answered, nothing may have reached the origin.
			time.Sleep(100 * time.Millisecond)
			expect(t, "origin requests for "+tc.path, originCount(t, origin, tc.path), 0)
		})
	}
}

// The API refuses a bad distribution with 400 naming the field, and any
// request without the right bearer token with 401.
func TestE2E_Server_APIValidationAndAuth(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t)

	bad := distSpec{Alias: "bad.example", Origin: origin, DefaultTTL: 60, MaxTTL: 3600}.json(t)
	bad["origins"].([]any)[0].(map[string]any)["domainName"] = "http://127.0.0.1"
	resp := ph.api(t, "POST", "/v1/distributions", bad, nil)
	expect(t, "status for a URL as domainName", resp.StatusCode, http.StatusBadRequest)
	var e struct {
		Error struct{ Code, Message, Field string }
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	expect(t, "error field", e.Error.Field, "origins[0].domainName")
	if !strings.Contains(e.Error.Message, "origins[0].domainName") {
		t.Errorf("error message %q does not name origins[0].domainName", e.Error.Message)
	}

	good := distSpec{Alias: "good.example", Origin: origin, DefaultTTL: 60, MaxTTL: 3600}.json(t)
	body, _ := json.Marshal(good)
	for _, auth := range []string{"", "Bearer wrong-secret", "Bearer ", "Basic " + ph.secret(t)} {
		req, _ := http.NewRequest("POST", ph.API+"/v1/distributions", strings.NewReader(string(body)))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		expect(t, "status with Authorization "+strconv.Quote(auth), resp.StatusCode, http.StatusUnauthorized)
	}
	req, _ := http.NewRequest("GET", ph.API+"/v1/distributions", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	expect(t, "status of a list without credentials", resp.StatusCode, http.StatusUnauthorized)

	var list distList
	ph.api(t, "GET", "/v1/distributions", nil, &list)
	expect(t, "distributions after refused requests", len(list.Items), 0)
}
