package signedurl

import "strings"

// MatchResource reports whether a custom policy's Resource grants the URL
// scheme://host path?query (query without the signing parameters; "" when
// there is none). CloudFront matches section by section — protocol,
// domain, path, query — with '*' for any run of characters and '?' for
// exactly one, and a few implied tails (CLOUDFRONT.md §3.3):
//
//   - "*" alone matches every URL;
//   - a resource that starts with '*' and has no "://" matches any protocol;
//   - a trailing '*' in the domain (no path) matches any path and query;
//   - the path and query are split at an escaped "\?". Without one, a
//     trailing '*' in the path also matches any query; other '*'s never
//     reach past the path into the query, so a grant for "/v/*.mp4" does
//     not open "/v/secret?.mp4". A '?' may stand for the '?' that starts
//     the query, which is how the AWS SDKs and CLI write a URL's own
//     query into Resource.
//
// A backslash makes the next character literal. Protocol and domain are
// compared without regard to case.
func MatchResource(pattern, scheme, host, path, query string) bool {
	if pattern == "*" {
		return true
	}
	proto, rest, ok := strings.Cut(pattern, "://")
	if !ok {
		if !strings.HasPrefix(pattern, "*") {
			return false
		}
		proto, rest = "*", pattern
	}
	if !globFold(proto, scheme) {
		return false
	}
	domain, pathPat := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		domain, pathPat = rest[:i], rest[i:]
	}
	if !globFold(domain, host) {
		return false
	}
	if pathPat == "" {
		if strings.HasSuffix(domain, "*") {
			return true
		}
		pathPat = "/"
	}
	if pp, qp, split := strings.Cut(pathPat, `\?`); split {
		return glob(compile(pp), path, -1, false) && glob(compile(qp), query, -1, false)
	}
	toks := compile(pathPat)
	if query == "" {
		return glob(toks, path, -1, false)
	}
	trailing := len(toks) > 0 && toks[len(toks)-1].kind == tokStar
	return glob(toks, path+"?"+query, len(path), trailing)
}

type tokKind uint8

const (
	tokLit tokKind = iota
	tokOne
	tokStar
)

type tok struct {
	kind tokKind
	c    byte
}

func compile(p string) []tok {
	toks := make([]tok, 0, len(p))
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			i++
			toks = append(toks, tok{kind: tokLit, c: p[i]})
		case c == '*':
			if n := len(toks); n > 0 && toks[n-1].kind == tokStar {
				continue // "**" is "*"
			}
			toks = append(toks, tok{kind: tokStar})
		case c == '?':
			toks = append(toks, tok{kind: tokOne})
		default:
			toks = append(toks, tok{kind: tokLit, c: c})
		}
	}
	return toks
}

func globFold(pattern, s string) bool {
	return glob(compile(strings.ToLower(pattern)), strings.ToLower(s), -1, false)
}

// glob matches s against toks. A '*' may not consume s[barrier] (the '?'
// that starts a query), except the last token when tailFree. It runs in
// O(len(toks)·len(s)) whatever the pattern, so no resource can make it
// backtrack without end.
func glob(toks []tok, s string, barrier int, tailFree bool) bool {
	prev := make([]bool, len(s)+1)
	cur := make([]bool, len(s)+1)
	prev[0] = true
	for ti, t := range toks {
		free := tailFree && ti == len(toks)-1
		cur[0] = t.kind == tokStar && prev[0]
		for j := 1; j <= len(s); j++ {
			switch t.kind {
			case tokLit:
				cur[j] = prev[j-1] && s[j-1] == t.c
			case tokOne:
				cur[j] = prev[j-1]
			case tokStar:
				cur[j] = prev[j] || (cur[j-1] && (j-1 != barrier || free))
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(s)]
}
