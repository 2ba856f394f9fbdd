package model

import "strings"

// Pattern is a compiled CloudFront path pattern: `*` matches any run of
// characters (slashes included), `?` exactly one; matching is case-sensitive
// and a leading `/` is optional on both sides.
type Pattern struct {
	raw    string
	kind   uint8
	lit    string // for exact and prefix kinds
	suffix string // for prefixSuffix kind
}

const (
	patAll uint8 = iota
	patExact
	patPrefix
	patPrefixSuffix // "/a/*.jpg"
	patGlob
)

// CompilePattern compiles a path pattern. It does not validate characters;
// ValidatePathPattern does.
func CompilePattern(p string) Pattern {
	if p == "" || p == "*" || p == "/*" {
		return Pattern{raw: p, kind: patAll}
	}
	if !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "*") {
		p = "/" + p
	}
	pt := Pattern{raw: p}
	stars := strings.Count(p, "*")
	switch {
	case strings.ContainsRune(p, '?'):
		pt.kind = patGlob
	case stars == 0:
		pt.kind, pt.lit = patExact, p
	case stars == 1 && strings.HasSuffix(p, "*"):
		pt.kind, pt.lit = patPrefix, p[:len(p)-1]
	case stars == 1:
		i := strings.IndexByte(p, '*')
		pt.kind, pt.lit, pt.suffix = patPrefixSuffix, p[:i], p[i+1:]
	default:
		pt.kind = patGlob
	}
	return pt
}

// String returns the pattern as written (with a leading `/` added).
func (p Pattern) String() string { return p.raw }

// Match reports whether path (with its leading `/`, without a query) matches.
func (p Pattern) Match(path string) bool {
	switch p.kind {
	case patAll:
		return true
	case patExact:
		return path == p.lit
	case patPrefix:
		return strings.HasPrefix(path, p.lit)
	case patPrefixSuffix:
		return len(path) >= len(p.lit)+len(p.suffix) &&
			strings.HasPrefix(path, p.lit) && strings.HasSuffix(path, p.suffix)
	}
	return globMatch(p.raw, path)
}

// globMatch is the classic linear-backtracking wildcard match: on a mismatch
// it resumes after the most recent `*`, which is enough because `*` can
// absorb anything, so earlier stars never need to be revisited.
func globMatch(pat, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pat) && (pat[pi] == '?' || pat[pi] == s[si]):
			pi++
			si++
		case pi < len(pat) && pat[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pat) && pat[pi] == '*' {
		pi++
	}
	return pi == len(pat)
}
