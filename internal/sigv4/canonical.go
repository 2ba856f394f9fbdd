package sigv4

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// uriEncode escapes s as SigV4 asks: every byte but the unreserved
// characters A-Z a-z 0-9 - _ . ~ becomes %XX with upper-case hex; '/' is
// kept when keepSlash (paths), escaped otherwise (query names and values).
func uriEncode(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '/' && keepSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// canonicalURI is the request path as every service but S3 signs it: the
// path as sent on the wire (already percent-encoded), encoded once more.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return uriEncode(p, true)
}

// canonicalQuery sorts the decoded parameters by name, then value, and
// encodes both; a parameter without "=" signs as "name=".
func canonicalQuery(u *url.URL) string {
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(u.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		pairs = append(pairs, kv{uriEncode(dk, false), uriEncode(dv, false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// canonicalHeaders renders the signed headers, lower-cased names in the
// order given (already sorted by the signer), values trimmed with inner
// runs of spaces collapsed and repeated fields joined by commas. Go keeps
// Host and (sometimes) Content-Length outside r.Header: they are read from
// the request itself.
func canonicalHeaders(r *http.Request, signed []string) (string, bool) {
	var b strings.Builder
	for _, name := range signed {
		var vals []string
		switch name {
		case "host":
			vals = []string{r.Host}
		case "content-length":
			vals = r.Header.Values("Content-Length")
			if len(vals) == 0 && r.ContentLength >= 0 {
				vals = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		default:
			vals = r.Header.Values(name)
		}
		if len(vals) == 0 {
			return "", false
		}
		clean := make([]string, len(vals)) // vals may be r.Header's own slice
		for i, v := range vals {
			clean[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strings.Join(clean, ","))
		b.WriteByte('\n')
	}
	return b.String(), true
}
