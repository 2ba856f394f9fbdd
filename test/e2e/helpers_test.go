package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostPort returns the host:port of an http:// URL.
func hostPort(t *testing.T, u string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil || pu.Host == "" {
		t.Fatalf("bad URL %q: %v", u, err)
	}
	return pu.Host
}

// originPort returns the port of an origin URL as a number.
func originPort(t *testing.T, origin string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(hostPort(t, origin))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// distSpec describes a custom distribution created through the native API.
type distSpec struct {
	Alias  string // the Host viewers use, e.g. "t1.example"
	Origin string // the origin URL (http://127.0.0.1:port)

	MinTTL, DefaultTTL, MaxTTL int64

	ReadTimeout   int               // origin readTimeout in seconds; 0 keeps the default
	CustomHeaders map[string]string // origin customHeaders
	// OriginRequestHeaders is the origin request policy's headers list
	// config ({behavior, items}); nil sends no origin request policy.
	OriginRequestHeaders map[string]any
}

// json returns the distribution as a user sends it to POST /v1/distributions.
func (s distSpec) json(t *testing.T) map[string]any {
	t.Helper()
	origin := map[string]any{
		"id":         "o1",
		"domainName": "127.0.0.1",
		"httpPort":   originPort(t, s.Origin),
	}
	if s.ReadTimeout > 0 {
		origin["readTimeout"] = s.ReadTimeout
	}
	if len(s.CustomHeaders) > 0 {
		var hs []map[string]string
		for k, v := range s.CustomHeaders {
			hs = append(hs, map[string]string{"name": k, "value": v})
		}
		origin["customHeaders"] = hs
	}
	behavior := map[string]any{
		"targetOriginId": "o1",
		"cachePolicy": map[string]any{
			"minTTL":       s.MinTTL,
			"defaultTTL":   s.DefaultTTL,
			"maxTTL":       s.MaxTTL,
			"queryStrings": map[string]any{"behavior": "all"},
		},
	}
	if s.OriginRequestHeaders != nil {
		behavior["originRequestPolicy"] = map[string]any{"headers": s.OriginRequestHeaders}
	}
	return map[string]any{
		"comment":         "e2e " + s.Alias,
		"enabled":         true,
		"aliases":         []string{s.Alias},
		"origins":         []any{origin},
		"defaultBehavior": behavior,
	}
}

// createDist creates a distribution through the API, waits until the edge
// serves its alias, and returns its id.
func (ph *pharos) createDist(t *testing.T, s distSpec) string {
	t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	resp := ph.api(t, "POST", "/v1/distributions", s.json(t), &out)
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create distribution %s: %d %s", s.Alias, resp.StatusCode, b)
	}
	if out.ID == "" {
		t.Fatalf("create distribution %s: no id in the answer", s.Alias)
	}
	// The edge applies the configuration asynchronously: wait until the
	// alias reaches the origin (the test origin's health URL answers 200).
	eventually(t, 10*time.Second, "the edge to serve "+s.Alias, func() bool {
		return get(t, "GET", ph.Edge+"/_origin/health", "Host: "+s.Alias).Status == http.StatusOK
	})
	return out.ID
}

// echoed is the test origin's /_origin/echo answer.
type echoed struct {
	Method string              `json:"method"`
	URI    string              `json:"uri"`
	Host   string              `json:"host"`
	Header map[string][]string `json:"header"`
	Remote string              `json:"remote"`
}

func decodeEcho(t *testing.T, r reply) echoed {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("echo: status %d: %s", r.Status, r.Body)
	}
	var e echoed
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
		t.Fatalf("echo: %v: %s", err, r.Body)
	}
	return e
}

// rawReply is what came back on a raw TCP exchange.
type rawReply struct {
	Status int    // 0 when no status line arrived
	Head   string // status line and header fields
	Body   []byte // everything after the blank line, as received
	All    []byte // everything received
	Err    error  // the read error that ended the exchange (nil for EOF)
}

// rawExchange writes req verbatim to addr, then reads until the server
// closes the connection or timeout passes.
func rawExchange(t *testing.T, addr, req string, timeout time.Duration) rawReply {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	all, err := io.ReadAll(c)
	r := rawReply{All: all, Err: err}
	head, body, ok := bytes.Cut(all, []byte("\r\n\r\n"))
	if !ok {
		r.Head = string(all)
		return r
	}
	r.Head, r.Body = string(head), body
	line, _, _ := strings.Cut(r.Head, "\r\n")
	if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[0], "HTTP/") {
		r.Status, _ = strconv.Atoi(f[1])
	}
	return r
}

// full parses the first response of a raw exchange, body included.
func (r rawReply) full(t *testing.T) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(r.All)), nil)
	if err != nil {
		t.Fatalf("parse %q: %v", r.All, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %q: %v", r.All, err)
	}
	return resp, body
}

// response parses the header of the first response of a raw exchange.
func (r rawReply) response(t *testing.T) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(r.Head+"\r\n\r\n")), nil)
	if err != nil {
		t.Fatalf("parse %q: %v", r.Head, err)
	}
	return resp
}

// cacheStatus parses one member of a Cache-Status field (RFC 9211): the
// cache name, then ;-separated parameters (bare ones are true).
type cacheStatus struct {
	Name   string
	Params map[string]string
}

var (
	sfToken   = regexp.MustCompile(`^[A-Za-z*][A-Za-z0-9!#$%&'*+\-.^_` + "`" + `|~:/]*$`)
	sfKey     = regexp.MustCompile(`^[a-z*][a-z0-9_\-.*]*$`)
	sfInteger = regexp.MustCompile(`^-?[0-9]{1,15}$`)
	sfString  = regexp.MustCompile(`^"(?:[^"\\]|\\["\\])*"$`)
)

// parseCacheStatus checks that v is a well-formed single-member Cache-Status
// field and returns it.
func parseCacheStatus(v string) (cacheStatus, error) {
	parts := strings.Split(v, ";")
	cs := cacheStatus{Name: strings.TrimSpace(parts[0]), Params: map[string]string{}}
	if !sfToken.MatchString(cs.Name) {
		return cs, fmt.Errorf("cache name %q is not a token", cs.Name)
	}
	for _, p := range parts[1:] {
		p = strings.TrimLeft(p, " ")
		k, val, hasVal := strings.Cut(p, "=")
		if !sfKey.MatchString(k) {
			return cs, fmt.Errorf("parameter key %q is not a structured field key", k)
		}
		if _, dup := cs.Params[k]; dup {
			return cs, fmt.Errorf("parameter %q given twice", k)
		}
		if !hasVal {
			cs.Params[k] = "?1"
			continue
		}
		if !sfToken.MatchString(val) && !sfInteger.MatchString(val) && !sfString.MatchString(val) {
			return cs, fmt.Errorf("parameter %s value %q is not a token, integer or string", k, val)
		}
		cs.Params[k] = val
	}
	return cs, nil
}

// stream is a response read while timing it.
type stream struct {
	Status    int
	Header    http.Header
	Body      []byte
	FirstByte time.Duration // from sending the request to the first body byte
	Total     time.Duration // from sending the request to the end of the body
	Err       error         // a read error (nil when the body ended cleanly)
}

// timedGet sends a GET and reads the body, timing its first byte and end.
func timedGet(url string, hdr ...string) stream {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return stream{Err: err}
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(k, strings.TrimSpace(v))
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return stream{Err: err}
	}
	defer resp.Body.Close()
	s := stream{Status: resp.StatusCode, Header: resp.Header}
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if s.Body == nil {
				s.FirstByte = time.Since(start)
			}
			s.Body = append(s.Body, buf[:n]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			s.Err = err
			break
		}
	}
	s.Total = time.Since(start)
	return s
}
