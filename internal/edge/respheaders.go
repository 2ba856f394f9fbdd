package edge

import (
	"math/rand/v2"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/pharos-cdn/pharos/internal/model"
)

// A behaviour's response headers policy (CloudFront's ResponseHeadersPolicy),
// compiled once per table: every response to a viewer, hit or miss, gets the
// policy's fields. On the full path apply edits the header map before it is
// written; on the fast path rewriteHit edits the pre-encoded head in place,
// so a hit still allocates nothing. CORS and Server-Timing depend on the
// request (its Origin, Pragma, a sample), so behaviours using them leave
// hits to the full path (fastCompatible).
type respHeaders struct {
	drop        []string    // canonical names removed from the origin's fields
	set         []fieldLine // always sent, replacing the origin's
	setIfAbsent []fieldLine // sent when the origin sent no such field
	setBlock    []byte      // set, encoded as "Name: value\r\n" lines
	cors        *model.CorsConfig
	corsMethods string // Access-Control-Allow-Methods, ALL expanded
	timing      *model.ServerTimingHeaders
}

type fieldLine struct {
	name, value string
	line        []byte // "Name: value\r\n"
}

// allCORSMethods is what AllowMethods ALL stands for.
const allCORSMethods = "GET, POST, OPTIONS, PUT, DELETE, PATCH, HEAD"

// compileRespHeaders compiles p; nil when there is no policy.
func compileRespHeaders(p *model.ResponseHeadersPolicy) *respHeaders {
	if p == nil {
		return nil
	}
	rh := &respHeaders{cors: p.CorsConfig, timing: p.ServerTimingHeadersConfig}
	if rh.timing != nil && !rh.timing.Enabled {
		rh.timing = nil
	}
	add := func(name, value string, override bool) {
		name = textproto.CanonicalMIMEHeaderKey(name)
		f := fieldLine{name: name, value: value, line: []byte(name + ": " + value + "\r\n")}
		if override {
			rh.drop = append(rh.drop, name)
			rh.set = append(rh.set, f)
			rh.setBlock = append(rh.setBlock, f.line...)
		} else {
			rh.setIfAbsent = append(rh.setIfAbsent, f)
		}
	}
	if s := p.SecurityHeadersConfig; s != nil {
		if v := s.ContentSecurityPolicy; v != nil {
			add("Content-Security-Policy", v.Value, v.Override)
		}
		if v := s.ContentTypeOptions; v != nil {
			add("X-Content-Type-Options", "nosniff", v.Override)
		}
		if v := s.FrameOptions; v != nil {
			add("X-Frame-Options", v.Value, v.Override)
		}
		if v := s.ReferrerPolicy; v != nil {
			add("Referrer-Policy", v.Value, v.Override)
		}
		if v := s.StrictTransportSecurity; v != nil {
			add("Strict-Transport-Security", hstsValue(v), v.Override)
		}
		if v := s.XSSProtection; v != nil {
			add("X-XSS-Protection", xssValue(v), v.Override)
		}
	}
	for _, h := range p.CustomHeadersConfig {
		add(h.Header, h.Value, h.Override)
	}
	for _, h := range p.RemoveHeadersConfig {
		rh.drop = append(rh.drop, textproto.CanonicalMIMEHeaderKey(h))
	}
	if c := rh.cors; c != nil {
		methods := strings.Join(c.AllowMethods, ", ")
		for _, m := range c.AllowMethods {
			if m == "ALL" {
				methods = allCORSMethods
			}
		}
		rh.corsMethods = methods
	}
	return rh
}

func hstsValue(v *model.HSTS) string {
	s := "max-age=" + strconv.FormatInt(v.MaxAgeSec, 10)
	if v.IncludeSubdomains {
		s += "; includeSubDomains"
	}
	if v.Preload {
		s += "; preload"
	}
	return s
}

func xssValue(v *model.XSSProtection) string {
	if !v.Protection {
		return "0"
	}
	s := "1"
	if v.ModeBlock {
		s += "; mode=block"
	}
	if v.ReportURI != "" {
		s += "; report=" + v.ReportURI
	}
	return s
}

// fastCompatible reports whether hits may be answered on the fast path:
// nothing in the policy depends on the request.
func (rh *respHeaders) fastCompatible() bool {
	return rh == nil || (rh.cors == nil && rh.timing == nil)
}

// apply edits h, the header about to be sent for x (res says how it was
// served). Values from the store are shared: only whole values are
// replaced, never appended to in place.
func (rh *respHeaders) apply(s *Server, x *Exchange, h http.Header, res result) {
	for _, name := range rh.drop {
		delete(h, name)
	}
	for _, f := range rh.set {
		h[f.name] = []string{f.value}
	}
	for _, f := range rh.setIfAbsent {
		if _, ok := h[f.name]; !ok {
			h[f.name] = []string{f.value}
		}
	}
	if rh.cors != nil {
		rh.applyCORS(x.R, h)
	}
	if rh.timing != nil && rh.sampled(x.R) {
		v := serverTiming(res, s.cfg.POP, x.ReqID)
		// Merged with the origin's own Server-Timing (kept on misses).
		h["Server-Timing"] = append(h["Server-Timing"][:len(h["Server-Timing"]):len(h["Server-Timing"])], v)
	}
}

// applyCORS adds the Access-Control-* fields for a request whose Origin the
// policy allows: on a preflight (OPTIONS with Access-Control-Request-Method)
// the allowed methods, headers and max age; otherwise the exposed headers.
func (rh *respHeaders) applyCORS(r *http.Request, h http.Header) {
	c := rh.cors
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	star := false
	allowed := false
	for _, o := range c.AllowOrigins {
		if o == "*" {
			star, allowed = true, true
		} else if corsOriginMatch(o, origin) {
			allowed = true
		}
	}
	if !allowed {
		return
	}
	if _, has := h["Access-Control-Allow-Origin"]; has && !c.OriginOverride {
		return // the origin answered CORS itself and the policy defers to it
	}
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	if star && !c.AllowCredentials {
		h["Access-Control-Allow-Origin"] = []string{"*"}
	} else {
		h["Access-Control-Allow-Origin"] = []string{origin}
		vary := h["Vary"]
		h["Vary"] = append(vary[:len(vary):len(vary)], "Origin")
	}
	if c.AllowCredentials {
		h["Access-Control-Allow-Credentials"] = []string{"true"}
	}
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h["Access-Control-Allow-Methods"] = []string{rh.corsMethods}
		h["Access-Control-Allow-Headers"] = []string{strings.Join(c.AllowHeaders, ", ")}
		if c.MaxAgeSec != nil {
			h["Access-Control-Max-Age"] = []string{strconv.FormatInt(*c.MaxAgeSec, 10)}
		}
		return
	}
	if len(c.ExposeHeaders) > 0 {
		h["Access-Control-Expose-Headers"] = []string{strings.Join(c.ExposeHeaders, ", ")}
	}
}

// corsOriginMatch compares an allowed origin (scheme://host[:port], host
// possibly *.domain) with a request's Origin, case-insensitively.
func corsOriginMatch(allowed, origin string) bool {
	if strings.EqualFold(allowed, origin) {
		return true
	}
	scheme, host, ok := strings.Cut(allowed, "://*.")
	if !ok {
		return false
	}
	oscheme, ohost, ok := strings.Cut(origin, "://")
	if !ok || !strings.EqualFold(scheme, oscheme) {
		return false
	}
	suffix := "." + strings.ToLower(host)
	return len(ohost) > len(suffix) && strings.HasSuffix(strings.ToLower(ohost), suffix)
}

// sampled says whether this response gets Server-Timing: always when the
// viewer asks with `Pragma: server-timing`, else at the sampling rate.
func (rh *respHeaders) sampled(r *http.Request) bool {
	for _, v := range r.Header["Pragma"] {
		if strings.Contains(strings.ToLower(v), "server-timing") {
			return true
		}
	}
	return rand.Float64()*100 < rh.timing.SamplingRate
}

func serverTiming(res result, pop, reqID string) string {
	m := "cdn-cache-miss"
	switch res {
	case resultHit, resultStaleHit:
		m = "cdn-cache-hit"
	case resultRefreshHit:
		m = "cdn-cache-refresh"
	}
	return m + `, cdn-pop;desc="` + pop + `", cdn-rid;desc="` + reqID + `"`
}

// rewriteHit applies the policy to a fast-path hit's head in out (a status
// line and field lines, without the closing blank line): the fields it
// drops are cut out in place, then its own are appended. No allocation.
func (rh *respHeaders) rewriteHit(out []byte) []byte {
	i := indexCRLF(out, 0)
	if i < 0 {
		return out
	}
	w := i + 2 // write position: lines kept are moved down to here
	var present uint64
	for r := w; r < len(out); {
		end := indexCRLF(out, r)
		if end < 0 {
			break
		}
		line := out[r : end+2]
		name := line
		if c := indexByte(line, ':'); c >= 0 {
			name = line[:c]
		}
		keep := true
		for _, d := range rh.drop {
			if nameFold(name, d) {
				keep = false
				break
			}
		}
		if keep {
			for j, f := range rh.setIfAbsent {
				if j < 64 && nameFold(name, f.name) {
					present |= 1 << j
				}
			}
			w += copy(out[w:], line)
		}
		r = end + 2
	}
	out = append(out[:w], rh.setBlock...)
	for j, f := range rh.setIfAbsent {
		if j >= 64 || present&(1<<j) == 0 {
			out = append(out, f.line...)
		}
	}
	return out
}

func indexCRLF(b []byte, from int) int {
	for i := from; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}

// nameFold compares a field name with another, ASCII case-insensitively.
func nameFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
