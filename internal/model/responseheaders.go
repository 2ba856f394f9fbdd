package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ResponseHeadersPolicy is CloudFront's response headers policy: headers
// the edge adds to (or removes from) every response to viewers, whether it
// came from the cache or the origin. Each part is optional.
type ResponseHeadersPolicy struct {
	ID                        string               `json:"id,omitempty"`
	Name                      string               `json:"name,omitempty"`
	Comment                   string               `json:"comment,omitempty"`
	LastModified              time.Time            `json:"lastModified,omitzero"`
	CorsConfig                *CorsConfig          `json:"corsConfig,omitempty"`
	SecurityHeadersConfig     *SecurityHeaders     `json:"securityHeadersConfig,omitempty"`
	CustomHeadersConfig       []ResponseHeader     `json:"customHeadersConfig,omitempty"`
	RemoveHeadersConfig       []string             `json:"removeHeadersConfig,omitempty"`
	ServerTimingHeadersConfig *ServerTimingHeaders `json:"serverTimingHeadersConfig,omitempty"`
}

// CorsConfig is the CORS part: the Access-Control-* fields sent to a
// viewer whose Origin is allowed. OriginOverride says the policy's values
// replace the origin's own Access-Control-* fields.
type CorsConfig struct {
	AllowOrigins     []string `json:"allowOrigins"`
	AllowHeaders     []string `json:"allowHeaders"`
	AllowMethods     []string `json:"allowMethods"`
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	// MaxAgeSec is Access-Control-Max-Age on preflight answers; nil sends none.
	MaxAgeSec      *int64 `json:"maxAgeSec,omitempty"`
	OriginOverride bool   `json:"originOverride,omitempty"`
}

// SecurityHeaders are the well-known security fields; each set one is sent,
// replacing the origin's when Override is true.
type SecurityHeaders struct {
	ContentSecurityPolicy   *ValueHeader   `json:"contentSecurityPolicy,omitempty"`
	ContentTypeOptions      *OverrideOnly  `json:"contentTypeOptions,omitempty"` // nosniff
	FrameOptions            *ValueHeader   `json:"frameOptions,omitempty"`       // DENY or SAMEORIGIN
	ReferrerPolicy          *ValueHeader   `json:"referrerPolicy,omitempty"`
	StrictTransportSecurity *HSTS          `json:"strictTransportSecurity,omitempty"`
	XSSProtection           *XSSProtection `json:"xssProtection,omitempty"`
}

// ValueHeader is a security field with one value.
type ValueHeader struct {
	Override bool   `json:"override,omitempty"`
	Value    string `json:"value"`
}

// OverrideOnly is a security field whose value is fixed.
type OverrideOnly struct {
	Override bool `json:"override,omitempty"`
}

// HSTS is Strict-Transport-Security (CloudFront names its max-age
// AccessControlMaxAgeSec).
type HSTS struct {
	Override          bool  `json:"override,omitempty"`
	MaxAgeSec         int64 `json:"maxAgeSec"`
	IncludeSubdomains bool  `json:"includeSubdomains,omitempty"`
	Preload           bool  `json:"preload,omitempty"`
}

// XSSProtection is X-XSS-Protection.
type XSSProtection struct {
	Override   bool   `json:"override,omitempty"`
	Protection bool   `json:"protection"`
	ModeBlock  bool   `json:"modeBlock,omitempty"`
	ReportURI  string `json:"reportUri,omitempty"`
}

// ResponseHeader is a custom field added to responses.
type ResponseHeader struct {
	Header   string `json:"header"`
	Value    string `json:"value"`
	Override bool   `json:"override,omitempty"`
}

// ServerTimingHeaders turns on the Server-Timing field for a share of
// requests (SamplingRate, percent 0-100) and for every request that sends
// `Pragma: server-timing`.
type ServerTimingHeaders struct {
	Enabled      bool    `json:"enabled"`
	SamplingRate float64 `json:"samplingRate,omitempty"`
}

// CORSMethods are the values CloudFront accepts in AllowMethods; ALL
// stands for every one of the others.
var CORSMethods = []string{"GET", "POST", "OPTIONS", "PUT", "DELETE", "PATCH", "HEAD", "ALL"}

var (
	frameOptions    = []string{"DENY", "SAMEORIGIN"}
	referrerOptions = []string{"no-referrer", "no-referrer-when-downgrade", "origin", "origin-when-cross-origin",
		"same-origin", "strict-origin", "strict-origin-when-cross-origin", "unsafe-url"}
)

// unremovable are fields a policy may not remove or set: the edge's own,
// and those that frame the message (CloudFront refuses the same kind).
var unremovable = []string{
	"age", "connection", "content-encoding", "content-length", "content-range", "date", "expect",
	"host", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
	"trailer", "transfer-encoding", "upgrade", "via", "x-cache", "cache-status", "server-timing",
}

func unremovableHeader(name string) bool {
	n := strings.ToLower(name)
	return slices.Contains(unremovable, n) || strings.HasPrefix(n, "x-pharos-") || strings.HasPrefix(n, "access-control-")
}

// maxCSP is CloudFront's limit on a Content-Security-Policy value.
const maxCSP = 1783

func (p *ResponseHeadersPolicy) validate(v *validator, f string) {
	if c := p.CorsConfig; c != nil {
		c.validate(v, f+".corsConfig")
	}
	if s := p.SecurityHeadersConfig; s != nil {
		s.validate(v, f+".securityHeadersConfig")
	}
	if len(p.CustomHeadersConfig) > 10 {
		v.fail(f+".customHeadersConfig", "at most 10 custom headers")
	}
	seen := map[string]bool{}
	for i, h := range p.CustomHeadersConfig {
		hf := fmt.Sprintf("%s.customHeadersConfig[%d]", f, i)
		switch {
		case !validToken(h.Header):
			v.fail(hf+".header", "%q is not a valid header name", h.Header)
		case unremovableHeader(h.Header):
			v.fail(hf+".header", "%q cannot be set by a response headers policy", h.Header)
		case seen[strings.ToLower(h.Header)]:
			v.fail(hf+".header", "%q is listed twice", h.Header)
		}
		seen[strings.ToLower(h.Header)] = true
		if h.Value == "" || strings.ContainsAny(h.Value, "\r\n\x00") {
			v.fail(hf+".value", "must be non-empty without CR, LF or NUL")
		}
	}
	if len(p.RemoveHeadersConfig) > 10 {
		v.fail(f+".removeHeadersConfig", "at most 10 headers to remove")
	}
	for i, h := range p.RemoveHeadersConfig {
		hf := fmt.Sprintf("%s.removeHeadersConfig[%d]", f, i)
		if !validToken(h) {
			v.fail(hf, "%q is not a valid header name", h)
		} else if unremovableHeader(h) {
			v.fail(hf, "%q cannot be removed", h)
		} else if seen[strings.ToLower(h)] {
			v.fail(hf, "%q is both added and removed", h)
		}
	}
	if st := p.ServerTimingHeadersConfig; st != nil && (st.SamplingRate < 0 || st.SamplingRate > 100) {
		v.fail(f+".serverTimingHeadersConfig.samplingRate", "%v: must be between 0 and 100", st.SamplingRate)
	}
}

func (c *CorsConfig) validate(v *validator, f string) {
	if len(c.AllowOrigins) == 0 {
		v.fail(f+".allowOrigins", "at least one origin (or *)")
	}
	for i, o := range c.AllowOrigins {
		if o != "*" && !validCORSOrigin(o) {
			v.fail(fmt.Sprintf("%s.allowOrigins[%d]", f, i), "%q: must be * or scheme://host[:port] (host may start with *.)", o)
		}
		if o == "*" && c.AllowCredentials {
			v.fail(f+".allowCredentials", "cannot be true when allowOrigins has *")
		}
	}
	checkHeaderNames(v, f+".allowHeaders", c.AllowHeaders, true)
	checkHeaderNames(v, f+".exposeHeaders", c.ExposeHeaders, false)
	if len(c.AllowMethods) == 0 {
		v.fail(f+".allowMethods", "at least one method (or ALL)")
	}
	for i, m := range c.AllowMethods {
		if !slices.Contains(CORSMethods, m) {
			v.fail(fmt.Sprintf("%s.allowMethods[%d]", f, i), "%q: must be one of %s", m, strings.Join(CORSMethods, ", "))
		}
	}
	if c.MaxAgeSec != nil && *c.MaxAgeSec < 0 {
		v.fail(f+".maxAgeSec", "must not be negative")
	}
}

func checkHeaderNames(v *validator, f string, names []string, required bool) {
	if required && len(names) == 0 {
		v.fail(f, "at least one header name (or *)")
	}
	for i, h := range names {
		if h != "*" && !validToken(h) {
			v.fail(fmt.Sprintf("%s[%d]", f, i), "%q is not a valid header name", h)
		}
	}
}

func validCORSOrigin(o string) bool {
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return false
	}
	host := strings.TrimPrefix(rest, "*.")
	if h, port, ok := strings.Cut(host, ":"); ok {
		host = h
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return false
		}
	}
	return validHostname(host)
}

func (s *SecurityHeaders) validate(v *validator, f string) {
	if c := s.ContentSecurityPolicy; c != nil {
		if c.Value == "" || len(c.Value) > maxCSP || strings.ContainsAny(c.Value, "\r\n\x00") {
			v.fail(f+".contentSecurityPolicy.value", "must be 1 to %d characters without CR, LF or NUL", maxCSP)
		}
	}
	if fo := s.FrameOptions; fo != nil && !slices.Contains(frameOptions, fo.Value) {
		v.fail(f+".frameOptions.value", "%q: must be DENY or SAMEORIGIN", fo.Value)
	}
	if rp := s.ReferrerPolicy; rp != nil && !slices.Contains(referrerOptions, rp.Value) {
		v.fail(f+".referrerPolicy.value", "%q: must be one of %s", rp.Value, strings.Join(referrerOptions, ", "))
	}
	if h := s.StrictTransportSecurity; h != nil && h.MaxAgeSec < 0 {
		v.fail(f+".strictTransportSecurity.maxAgeSec", "must not be negative")
	}
	if x := s.XSSProtection; x != nil {
		if !x.Protection && (x.ModeBlock || x.ReportURI != "") {
			v.fail(f+".xssProtection", "modeBlock and reportUri need protection")
		}
		if x.ModeBlock && x.ReportURI != "" {
			v.fail(f+".xssProtection.reportUri", "cannot be combined with modeBlock")
		}
		if strings.ContainsAny(x.ReportURI, "\r\n\x00;") {
			v.fail(f+".xssProtection.reportUri", "must not contain CR, LF, NUL or ;")
		}
	}
}

// Managed response headers policies under CloudFront's real IDs
// (CLOUDFRONT.md §1.5).
var managedResponseHeadersPolicies = func() map[string]ResponseHeadersPolicy {
	simple := func() *CorsConfig {
		return &CorsConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"ALL"}}
	}
	preflight := func() *CorsConfig {
		return &CorsConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"},
			AllowMethods:  []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"},
			ExposeHeaders: []string{"*"}}
	}
	security := func() *SecurityHeaders {
		return &SecurityHeaders{
			ContentTypeOptions:      &OverrideOnly{},
			FrameOptions:            &ValueHeader{Value: "SAMEORIGIN"},
			ReferrerPolicy:          &ValueHeader{Value: "strict-origin-when-cross-origin"},
			StrictTransportSecurity: &HSTS{MaxAgeSec: 31536000},
			XSSProtection:           &XSSProtection{Protection: true, ModeBlock: true},
		}
	}
	all := []ResponseHeadersPolicy{
		{ID: "60669652-455b-4ae9-85a4-c4c02393f86c", Name: "Managed-SimpleCORS",
			Comment: "Allows all origins for simple CORS requests", CorsConfig: simple()},
		{ID: "5cc3b908-e619-4b99-88e5-2cf7f45965bd", Name: "Managed-CORS-With-Preflight",
			Comment: "Allows all origins for CORS requests, including preflight requests", CorsConfig: preflight()},
		{ID: "67f7725c-6f97-4210-82d7-5512b31e9d03", Name: "Managed-SecurityHeadersPolicy",
			Comment: "Adds a set of security headers to every response", SecurityHeadersConfig: security()},
		{ID: "e61eb60c-9c35-4d20-a928-2b84e02af89c", Name: "Managed-CORS-and-SecurityHeadersPolicy",
			Comment:    "Allows all origins for simple CORS requests and adds security headers",
			CorsConfig: simple(), SecurityHeadersConfig: security()},
		{ID: "eaab4381-ed33-4a86-88ca-d9558dc6cd63", Name: "Managed-CORS-with-preflight-and-SecurityHeadersPolicy",
			Comment:    "Allows all origins for CORS requests, including preflight, and adds security headers",
			CorsConfig: preflight(), SecurityHeadersConfig: security()},
	}
	m := make(map[string]ResponseHeadersPolicy, len(all))
	for _, p := range all {
		m[p.ID] = p
	}
	return m
}()

// ManagedResponseHeadersPolicy returns a copy of the managed response
// headers policy with id.
func ManagedResponseHeadersPolicy(id string) (ResponseHeadersPolicy, bool) {
	p, ok := managedResponseHeadersPolicies[id]
	if !ok {
		return p, false
	}
	return p.clone(), true
}

// ManagedResponseHeadersPolicies returns every managed response headers policy, by id.
func ManagedResponseHeadersPolicies() []ResponseHeadersPolicy {
	out := make([]ResponseHeadersPolicy, 0, len(managedResponseHeadersPolicies))
	for id := range managedResponseHeadersPolicies {
		p, _ := ManagedResponseHeadersPolicy(id)
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b ResponseHeadersPolicy) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// clone copies p deeply enough that changing the copy leaves p alone.
func (p ResponseHeadersPolicy) clone() ResponseHeadersPolicy {
	if c := p.CorsConfig; c != nil {
		cc := *c
		cc.AllowOrigins, cc.AllowHeaders = slices.Clone(c.AllowOrigins), slices.Clone(c.AllowHeaders)
		cc.AllowMethods, cc.ExposeHeaders = slices.Clone(c.AllowMethods), slices.Clone(c.ExposeHeaders)
		p.CorsConfig = &cc
	}
	if s := p.SecurityHeadersConfig; s != nil {
		sc := *s
		p.SecurityHeadersConfig = &sc
	}
	p.CustomHeadersConfig = slices.Clone(p.CustomHeadersConfig)
	p.RemoveHeadersConfig = slices.Clone(p.RemoveHeadersConfig)
	return p
}
