package signedurl

import "testing"

func TestMatchResource(t *testing.T) {
	const u = "https://d1.example/v/clip.mp4"
	cases := []struct {
		pattern string
		url     string // scheme://host/path?query
		want    bool
	}{
		{"*", "http://any.example/x?y=1", true},
		{u, u, true},
		{u, u + "?a=1", false}, // the query is part of the resource
		{u, "http://d1.example/v/clip.mp4", false},
		{"HTTPS://D1.EXAMPLE/v/clip.mp4", u, true},
		{"https://d1.example/V/clip.mp4", u, false}, // paths keep their case
		{"*://d1.example/v/clip.mp4", "http://d1.example/v/clip.mp4", true},
		{"http*://d1.example/v/*", u, true},
		{"https://d1.example/v/clip.mp?", u, true},
		{"https://d1.example/v/clip.m?", u, false},
		{"https://d1.example/v/*", u + "?a=1", true}, // trailing * covers the query
		{"https://d1.example/v/*.mp4", u, true},
		{"https://d1.example/v/*.mp4", "https://d1.example/v/secret.txt?.mp4", false},
		{"https://d1.example/*game_download.zip*", "https://d1.example/example_game_download.zip?license=yes", true},
		{"https://d1.example/v/clip.mp4?a=1", u + "?a=1", true}, // SDK style: the query after a plain '?'
		{"https://d1.example/v/clip.mp4?a=1", u + "?a=2", false},
		{`https://d1.example/v/clip.mp4\?a=*`, u + "?a=2&b=3", true},
		{`https://d1.example/v/clip.mp4\?a=*`, u, false},
		{`https://d1.example/v/*\?`, u, true},
		{`https://d1.example/v/*\?`, u + "?a=1", false},
		{"https://*.example/v/clip.mp4", u, true},
		{"https://*.example/v/clip.mp4", "https://evil.test/x.example/v/clip.mp4", false},
		{"https://d1.example*", u + "?q=1", true}, // trailing * in the domain: any path
		{"https://d1.example*", "https://d1.example:8443/x", true},
		{"https://d1.example", "https://d1.example/", true},
		{"https://d1.example", u, false},
		{"*.example/v/*", "http://d1.example/v/a", true}, // leading *: any protocol
		{"d1.example/v/*", "http://d1.example/v/a", false},
		{`https://d1.example/v/a\*b`, "https://d1.example/v/a*b", true},
		{`https://d1.example/v/a\*b`, "https://d1.example/v/axb", false},
		{"https://d1.example/v/**", u, true},
	}
	for _, c := range cases {
		scheme, rest, _ := cut(c.url, "://")
		host, pq, _ := cut(rest, "/")
		path, query, _ := cut("/"+pq, "?")
		if got := MatchResource(c.pattern, scheme, host, path, query); got != c.want {
			t.Errorf("MatchResource(%q, %q) = %v, want %v", c.pattern, c.url, got, c.want)
		}
	}
}

func cut(s, sep string) (string, string, bool) {
	for i := 0; i+len(sep) <= len(s); i++ {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}
