package model

import (
	"strings"
	"unicode/utf8"
)

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
	// Always add the slash, also before a leading `*`: "*?" must not
	// match "/" when "/*?" does not.
	if !strings.HasPrefix(p, "/") {
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

// Match reports whether path (without a query) matches. A path without a
// leading `/` is treated as if it had one.
func (p Pattern) Match(path string) bool {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
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
//
// A `*` in the pattern is always a wildcard, even where the path has a
// literal `*`. `?` and `*` consume whole UTF-8 characters (an invalid byte
// counts as one character), so `?` matches "é" just as it matches "e".
func globMatch(pat, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pat) && pat[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pat) && pat[pi] == '?':
			pi++
			si += runeLen(s[si:])
		case pi < len(pat) && pat[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			pi = star + 1
			mark += runeLen(s[mark:])
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

// runeLen is the length in bytes of the character s starts with: 1 for
// ASCII and for a byte that does not start valid UTF-8.
func runeLen(s string) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s)
	return n
}
