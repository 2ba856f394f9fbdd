package model

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// OriginFromURL makes an origin from a URL such as http://127.0.0.1:3000 or
// https://example.com/prefix (the path becomes the origin path).
func OriginFromURL(raw string) (Origin, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Origin{}, fmt.Errorf("origin %q: %w", raw, err)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Origin{}, fmt.Errorf("origin %q: want http://host[:port][/path] or https://…", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return Origin{}, fmt.Errorf("origin %q: no query, fragment or user info allowed", raw)
	}
	o := Origin{ID: "origin-1", DomainName: u.Hostname(), OriginPath: strings.TrimRight(u.EscapedPath(), "/")}
	port := 0
	if p := u.Port(); p != "" {
		// Port 0 would silently become the default port.
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return Origin{}, fmt.Errorf("origin %q: bad port", raw)
		}
	}
	if u.Scheme == "https" {
		o.Protocol, o.HTTPSPort = "https-only", port
	} else {
		o.Protocol, o.HTTPPort = "http-only", port
	}
	return o, nil
}
