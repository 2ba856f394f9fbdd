package model

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		// The default behaviour's pattern matches everything.
		{"", "/", true},
		{"", "/anything/at/all", true},
		{"*", "/", true},
		{"*", "/a/b/c.jpg", true},
		{"*", "", true},
		{"/*", "/x", true},
		{"/*", "x", true},

		// CloudFront's examples: `*` crosses `/`.
		{"images/*.jpg", "/images/a.jpg", true},
		{"images/*.jpg", "/images/a/b.jpg", true},
		{"/images/*.jpg", "/images/a/b/c.jpg", true},
		{"images/*.jpg", "/images/.jpg", true},
		{"images/*.jpg", "/images/a.png", false},
		{"images/*.jpg", "/img/a.jpg", false},
		{"images/*.jpg", "/x/images/a.jpg", false},
		{"*.jpg", "/logo.jpg", true},
		{"*.jpg", "/a/b/logo.jpg", true},
		{"*.jpg", "/logo.jpg.png", false},

		// Case-sensitive.
		{"*.jpg", "/LOGO.JPG", false},
		{"*.JPG", "/LOGO.JPG", true},
		{"/Images/*", "/images/a", false},
		{"/a", "/A", false},

		// `?` is exactly one character.
		{"/a?c", "/abc", true},
		{"/a?c", "/a/c", true},
		{"/a?c", "/ac", false},
		{"/a?c", "/abbc", false},
		{"/a?c", "/abcd", false},
		{"/a?c", "/aBc", true},
		{"/a?c", "/aéc", true}, // one character, two bytes
		{"/??", "/é", false},
		{"/???", "/ab", false},
		{"/???", "/abc", true},
		{"?", "/", false},
		{"?", "/a", true},
		{"*?", "/", false}, // same as "/*?"
		{"*?", "/a", true},
		{"*?*?", "/é", false},
		{"*?*?", "/ab", true},

		// Exact.
		{"/index.html", "/index.html", true},
		{"/index.html", "/index.htm", false},
		{"/index.html", "/index.html/", false},
		{"/index.html", "/x/index.html", false},
		{"/", "/", true},
		{"/", "/a", false},

		// Prefix.
		{"/api/*", "/api/", true},
		{"/api/*", "/api/v1/users", true},
		{"/api/*", "/api", false},
		{"/api/*", "/apiv1", false},
		{"/api*", "/apiv1", true},
		{"/api*", "/api", true},

		// Prefix and suffix (must not overlap).
		{"/a/*.jpg", "/a/x.jpg", true},
		{"/a/*.jpg", "/a/.jpg", true},
		{"/a/*.jpg", "/a.jpg", false},
		{"/ab*ba", "/aba", false},
		{"/ab*ba", "/abba", true},
		{"/a*a", "/a", false},
		{"/a*a", "/aa", true},

		// Many stars.
		{"/*/*/*", "/a/b/c", true},
		{"/*/*/*", "/a/b", false},
		{"/*/*/*", "///", true},
		{"/a*b*c", "/abc", true},
		{"/a*b*c", "/a123b456c", true},
		{"/a*b*c", "/a123b456", false},
		{"/a*b*c", "/acb", false},
		{"*a*b*", "/xxaxxbxx", true},
		{"*a*b*", "/xxbxxaxx", false},
		{"/**", "/", true},
		{"/**x", "/x", true},
		{"**", "/", true},
		{"/a**b", "/ab", true},
		{"/a*?b", "/ab", false},
		{"/a*?b", "/axb", true},
		{"/a?*b", "/axyzb", true},
		{"*/v?/*", "/api/v2/x", true},
		{"*/v?/*", "/api/v10/x", false},
		{"/*.tar.*", "/x.tar.gz", true},
		{"/*.tar.*", "/x.tar", false},
		{"/a*a*a*a*a*b", "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},

		// Stars in the path are plain characters; stars in the pattern
		// are always wildcards, even against a literal `*`.
		{"/*a", "/*ba", true},
		{"/a*", "/a*", true},
		{"/x*y", "/x*zy", true},
		{"/*.jpg", "/*.jpg", true},
		{"/*?", "/*", true},
		{"/?*a", "/**ba", true},
		{"/a/*/b/*", "/a/*/c/b/", true},

		// Other allowed characters are literal.
		{"/$x~y'@:+&\"", "/$x~y'@:+&\"", true},
		{"/a.b", "/aXb", false},
		{"/a+b*", "/aab", false},

		// A leading `/` is optional on the pattern…
		{"images/*", "/images/a", true},
		{"index.html", "/index.html", true},
		{"a?c", "/abc", true},
		{"a*b*c", "/axbxc", true},
		{"?bc", "/abc", true},
		// …and on the path.
		{"/images/*", "images/a", true},
		{"/index.html", "index.html", true},
		{"index.html", "index.html", true},
		{"/a?c", "abc", true},
		{"/a*b*c", "axbxc", true},
		{"/a/*.jpg", "a/x.jpg", true},
		{"*.jpg", "x.jpg", true},
		{"/", "", true},
		{"/a", "", false},
		{"/?", "", false},
	}
	for _, tt := range tests {
		p := CompilePattern(tt.pattern)
		if got := p.Match(tt.path); got != tt.want {
			t.Errorf("CompilePattern(%q).Match(%q) = %v, want %v (kind %d)", tt.pattern, tt.path, got, tt.want, p.kind)
		}
		if got := refMatch(tt.pattern, tt.path); got != tt.want {
			t.Errorf("reference: %q vs %q = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func TestPatternKind(t *testing.T) {
	tests := []struct {
		pattern string
		kind    uint8
		lit     string
		suffix  string
	}{
		{"", patAll, "", ""},
		{"*", patAll, "", ""},
		{"/*", patAll, "", ""},
		{"/a", patExact, "/a", ""},
		{"a", patExact, "/a", ""},
		{"/a/*", patPrefix, "/a/", ""},
		{"a/*", patPrefix, "/a/", ""},
		{"/a/*.jpg", patPrefixSuffix, "/a/", ".jpg"},
		{"*.jpg", patPrefixSuffix, "/", ".jpg"},
		{"*?", patGlob, "", ""},
		{"/a?", patGlob, "", ""},
		{"/*/*", patGlob, "", ""},
		{"**", patGlob, "", ""},
	}
	for _, tt := range tests {
		p := CompilePattern(tt.pattern)
		if p.kind != tt.kind || p.lit != tt.lit || p.suffix != tt.suffix {
			t.Errorf("CompilePattern(%q) = kind %d lit %q suffix %q, want kind %d lit %q suffix %q",
				tt.pattern, p.kind, p.lit, p.suffix, tt.kind, tt.lit, tt.suffix)
		}
	}
}

func TestPatternString(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"*":            "*",
		"/*":           "/*",
		"images/*.jpg": "/images/*.jpg",
		"/a?c":         "/a?c",
		"*.jpg":        "/*.jpg",
		"?":            "/?",
	} {
		if got := CompilePattern(in).String(); got != want {
			t.Errorf("CompilePattern(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestValidatePathPattern(t *testing.T) {
	tests := []struct {
		pattern string
		ok      bool
	}{
		{"", true},
		{"*", true},
		{"/images/*.jpg", true},
		{"images/*.jpg", true},
		{"/a?c", true},
		{"/AZaz09_-.*$/~\"'@:+&", true},
		{"/" + strings.Repeat("a", 254), true},
		{"/" + strings.Repeat("a", 255), false},
		{"/a b", false},
		{"/a%20b", false},
		{"/a#b", false},
		{"/a\\b", false},
		{"/a=b", false},
		{"/a;b", false},
		{"/a,b", false},
		{"/é", false},
		{"/a\nb", false},
		{"/a\x00", false},
		{"/[ab]", false},
		{"/{a}", false},
	}
	for _, tt := range tests {
		err := ValidatePathPattern(tt.pattern)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePathPattern(%q) = %v, want ok=%v", tt.pattern, err, tt.ok)
		}
	}
}

// refMatch is the obviously correct matcher the fuzz target compares
// against: the pattern becomes an anchored regular expression.
func refMatch(pattern, path string) bool {
	re := refRegexp(pattern)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return re.MatchString(path)
}

func refRegexp(pattern string) *regexp.Regexp {
	if pattern == "" {
		pattern = "*"
	}
	if !strings.HasPrefix(pattern, "/") {
		pattern = "/" + pattern
	}
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

func FuzzPatternMatch(f *testing.F) {
	seeds := []struct{ pattern, path string }{
		{"", "/"},
		{"*", "/a"},
		{"images/*.jpg", "/images/a/b.jpg"},
		{"*.jpg", "/LOGO.JPG"},
		{"/a?c", "/abc"},
		{"/index.html", "/index.html"},
		{"/api/*", "/api/v1"},
		{"/a/*.jpg", "/a.jpg"},
		{"/a*b*c", "/a1b2c"},
		{"/*a", "/*ba"},
		{"/a?c", "/aéc"},
		{"a?c", "abc"},
		{"/??", "/\xff\xfe"},
		{"*?*?", "/é"},
	}
	for _, s := range seeds {
		f.Add(s.pattern, s.path)
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		// A regular expression cannot hold invalid UTF-8, and regexp reads
		// an invalid byte in the path as U+FFFD, which would then match a
		// literal U+FFFD in the pattern; real patterns are ASCII anyway.
		if !utf8.ValidString(pattern) || strings.ContainsRune(pattern, utf8.RuneError) {
			t.Skip()
		}
		got := CompilePattern(pattern).Match(path)
		want := refMatch(pattern, path)
		if got != want {
			t.Errorf("CompilePattern(%q).Match(%q) = %v, reference says %v", pattern, path, got, want)
		}
	})
}

func BenchmarkPatternMatch(b *testing.B) {
	benches := []struct {
		name, pattern, path string
	}{
		{"exact", "/index.html", "/index.html"},
		{"prefix", "/static/*", "/static/js/app.0123456789.js"},
		{"prefixSuffix", "/images/*.jpg", "/images/2024/05/holiday/beach.jpg"},
		{"glob", "/images/*/thumbs/*.jpg", "/images/2024/05/holiday/thumbs/beach-0001.jpg"},
		{"globMiss", "/images/*/thumbs/*.jpg", "/images/2024/05/holiday/large/beach-0001.jpg"},
		{"globQuestion", "/v?/*/items/*", "/v2/accounts/12345/items/67890"},
		{"globWorst", "/*a*a*a*a*b", "/" + strings.Repeat("a", 200)},
	}
	for _, bb := range benches {
		p := CompilePattern(bb.pattern)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Match(bb.path)
			}
		})
	}
}
