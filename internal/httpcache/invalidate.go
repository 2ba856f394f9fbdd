package httpcache

import (
	"net/http"
	"net/url"
	"strings"
)

// InvalidatesOnUnsafe reports whether a response to method with status invalidates the stored
// responses for the target URI (RFC 9111 §4.4): "A cache MUST invalidate the target URI ...
// when it receives a non-error status code in response to an unsafe request method (including
// methods whose safety is unknown)". Non-error means 2xx or 3xx; the safe methods are GET,
// HEAD, OPTIONS and TRACE (RFC 9110 §9.2.1). Method names are case-sensitive, so "get" is an
// unknown, hence unsafe, method.
func InvalidatesOnUnsafe(method string, status int) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return status >= 200 && status < 400
}

// InvalidationTargets returns the further URIs, as path plus query, that a response to an
// unsafe request to host invalidates: those in its Location and Content-Location fields
// (RFC 9111 §4.4: the cache "MAY invalidate" them, but "MUST NOT ... if the host part of that
// URI differs from the host part in the target URI"). Absolute URIs count only with an http or
// https scheme and the same host (ports aside, as §4.4 speaks of the host part); relative
// references count only as absolute paths ("/a?b"), since resolving "a/b" needs the request
// path. Fragments are dropped and duplicates removed.
func InvalidationTargets(host string, h http.Header) []string {
	var out []string
	for _, name := range [...]string{"Location", "Content-Location"} {
		for _, v := range h[name] {
			if t, ok := sameHostTarget(host, trimOWS(v)); ok && !contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// sameHostTarget returns the path and query of ref when it names a resource on host.
func sameHostTarget(host, ref string) (string, bool) {
	u, err := url.Parse(ref)
	if err != nil || u.Opaque != "" {
		return "", false
	}
	switch {
	case u.Scheme != "" || u.Host != "":
		if (u.Scheme != "" && u.Scheme != "http" && u.Scheme != "https") ||
			!strings.EqualFold(u.Hostname(), hostname(host)) {
			return "", false
		}
	case !strings.HasPrefix(u.Path, "/"):
		return "", false
	}
	target := u.EscapedPath()
	if target == "" {
		target = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		target += "?" + u.RawQuery
	}
	return target, true
}

// hostname strips a port from a Host value ("example.com:8080", "[::1]:443").
func hostname(host string) string {
	return (&url.URL{Host: host}).Hostname()
}
