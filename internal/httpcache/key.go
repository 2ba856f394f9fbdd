package httpcache

import (
	"net/http"
	"strings"
)

// ListBehavior says which names of a list (query strings, cookies) go into the cache key
// (CloudFront's QueryStringBehavior and CookieBehavior, CLOUDFRONT.md 1.3).
type ListBehavior int

const (
	ListNone      ListBehavior = iota // none
	ListWhitelist                     // only the listed names
	ListAllExcept                     // all but the listed names
	ListAll                           // all
)

// KeyPolicy is the cache-key half of a CloudFront cache policy (CLOUDFRONT.md 1.3). Everything
// in the key is also forwarded to the origin, and nothing else may shape a stored response, so
// the edge must forward exactly what QueryParamInKey, CookieInKey and Headers select.
type KeyPolicy struct {
	QueryStrings                             ListBehavior
	QueryStringNames                         []string
	Headers                                  []string // header names (case-insensitive); canonical form avoids work
	Cookies                                  ListBehavior
	CookieNames                              []string
	AcceptEncodingGzip, AcceptEncodingBrotli bool
}

// AppendKey appends the cache key for a request to dst, without allocating when dst has room.
// The key holds, each as its own part (see keyencoding.go):
//
//   - the host, lower-cased, and the path, as given (paths are case-sensitive);
//   - the query parameters the policy names, as raw "name=value" segments in the request's
//     order (CloudFront keys are order-sensitive: a=1&b=2 differs from b=2&a=1); ListAll
//     keeps the raw query exactly;
//   - one part per policy header: its field lines joined with ", ", case-sensitive, with an
//     absent header distinct from an empty one;
//   - the policy's cookies, as trimmed "name=value" pairs in the request's order;
//   - the normalised Accept-Encoding when the policy enables gzip or Brotli.
//
// A nil policy is CloudFront's default key: host and path only. The method is not part of the
// key: the edge keys OPTIONS apart itself (CLOUDFRONT.md 1.2).
func AppendKey(dst []byte, host, path, rawQuery string, h http.Header, p *KeyPolicy) []byte {
	dst = append(appendEscapedLower(dst, host), partEnd)
	dst = append(appendEscaped(dst, path), partEnd)
	if p == nil {
		return dst
	}
	dst = append(p.appendQuery(dst, rawQuery), partEnd)
	for _, name := range p.Headers {
		dst = append(appendHeader(dst, headerValues(h, name)), partEnd)
	}
	dst = append(p.appendCookies(dst, h["Cookie"]), partEnd)
	if p.AcceptEncodingGzip || p.AcceptEncodingBrotli {
		ae := NormaliseAcceptEncoding(h["Accept-Encoding"], p.AcceptEncodingGzip, p.AcceptEncodingBrotli)
		dst = append(append(dst, ae...), partEnd)
	}
	return dst
}

// QueryParamInKey reports whether a query parameter, by its raw (still percent-encoded) name,
// belongs in the key. Names compare case-sensitively after decoding %XX and "+", so "%61=1"
// is parameter "a": the key and the origin request must agree on this, or an unkeyed
// parameter could shape a stored response.
func (p *KeyPolicy) QueryParamInKey(rawName string) bool {
	switch p.QueryStrings {
	case ListAll:
		return true
	case ListWhitelist:
		return queryNameIn(rawName, p.QueryStringNames)
	case ListAllExcept:
		return !queryNameIn(rawName, p.QueryStringNames)
	}
	return false
}

// CookieInKey reports whether a cookie belongs in the key; cookie names are case-sensitive
// (CLOUDFRONT.md 1.3).
func (p *KeyPolicy) CookieInKey(name string) bool {
	switch p.Cookies {
	case ListAll:
		return true
	case ListWhitelist:
		return contains(p.CookieNames, name)
	case ListAllExcept:
		return !contains(p.CookieNames, name)
	}
	return false
}

// appendQuery appends the selected query segments, joined with "&".
func (p *KeyPolicy) appendQuery(dst []byte, raw string) []byte {
	switch p.QueryStrings {
	case ListNone:
		return dst
	case ListAll:
		return appendEscaped(dst, raw)
	}
	first := true
	for rest := raw; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "&")
		name, _, _ := strings.Cut(seg, "=")
		if seg == "" || !p.QueryParamInKey(name) {
			continue
		}
		if !first {
			dst = append(dst, '&')
		}
		first = false
		dst = appendEscaped(dst, seg)
	}
	return dst
}

// appendCookies appends the selected cookie pairs from the Cookie lines (HTTP/2 may split
// them, RFC 9113 §8.2.3), joined with ";", which a cookie pair cannot contain.
func (p *KeyPolicy) appendCookies(dst []byte, lines []string) []byte {
	if p.Cookies == ListNone {
		return dst
	}
	first := true
	for _, line := range lines {
		for rest := line; rest != ""; {
			var pair string
			pair, rest, _ = strings.Cut(rest, ";")
			pair = trimOWS(pair)
			name, _, _ := strings.Cut(pair, "=")
			if pair == "" || !p.CookieInKey(trimOWS(name)) {
				continue
			}
			if !first {
				dst = append(dst, ';')
			}
			first = false
			dst = appendEscaped(dst, pair)
		}
	}
	return dst
}

// appendHeader appends a header's field lines joined with ", ", or the absent mark.
func appendHeader(dst []byte, values []string) []byte {
	if len(values) == 0 {
		return append(dst, absentMark)
	}
	for i, v := range values {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = appendEscaped(dst, v)
	}
	return dst
}

// queryNameIn reports whether a raw query name decodes to one of names.
func queryNameIn(raw string, names []string) bool {
	for _, n := range names {
		if queryNameEquals(raw, n) {
			return true
		}
	}
	return false
}

// queryNameEquals compares a raw query name with a plain one, decoding "+" and %XX on the fly
// (as net/url.QueryUnescape would) so that it never allocates. A malformed escape is taken
// literally.
func queryNameEquals(raw, name string) bool {
	j := 0
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 < len(raw) {
				hi, ok1 := fromHex(raw[i+1])
				lo, ok2 := fromHex(raw[i+2])
				if ok1 && ok2 {
					c = hi<<4 | lo
					i += 2
				}
			}
		}
		if j >= len(name) || name[j] != c {
			return false
		}
		j++
	}
	return j == len(name)
}

func fromHex(c byte) (byte, bool) {
	switch {
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return lowerHex(c)
}

func contains(names []string, s string) bool {
	for _, n := range names {
		if n == s {
			return true
		}
	}
	return false
}
