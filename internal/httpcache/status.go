package httpcache

import (
	"strconv"
	"time"
)

// CacheStatus is one cache's entry in a Cache-Status field (RFC 9211).
type CacheStatus struct {
	Hit       bool
	Fwd       string // "uri-miss", "vary-miss", "miss", "stale", "request", "bypass" (§2.2)
	FwdStatus int
	Stored    bool
	Collapsed bool
	TTL       time.Duration
	HasTTL    bool
	Detail    string

	// Name identifies the cache (§2); "pharos" when empty.
	Name string
}

// Parameter names (RFC 9211 §2.1–§2.8).
const (
	csHit       = "hit"
	csFwd       = "fwd"
	csFwdStatus = "fwd-status"
	csTTL       = "ttl"
	csStored    = "stored"
	csCollapsed = "collapsed"
	csDetail    = "detail"
)

// AppendCacheStatus appends one Cache-Status list member to dst, such as `pharos; hit; ttl=12`
// or `pharos; fwd=uri-miss; fwd-status=200; stored`. The field is a Structured Field List
// (RFC 9211 §2): the cache's name is a Token, then parameters; boolean parameters appear bare
// when true and are left out when false. ttl is whole seconds, rounded down so that a
// response stale by half a second shows ttl=-1 (§2.5 allows negative values for stale
// responses). fwd is written only when it is a valid Token; detail as a Token when it is one,
// else as a String with anything unprintable dropped (§2.8 allows both).
func AppendCacheStatus(dst []byte, cs CacheStatus) []byte {
	name := cs.Name
	if name == "" || !isSFToken(name) {
		name = "pharos"
	}
	dst = append(dst, name...)
	if cs.Hit {
		dst = append(dst, "; "+csHit...)
	}
	if cs.Fwd != "" && isSFToken(cs.Fwd) {
		dst = append(dst, "; "+csFwd+"="...)
		dst = append(dst, cs.Fwd...)
	}
	if cs.FwdStatus > 0 {
		dst = append(dst, "; "+csFwdStatus+"="...)
		dst = strconv.AppendInt(dst, int64(cs.FwdStatus), 10)
	}
	if cs.Stored {
		dst = append(dst, "; "+csStored...)
	}
	if cs.Collapsed {
		dst = append(dst, "; "+csCollapsed...)
	}
	if cs.HasTTL {
		dst = append(dst, "; "+csTTL+"="...)
		dst = strconv.AppendInt(dst, floorSeconds(cs.TTL), 10)
	}
	if cs.Detail != "" {
		dst = append(dst, "; "+csDetail+"="...)
		dst = appendSFTokenOrString(dst, cs.Detail)
	}
	return dst
}

// floorSeconds converts d to whole seconds, rounding towards negative infinity.
func floorSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d < 0 && d%time.Second != 0 {
		s--
	}
	return s
}

// isSFToken reports whether s is a Structured Field Token (RFC 8941 §3.3.4).
func isSFToken(s string) bool {
	if s == "" || !(isAlpha(s[0]) || s[0] == '*') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isTchar(c) && c != ':' && c != '/' {
			return false
		}
	}
	return true
}

// appendSFTokenOrString appends s as a Token when it is one, else as a String (RFC 8941
// §4.1.6), escaping DQUOTE and backslash and dropping what a String cannot hold.
func appendSFTokenOrString(dst []byte, s string) []byte {
	if isSFToken(s) {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c >= 0x20 && c <= 0x7E:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
