package signedurl

import (
	"net/url"
	"strings"
)

// The signing parameters of a URL's query, and of signed cookies (the same
// names behind "CloudFront-"). They belong to CloudFront, never to the
// origin: they are removed before the cache key and the origin request.
const (
	ParamExpires       = "Expires"
	ParamPolicy        = "Policy"
	ParamSignature     = "Signature"
	ParamKeyPairID     = "Key-Pair-Id"
	ParamHashAlgorithm = "Hash-Algorithm"
	CookiePrefix       = "CloudFront-"
)

// signing holds the values a request carries, wherever they came from.
type signing struct {
	expires, policy, signature, keyID, hashAlg string
	hasExpires, hasPolicy                      bool
	duplicate                                  string // a name seen twice
	fromCookies                                bool
}

// set records one name=value pair; it reports whether name is a signing
// parameter.
func (g *signing) set(name, value string) bool {
	var dst *string
	switch name {
	case ParamExpires:
		dst = &g.expires
		g.hasExpires = true
	case ParamPolicy:
		dst = &g.policy
		g.hasPolicy = true
	case ParamSignature:
		dst = &g.signature
	case ParamKeyPairID:
		dst = &g.keyID
	case ParamHashAlgorithm:
		dst = &g.hashAlg
	default:
		return false
	}
	if *dst != "" && g.duplicate == "" {
		g.duplicate = name
	}
	*dst = value
	return true
}

// signsURL reports whether the values make a signed URL: one of the
// parameters beyond Hash-Algorithm is in the query. A signed URL beats
// signed cookies (CLOUDFRONT.md §3.5).
func (g *signing) signsURL() bool {
	return g.hasExpires || g.hasPolicy || g.signature != "" || g.keyID != ""
}

// isParam reports whether a query parameter name is a signing parameter.
func isParam(name string) bool {
	switch name {
	case ParamExpires, ParamPolicy, ParamSignature, ParamKeyPairID, ParamHashAlgorithm:
		return true
	}
	return false
}

// fromQuery reads the signing parameters of a raw query and returns the
// query without them, the other parameters kept in order and as sent.
func fromQuery(raw string) (g signing, rest string) {
	if raw == "" {
		return g, ""
	}
	var b strings.Builder
	stripped := false
	for part := range strings.SplitSeq(raw, "&") {
		name, value, _ := strings.Cut(part, "=")
		// Names are matched as sent; values may be percent-encoded by a
		// client that escapes '~' ("+" stays '+': it is not a space here).
		if g.set(name, unescape(value)) {
			stripped = true
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	if !stripped {
		return g, raw
	}
	return g, b.String()
}

func unescape(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// StripQuery returns a raw query without the signing parameters (Expires,
// Policy, Signature, Key-Pair-Id, Hash-Algorithm), the rest unchanged.
func StripQuery(raw string) string {
	_, rest := fromQuery(raw)
	return rest
}

// fromCookies reads signed-cookie values from Cookie header fields. When
// a name repeats (cookies set for two paths), the first wins, as browsers
// send the most specific path first.
func fromCookies(fields []string) (g signing) {
	g.fromCookies = true
	for _, f := range fields {
		for c := range strings.SplitSeq(f, ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(c), "=")
			if !ok || !strings.HasPrefix(name, CookiePrefix) {
				continue
			}
			name = name[len(CookiePrefix):]
			if !isParam(name) || g.seen(name) {
				continue
			}
			g.set(name, strings.Trim(strings.TrimSpace(value), `"`))
		}
	}
	return g
}

func (g *signing) seen(name string) bool {
	switch name {
	case ParamExpires:
		return g.hasExpires
	case ParamPolicy:
		return g.hasPolicy
	case ParamSignature:
		return g.signature != ""
	case ParamKeyPairID:
		return g.keyID != ""
	}
	return g.hashAlg != ""
}

// StripCookies returns Cookie header fields without the signed cookies
// (CloudFront-Expires, -Policy, -Signature, -Key-Pair-Id, -Hash-Algorithm);
// fields left empty are dropped, and nil comes back when none is left.
func StripCookies(fields []string) []string {
	var out []string
	for _, f := range fields {
		if !strings.Contains(f, CookiePrefix) {
			out = append(out, f)
			continue
		}
		var kept []string
		for c := range strings.SplitSeq(f, ";") {
			c = strings.TrimSpace(c)
			name, _, _ := strings.Cut(c, "=")
			if c == "" || (strings.HasPrefix(name, CookiePrefix) && isParam(name[len(CookiePrefix):])) {
				continue
			}
			kept = append(kept, c)
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, "; "))
		}
	}
	return out
}
