package model

import (
	"fmt"
	"net"
	"slices"
	"strings"
)

// FieldError is a validation failure naming the field, in the JSON path
// form a user can find in what they sent (e.g. origins[0].domainName).
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError lists every field that failed.
type ValidationError []*FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, e := range v {
		parts[i] = e.Error()
	}
	return "invalid configuration: " + strings.Join(parts, "; ")
}

type validator struct{ errs ValidationError }

func (v *validator) fail(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return v.errs
}

// Validate checks a distribution after ApplyDefaults. It returns a
// ValidationError naming every bad field, or nil.
func (d *Distribution) Validate() error {
	v := &validator{}
	if d.ID != "" && !ValidID(d.ID, 'E') {
		v.fail("id", "must be E followed by 13 of [A-Z0-9]")
	}
	seenAlias := map[string]bool{}
	for i, a := range d.Aliases {
		f := fmt.Sprintf("aliases[%d]", i)
		la := strings.ToLower(a)
		if !validHostname(strings.TrimPrefix(la, "*.")) {
			v.fail(f, "%q is not a valid domain name", a)
		}
		if seenAlias[la] {
			v.fail(f, "%q is listed twice", a)
		}
		seenAlias[la] = true
	}
	if len(d.Origins) == 0 {
		v.fail("origins", "at least one origin is required")
	}
	ids := map[string]bool{}
	for i := range d.Origins {
		d.Origins[i].validate(v, fmt.Sprintf("origins[%d]", i))
		if ids[d.Origins[i].ID] {
			v.fail(fmt.Sprintf("origins[%d].id", i), "duplicate origin id %q", d.Origins[i].ID)
		}
		ids[d.Origins[i].ID] = true
	}
	d.DefaultBehavior.validate(v, "defaultBehavior", ids)
	d.validateTLS(v) // viewercert.go
	d.validateGeo(v) // georestriction.go
	for i := range d.Behaviors {
		f := fmt.Sprintf("behaviors[%d]", i)
		b := &d.Behaviors[i]
		if b.PathPattern == "" {
			v.fail(f+".pathPattern", "required for a behavior other than the default")
		}
		b.validate(v, f, ids)
	}
	seen := map[int]bool{}
	for i, e := range d.CustomErrorResponses {
		f := fmt.Sprintf("customErrorResponses[%d]", i)
		if !slices.Contains([]int{400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504}, e.ErrorCode) {
			v.fail(f+".errorCode", "%d is not one of CloudFront's error codes", e.ErrorCode)
		}
		if e.ErrorCachingMinTTL != nil && *e.ErrorCachingMinTTL < 0 {
			v.fail(f+".errorCachingMinTTL", "must not be negative")
		}
		switch {
		case e.ResponsePagePath == "" && e.ResponseCode != "":
			v.fail(f+".responsePagePath", "required with responseCode")
		case e.ResponsePagePath != "" && e.ResponseCode == "":
			v.fail(f+".responseCode", "required with responsePagePath")
		case e.ResponsePagePath != "":
			if !strings.HasPrefix(e.ResponsePagePath, "/") || len(e.ResponsePagePath) > 4096 {
				v.fail(f+".responsePagePath", "%q must be a path starting with / (at most 4096 characters)", e.ResponsePagePath)
			}
			if !slices.Contains([]string{"200", "400", "403", "404", "405", "414", "416", "500", "501", "502", "503", "504"}, e.ResponseCode) {
				v.fail(f+".responseCode", "%q is not one of CloudFront's response codes", e.ResponseCode)
			}
		}
		if seen[e.ErrorCode] {
			v.fail(f+".errorCode", "%d is listed twice", e.ErrorCode)
		}
		seen[e.ErrorCode] = true
	}
	return v.err()
}

func (o *Origin) validate(v *validator, f string) {
	if o.ID == "" {
		v.fail(f+".id", "required")
	}
	if strings.Contains(o.DomainName, "://") {
		v.fail(f+".domainName", "%q: give a host name, not a URL (the scheme goes in protocol)", o.DomainName)
	} else if host, port, err := net.SplitHostPort(o.DomainName); err == nil {
		v.fail(f+".domainName", "%q: put the port %s in httpPort/httpsPort, not the domain name", o.DomainName, port)
		_ = host
	} else if !validHostname(o.DomainName) && net.ParseIP(strings.Trim(o.DomainName, "[]")) == nil {
		v.fail(f+".domainName", "%q is not a valid host name or address", o.DomainName)
	}
	if !slices.Contains([]string{"http-only", "https-only", "match-viewer"}, o.Protocol) {
		v.fail(f+".protocol", "%q: must be http-only, https-only or match-viewer", o.Protocol)
	}
	checkPort(v, f+".httpPort", o.HTTPPort)
	checkPort(v, f+".httpsPort", o.HTTPSPort)
	if o.OriginPath != "" && (!strings.HasPrefix(o.OriginPath, "/") || strings.HasSuffix(o.OriginPath, "/")) {
		v.fail(f+".originPath", "%q: must start with / and not end with /", o.OriginPath)
	}
	for i, h := range o.CustomHeaders {
		hf := fmt.Sprintf("%s.customHeaders[%d]", f, i)
		if !validToken(h.Name) {
			v.fail(hf+".name", "%q is not a valid header name", h.Name)
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") {
			v.fail(hf+".value", "must not contain CR, LF or NUL")
		}
	}
	checkRange(v, f+".connectionAttempts", o.ConnectionAttempts, 1, 3)
	checkRange(v, f+".connectionTimeout", o.ConnectionTimeout, 1, 10)
	checkRange(v, f+".readTimeout", o.ReadTimeout, 1, 120)
	checkRange(v, f+".keepaliveTimeout", o.KeepaliveTimeout, 1, 120)
}

func (b *Behavior) validate(v *validator, f string, origins map[string]bool) {
	if b.PathPattern != "" {
		if err := ValidatePathPattern(b.PathPattern); err != nil {
			v.fail(f+".pathPattern", "%v", err)
		}
	}
	if b.SliceSize < 64<<10 || b.SliceSize > 1<<30 {
		v.fail(f+".sliceSize", "%d: must be between 65536 (64 KiB) and 1073741824 (1 GiB) bytes", b.SliceSize)
	}
	if !origins[b.TargetOriginID] {
		v.fail(f+".targetOriginId", "%q names no origin of this distribution", b.TargetOriginID)
	}
	if !slices.Contains([]string{"allow-all", "redirect-to-https", "https-only"}, b.ViewerProtocolPolicy) {
		v.fail(f+".viewerProtocolPolicy", "%q: must be allow-all, redirect-to-https or https-only", b.ViewerProtocolPolicy)
	}
	allowed := normMethods(b.AllowedMethods)
	if !slices.Equal(allowed, normMethods(methodsGetHead)) && !slices.Equal(allowed, normMethods(methodsGetHeadOpts)) &&
		!slices.Equal(allowed, normMethods(methodsAll)) {
		v.fail(f+".allowedMethods", "must be GET,HEAD or GET,HEAD,OPTIONS or GET,HEAD,OPTIONS,PUT,POST,PATCH,DELETE")
	}
	cached := normMethods(b.CachedMethods)
	if !slices.Equal(cached, normMethods(methodsGetHead)) && !slices.Equal(cached, normMethods(methodsGetHeadOpts)) {
		v.fail(f+".cachedMethods", "must be GET,HEAD or GET,HEAD,OPTIONS")
	} else if len(cached) > len(allowed) {
		v.fail(f+".cachedMethods", "must be a subset of allowedMethods")
	}
	b.validatePolicyRefs(v, f) // policies.go
}

// maxTTLSeconds is 100 years, CloudFront's max-age ceiling.
const maxTTLSeconds = 100 * 365 * 24 * 3600

func (p *CachePolicy) validate(v *validator, f string) {
	for _, t := range []struct {
		name string
		val  int64
	}{{"minTTL", p.MinTTL}, {"defaultTTL", p.DefaultTTL}, {"maxTTL", p.MaxTTL}} {
		if t.val < 0 || t.val > maxTTLSeconds {
			v.fail(f+"."+t.name, "%d: must be between 0 and %d seconds", t.val, maxTTLSeconds)
		}
	}
	if p.MinTTL > p.MaxTTL {
		v.fail(f+".minTTL", "must not exceed maxTTL")
	}
	if p.DefaultTTL < p.MinTTL || p.DefaultTTL > p.MaxTTL {
		v.fail(f+".defaultTTL", "must lie between minTTL and maxTTL")
	}
	checkList(v, f+".queryStrings", p.QueryStrings, "none", "whitelist", "allExcept", "all")
	checkList(v, f+".headers", p.Headers, "none", "whitelist")
	checkList(v, f+".cookies", p.Cookies, "none", "whitelist", "allExcept", "all")
}

func checkList(v *validator, f string, l ListConfig, allowed ...string) {
	if !slices.Contains(allowed, l.Behavior) {
		v.fail(f+".behavior", "%q: must be one of %s", l.Behavior, strings.Join(allowed, ", "))
	}
	needsItems := l.Behavior == "whitelist" || l.Behavior == "allExcept"
	if needsItems && len(l.Items) == 0 {
		v.fail(f+".items", "%s needs at least one name", l.Behavior)
	}
	if !needsItems && len(l.Items) > 0 {
		v.fail(f+".items", "names are only used with whitelist or allExcept")
	}
	if len(l.Items) > 10 {
		v.fail(f+".items", "at most 10 names")
	}
	for i, it := range l.Items {
		if it == "" || strings.ContainsAny(it, "\r\n\x00") {
			v.fail(fmt.Sprintf("%s.items[%d]", f, i), "%q is not a valid name", it)
		}
	}
}

// ValidatePathPattern checks a behaviour's path pattern against CloudFront's
// rules: at most 255 characters from A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + &.
func ValidatePathPattern(p string) error {
	if len(p) > 255 {
		return fmt.Errorf("longer than 255 characters")
	}
	for _, c := range p {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("_-.*$/~\"'@:+&?", c):
		default:
			return fmt.Errorf("character %q is not allowed in a path pattern", c)
		}
	}
	return nil
}

func normMethods(ms []string) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, strings.ToUpper(m))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func checkPort(v *validator, f string, p int) {
	// Wider than CloudFront's 80, 443, 1024-65535: self-hosted origins
	// live on whatever port their operator chose.
	if p < 1 || p > 65535 {
		v.fail(f, "%d: must be between 1 and 65535", p)
	}
}

func checkRange(v *validator, f string, n, lo, hi int) {
	if n < lo || n > hi {
		v.fail(f, "%d: must be between %d and %d", n, lo, hi)
	}
}

func validHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// validToken reports whether s is an RFC 9110 token (a header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > 126 || c <= 32 || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", c) {
			return false
		}
	}
	return true
}
