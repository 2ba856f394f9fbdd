package testorigin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the test origin's handler and request counters.
type Server struct {
	mu     sync.Mutex
	counts map[string]int64
}

// New returns a Server with no requests counted.
func New() *Server {
	return &Server{counts: make(map[string]int64)}
}

// Count returns how many requests the server has seen for that exact
// path+query (RequestURI) since it was created or last reset.
func (s *Server) Count(pathAndQuery string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[pathAndQuery]
}

// Counts returns a copy of all the counts, keyed by RequestURI.
func (s *Server) Counts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int64, len(s.counts))
	for k, v := range s.counts {
		m[k] = v
	}
	return m
}

// Reset forgets all the counts.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
}

// hit counts one request for uri and returns its ordinal (1 for the first).
func (s *Server) hit(uri string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[uri]++
	return s.counts[uri]
}

// requestKey is the RequestURI a request is counted under.
func requestKey(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" || (uri[0] != '/' && uri != "*") {
		// Built by hand, or absolute-form ("GET http://host/p?q").
		uri = r.URL.RequestURI()
	}
	return uri
}

// ServeHTTP answers r as described in the package documentation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_origin" || strings.HasPrefix(r.URL.Path, "/_origin/") {
		s.control(w, r)
		return
	}
	s.serve(w, r)
}

// params are the parsed query parameters of a request for any path.
type params struct {
	status   int
	text     []byte
	hasText  bool
	size     int64
	hasSize  bool
	etag     string
	lm       string // Last-Modified value to send, "" when none
	lmTime   time.Time
	etag304  bool
	delay    time.Duration
	drip     int
	dripWait time.Duration
	cl       int // -1: default, 0: omit, 1: force
	hang     bool
	hangFor  time.Duration // 0: until the client goes away
	expires  string        // Expires value from expires= or expires_in=
	close    string
	abort    int64 // -1: none
	ranges   bool
}

type badParam struct{ name, value string }

func (e badParam) Error() string {
	return fmt.Sprintf("testorigin: bad value %q for parameter %s", e.value, e.name)
}

// intParam parses q[name] as an integer in [lo, hi]; decimal exponent forms
// such as 5e9 are accepted when they denote an integer.
func intParam(q url.Values, name string, def, lo, hi int64) (int64, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
			return 0, badParam{name, v}
		}
		n = int64(f)
	}
	if n < lo || n > hi {
		return 0, badParam{name, v}
	}
	return n, nil
}

func msParam(q url.Values, name string) (time.Duration, error) {
	n, err := intParam(q, name, 0, 0, math.MaxInt64/int64(time.Millisecond))
	return time.Duration(n) * time.Millisecond, err
}

func parseParams(q url.Values) (*params, error) {
	p := &params{etag: q.Get("etag"), abort: -1, cl: -1}
	var err error
	var n int64
	if n, err = intParam(q, "status", 200, 200, 999); err != nil {
		return nil, err
	}
	p.status = int(n)
	if _, ok := q["body"]; ok {
		p.text, p.hasText = []byte(q.Get("body")), true
	} else if q.Has("size") {
		if p.size, err = intParam(q, "size", 0, 0, 1<<62); err != nil {
			return nil, err
		}
		p.hasSize = true
	}
	if v := q.Get("lm"); v != "" {
		if u, err := strconv.ParseInt(v, 10, 64); err == nil {
			p.lmTime = time.Unix(u, 0).UTC()
			p.lm = p.lmTime.Format(http.TimeFormat)
		} else if t, err := http.ParseTime(v); err == nil {
			p.lmTime, p.lm = t, v
		} else {
			return nil, badParam{"lm", v}
		}
	}
	p.etag304 = q.Get("etag304") != "0"
	if v := q.Get("expires"); v != "" {
		p.expires = v
	} else if q.Has("expires_in") {
		if n, err = intParam(q, "expires_in", 0, -1<<40, 1<<40); err != nil {
			return nil, err
		}
		p.expires = time.Now().Add(time.Duration(n) * time.Second).UTC().Format(http.TimeFormat)
	}
	if p.delay, err = msParam(q, "delay"); err != nil {
		return nil, err
	}
	if n, err = intParam(q, "drip", 0, 0, 1<<20); err != nil {
		return nil, err
	}
	p.drip = int(n)
	if p.dripWait, err = msParam(q, "dripms"); err != nil {
		return nil, err
	}
	switch v := q.Get("cl"); v {
	case "":
	case "0":
		p.cl = 0
	case "1":
		p.cl = 1
	default:
		return nil, badParam{"cl", v}
	}
	switch v := q.Get("hang"); v {
	case "", "0":
	case "1":
		p.hang = true
	default:
		return nil, badParam{"hang", v}
	}
	if p.hangFor, err = msParam(q, "hangms"); err != nil {
		return nil, err
	}
	if p.hangFor > 0 {
		p.hang = true
	}
	switch v := q.Get("close"); v {
	case "", "0":
	case "1", "rst":
		p.close = v
	default:
		return nil, badParam{"close", v}
	}
	if p.abort, err = intParam(q, "abort", -1, 0, math.MaxInt64); err != nil {
		return nil, err
	}
	p.ranges = q.Get("ranges") == "1"
	for _, h := range q["hdr"] {
		name, _, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, badParam{"hdr", h}
		}
	}
	return p, nil
}

// sleep waits for d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	n := s.hit(requestKey(r))
	h := w.Header()
	h.Set("X-Origin-Count", strconv.FormatInt(n, 10))
	h.Set("X-Origin-Method", r.Method)

	q := r.URL.Query()
	p, err := parseParams(q)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	if p.close != "" {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// Not hijackable (HTTP/2): abort the stream instead.
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok && p.close == "rst" {
			tc.SetLinger(0)
		}
		conn.Close()
		return
	}

	if r.Body != nil {
		nb, _ := io.Copy(io.Discard, r.Body)
		if nb > 0 || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			h.Set("X-Origin-Request-Bytes", strconv.FormatInt(nb, 10))
		}
	}

	ctx := r.Context()
	if !sleep(ctx, p.delay) {
		return
	}

	// Headers that a 304 carries too.
	for _, v := range q["cc"] {
		h.Add("Cache-Control", v)
	}
	for _, v := range q["cdncc"] {
		h.Add("CDN-Cache-Control", v)
	}
	for _, v := range q["pcc"] {
		h.Add("Pharos-CDN-Cache-Control", v)
	}
	if p.expires != "" {
		h.Set("Expires", p.expires)
	}
	if v := q.Get("date"); v != "" {
		h.Set("Date", v)
	}
	for _, v := range q["vary"] {
		h.Add("Vary", v)
	}
	if p.etag != "" {
		h.Set("ETag", p.etag)
	}
	for _, hv := range q["hdr"] {
		name, value, _ := strings.Cut(hv, ":")
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}

	if notModified(r, p) {
		w.WriteHeader(http.StatusNotModified)
		return
	}

	if v := q.Get("age"); v != "" {
		h.Set("Age", v)
	}
	if p.lm != "" {
		h.Set("Last-Modified", p.lm)
	}

	// The body, as a length and a way to read any slice of it.
	var length int64
	var open func(off, n int64) io.Reader
	switch {
	case p.hasText:
		length = int64(len(p.text))
		open = func(off, n int64) io.Reader { return bytes.NewReader(p.text[off : off+n]) }
	case p.hasSize:
		length = p.size
		pat := pattern(r.URL.Path)
		open = func(off, n int64) io.Reader { return newPatternReader(pat, off, n) }
	default:
		text := []byte(fmt.Sprintf("origin %s #%d\n", r.URL.Path, n))
		length = int64(len(text))
		open = func(off, n int64) io.Reader { return bytes.NewReader(text[off : off+n]) }
	}
	if _, ok := q["ctype"]; ok {
		if v := q.Get("ctype"); v != "" {
			h.Set("Content-Type", v)
		} else {
			h["Content-Type"] = nil // no Content-Type, and no sniffing
		}
	} else if h.Get("Content-Type") == "" {
		if p.hasSize {
			h.Set("Content-Type", "application/octet-stream")
		} else {
			h.Set("Content-Type", "text/plain; charset=utf-8")
		}
	}

	status := p.status
	off, count := int64(0), length
	if p.ranges {
		h.Set("Accept-Ranges", "bytes")
		if status == http.StatusOK {
			status, off, count = applyRange(r, p, h, length)
		}
	}
	bodyAllowed := status != http.StatusNoContent && status != http.StatusNotModified
	dripping := p.drip > 0
	withLength := bodyAllowed && (p.cl == 1 || (p.cl == -1 && !dripping))
	if withLength {
		h.Set("Content-Length", strconv.FormatInt(count, 10))
	}

	rc := http.NewResponseController(w)
	w.WriteHeader(status)
	if p.hang {
		rc.Flush()
		if p.hangFor == 0 {
			<-ctx.Done()
			return
		}
		if !sleep(ctx, p.hangFor) {
			return
		}
	}
	if !bodyAllowed || r.Method == http.MethodHead {
		return
	}
	if !withLength {
		rc.Flush() // commit to chunked encoding, however short the body
	}

	var dst io.Writer = w
	if p.abort >= 0 {
		dst = &abortWriter{w: w, rc: rc, left: p.abort}
	}
	buf := make([]byte, 64<<10)
	if !dripping {
		io.CopyBuffer(dst, open(off, count), buf)
	} else {
		// Part i is count/parts bytes, one more for the first count%parts.
		parts := int64(p.drip)
		a := off
		for i := int64(0); i < parts; i++ {
			size := count / parts
			if i < count%parts {
				size++
			}
			if _, err := io.CopyBuffer(dst, open(a, size), buf); err != nil {
				return
			}
			a += size
			if rc.Flush() != nil {
				return
			}
			if i < parts-1 && !sleep(ctx, p.dripWait) {
				return
			}
		}
	}
	if p.abort >= 0 {
		rc.Flush()
		panic(http.ErrAbortHandler)
	}
}

// abortWriter passes on the first left bytes written to it, then flushes and
// breaks the connection.
type abortWriter struct {
	w    io.Writer
	rc   *http.ResponseController
	left int64
}

func (a *abortWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > a.left {
		if a.left > 0 {
			a.w.Write(p[:a.left])
		}
		a.rc.Flush()
		panic(http.ErrAbortHandler)
	}
	a.left -= int64(len(p))
	return a.w.Write(p)
}

// notModified reports whether r's conditional headers call for a 304.
func notModified(r *http.Request, p *params) bool {
	if !p.etag304 || p.status < 200 || p.status > 299 {
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		return p.etag != "" && etagListMatch(strings.Join(inm, ","), p.etag)
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || p.lm == "" {
		return false
	}
	t, err := http.ParseTime(ims)
	if err != nil {
		return false
	}
	return !p.lmTime.Truncate(time.Second).After(t)
}

// etagListMatch reports whether the If-None-Match list matches etag under
// the weak comparison.
func etagListMatch(list, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for {
		list = strings.TrimLeft(list, " \t,")
		if list == "" {
			return false
		}
		if list[0] == '*' {
			return true
		}
		tag, rest := scanETag(list)
		if strings.TrimPrefix(tag, "W/") == want {
			return true
		}
		list = rest
	}
}

// scanETag splits the first entity tag (or, when malformed, the first
// comma-separated token) off s.
func scanETag(s string) (tag, rest string) {
	start := 0
	if strings.HasPrefix(s, "W/") {
		start = 2
	}
	if len(s) > start && s[start] == '"' {
		if end := strings.IndexByte(s[start+1:], '"'); end >= 0 {
			end += start + 2
			return s[:end], s[end:]
		}
	}
	tag, rest, _ = strings.Cut(s, ",")
	return strings.TrimSpace(tag), rest
}

// applyRange honours a single-range Range header. It returns the status and
// the slice of the body to send, and sets Content-Range.
func applyRange(r *http.Request, p *params, h http.Header, length int64) (status int, off, n int64) {
	rng := r.Header.Get("Range")
	if rng == "" || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return http.StatusOK, 0, length
	}
	if ir := r.Header.Get("If-Range"); ir != "" && !ifRangeMatch(ir, p) {
		return http.StatusOK, 0, length
	}
	spec, ok := strings.CutPrefix(rng, "bytes=")
	spec = strings.TrimSpace(spec)
	if !ok || strings.Contains(spec, ",") {
		return http.StatusOK, 0, length // multiple or foreign ranges: whole body
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return http.StatusOK, 0, length
	}
	var start, end int64 // inclusive
	if first == "" {
		suffix, err := strconv.ParseInt(last, 10, 64)
		if err != nil || suffix < 0 {
			return http.StatusOK, 0, length
		}
		if suffix == 0 || length == 0 {
			return unsatisfiable(h, length)
		}
		start, end = max(length-suffix, 0), length-1
	} else {
		var err error
		if start, err = strconv.ParseInt(first, 10, 64); err != nil || start < 0 {
			return http.StatusOK, 0, length
		}
		end = length - 1
		if last != "" {
			e, err := strconv.ParseInt(last, 10, 64)
			if err != nil || e < start {
				return http.StatusOK, 0, length
			}
			end = min(e, length-1)
		}
		if start >= length {
			return unsatisfiable(h, length)
		}
	}
	h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, length))
	return http.StatusPartialContent, start, end - start + 1
}

func unsatisfiable(h http.Header, length int64) (int, int64, int64) {
	h.Set("Content-Range", fmt.Sprintf("bytes */%d", length))
	h.Del("Content-Type")
	return http.StatusRequestedRangeNotSatisfiable, 0, 0
}

// ifRangeMatch evaluates If-Range: strong comparison against the ETag, or an
// exact match against Last-Modified.
func ifRangeMatch(ir string, p *params) bool {
	if strings.HasPrefix(ir, `"`) || strings.HasPrefix(ir, "W/") {
		return p.etag != "" && !strings.HasPrefix(p.etag, "W/") && !strings.HasPrefix(ir, "W/") && ir == p.etag
	}
	if p.lm == "" {
		return false
	}
	t, err := http.ParseTime(ir)
	return err == nil && t.Equal(p.lmTime.Truncate(time.Second))
}

// echoReply is the JSON that /_origin/echo answers with.
type echoReply struct {
	Method           string      `json:"method"`
	URI              string      `json:"uri"`
	Host             string      `json:"host"`
	Proto            string      `json:"proto"`
	Header           http.Header `json:"header"`
	Remote           string      `json:"remote"`
	BodyBytes        int64       `json:"body_bytes"`
	ContentLength    int64       `json:"content_length"`
	TransferEncoding []string    `json:"transfer_encoding"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Origin-Method", r.Method)
	path := r.URL.Path
	switch {
	case path == "/_origin/echo" || strings.HasPrefix(path, "/_origin/echo/"):
		n := s.hit(requestKey(r))
		h.Set("X-Origin-Count", strconv.FormatInt(n, 10))
		var nb int64
		if r.Body != nil {
			nb, _ = io.Copy(io.Discard, r.Body)
		}
		hdr := r.Header.Clone()
		if hdr == nil {
			hdr = http.Header{}
		}
		te := r.TransferEncoding
		if te == nil {
			te = []string{}
		}
		writeJSON(w, http.StatusOK, echoReply{
			Method:           r.Method,
			URI:              r.RequestURI,
			Host:             r.Host,
			Proto:            r.Proto,
			Header:           hdr,
			Remote:           r.RemoteAddr,
			BodyBytes:        nb,
			ContentLength:    r.ContentLength,
			TransferEncoding: te,
		})
	case path == "/_origin/count":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]int64{"count": s.Count(r.URL.Query().Get("uri"))})
	case path == "/_origin/counts":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		writeJSON(w, http.StatusOK, s.Counts())
	case path == "/_origin/reset":
		if !allow(w, r, http.MethodPost) {
			return
		}
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case path == "/_origin/health":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", "2")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			io.WriteString(w, "ok")
		}
	default:
		http.NotFound(w, r)
	}
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
