package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// Directives are the response cache directives this package acts on (RFC 9111 §5.2.2,
// RFC 5861, RFC 8246). A Has* flag tells an absent directive from a zero one.
type Directives struct {
	MaxAge, SMaxAge                            time.Duration
	HasMaxAge, HasSMaxAge                      bool
	NoStore, NoCache, Private, Public          bool
	MustRevalidate, ProxyRevalidate, Immutable bool
	StaleWhileRevalidate, StaleIfError         time.Duration
	HasSWR, HasSIE                             bool
	NoCacheFields, PrivateFields               []string // qualified forms: no-cache="Set-Cookie"

	// MustUnderstand is the must-understand directive (RFC 9111 §5.2.2.3).
	MustUnderstand bool
	// BadMaxAge and BadSMaxAge record a max-age or s-maxage whose argument was not a
	// delta-seconds. The directive is otherwise treated as absent; Decide treats the response as
	// stale, as RFC 9111 §4.2.1 encourages for "invalid freshness information".
	BadMaxAge, BadSMaxAge bool
}

// directive names, compared case-insensitively (RFC 9111 §5.2).
const (
	dirMaxAge          = "max-age"
	dirSMaxAge         = "s-maxage"
	dirNoStore         = "no-store"
	dirNoCache         = "no-cache"
	dirPrivate         = "private"
	dirPublic          = "public"
	dirMustRevalidate  = "must-revalidate"
	dirProxyRevalidate = "proxy-revalidate"
	dirImmutable       = "immutable"
	dirSWR             = "stale-while-revalidate"
	dirSIE             = "stale-if-error"
	dirMustUnderstand  = "must-understand"
)

// ParseCacheControl parses one or more Cache-Control field values (as in
// http.Header["Cache-Control"]); field lines are combined as one list (RFC 9110 §5.3).
//
// The rules, with the sections they come from:
//   - Directive names are case-insensitive; unknown directives are ignored (§5.2, §5.2.3).
//   - A delta-seconds argument is 1*DIGIT (§1.2.2). The quoted form max-age="60" is accepted,
//     because §5.2 says recipients "ought to accept both forms" even though senders must use
//     the token form. A negative, decimal, non-numeric or otherwise malformed argument (or
//     whitespace around "=") makes the directive absent; for max-age and s-maxage the Bad*
//     flag is set so that Decide can treat the response as stale (§4.2.1).
//   - Values past 2^31 seconds saturate at MaxDelta (§1.2.2).
//   - Duplicates (§4.2.1 allows "the first occurrence" or "considered stale"): we take the
//     conservative choice. Repeats with the same value are harmless; conflicting values of a
//     delta-seconds directive collapse to zero, i.e. a stale response and no stale-serving
//     window.
//   - Restrictive directives (no-store, no-cache, private, must-revalidate, proxy-revalidate)
//     count even when written with a stray argument, since §4.2.1 asks for the most
//     restrictive reading when directives conflict; public, immutable and must-understand
//     count only in their proper argument-less form.
//   - no-cache and private with a field-name list (§5.2.2.4, §5.2.2.7) fill NoCacheFields and
//     PrivateFields with canonical header names; an empty or unusable list means the
//     unqualified directive.
func ParseCacheControl(values []string) Directives {
	var d Directives
	for _, line := range values {
		for rest := line; rest != ""; {
			var elem string
			elem, rest = nextElement(rest)
			if elem != "" {
				d.apply(elem)
			}
		}
	}
	return d
}

// apply folds one cache-directive (RFC 9111 §5.2: token [ "=" ( token / quoted-string ) ])
// into d.
func (d *Directives) apply(elem string) {
	n := tokenPrefix(elem)
	if n == 0 {
		return
	}
	name, arg, hasArg, ok := elem[:n], "", false, true
	if rest := elem[n:]; rest != "" {
		hasArg = true
		arg, ok = directiveArgument(rest)
	}
	switch directiveOf(name) {
	case dirMaxAge:
		d.MaxAge, d.HasMaxAge, d.BadMaxAge = foldDelta(d.MaxAge, d.HasMaxAge, d.BadMaxAge, arg, hasArg && ok)
	case dirSMaxAge:
		d.SMaxAge, d.HasSMaxAge, d.BadSMaxAge = foldDelta(d.SMaxAge, d.HasSMaxAge, d.BadSMaxAge, arg, hasArg && ok)
	case dirSWR:
		d.StaleWhileRevalidate, d.HasSWR, _ = foldDelta(d.StaleWhileRevalidate, d.HasSWR, false, arg, hasArg && ok)
	case dirSIE:
		d.StaleIfError, d.HasSIE, _ = foldDelta(d.StaleIfError, d.HasSIE, false, arg, hasArg && ok)
	case dirNoStore:
		d.NoStore = true
	case dirMustRevalidate:
		d.MustRevalidate = true
	case dirProxyRevalidate:
		d.ProxyRevalidate = true
	case dirNoCache:
		if fields := fieldNames(arg, hasArg && ok); fields != nil {
			d.NoCacheFields = append(d.NoCacheFields, fields...)
		} else {
			d.NoCache = true
		}
	case dirPrivate:
		if fields := fieldNames(arg, hasArg && ok); fields != nil {
			d.PrivateFields = append(d.PrivateFields, fields...)
		} else {
			d.Private = true
		}
	case dirPublic:
		d.Public = d.Public || !hasArg
	case dirImmutable:
		d.Immutable = d.Immutable || !hasArg
	case dirMustUnderstand:
		d.MustUnderstand = d.MustUnderstand || !hasArg
	}
}

// directiveOf returns the lower-case name of a known directive, matched case-insensitively
// (RFC 9111 §5.2), or "" for an unknown one. Switching on the length first keeps this to one
// comparison for most names.
func directiveOf(name string) string {
	var candidates [3]string
	switch len(name) {
	case 6:
		candidates[0] = dirPublic
	case 7:
		candidates[0], candidates[1] = dirMaxAge, dirPrivate
	case 8:
		candidates[0], candidates[1], candidates[2] = dirSMaxAge, dirNoStore, dirNoCache
	case 9:
		candidates[0] = dirImmutable
	case 14:
		candidates[0] = dirSIE
	case 15:
		candidates[0], candidates[1] = dirMustRevalidate, dirMustUnderstand
	case 16:
		candidates[0] = dirProxyRevalidate
	case 22:
		candidates[0] = dirSWR
	}
	for _, c := range candidates {
		if c != "" && strings.EqualFold(name, c) {
			return c
		}
	}
	return ""
}

// directiveArgument decodes the text after a directive name, which must be "=" followed
// directly by a token or a quoted-string (RFC 9111 §5.2). "max-age =60" and "max-age= 60"
// are malformed.
func directiveArgument(rest string) (string, bool) {
	if rest[0] != '=' {
		return "", false
	}
	v := rest[1:]
	if len(v) > 0 && v[0] == '"' {
		return unquote(v)
	}
	return v, isToken(v)
}

// foldDelta merges one occurrence of a delta-seconds directive into the value seen so far,
// returning the new value, presence and badness. Conflicting repeats collapse to zero
// (RFC 9111 §4.2.1: "considered stale").
func foldDelta(cur time.Duration, has, bad bool, arg string, argOK bool) (time.Duration, bool, bool) {
	v, ok := parseDeltaSeconds(arg)
	if !argOK || !ok {
		return cur, has, true
	}
	if has && cur != v {
		return 0, true, bad
	}
	return v, true, bad
}

// fieldNames splits the argument of a qualified no-cache or private (RFC 9111 §5.2.2.4,
// §5.2.2.7) into canonical header names. It returns nil when there is no usable name, so the
// caller falls back to the unqualified, stricter meaning.
func fieldNames(arg string, ok bool) []string {
	if !ok {
		return nil
	}
	var out []string
	for rest := arg; rest != ""; {
		var name string
		name, rest = nextElement(rest)
		if isToken(name) {
			out = append(out, http.CanonicalHeaderKey(name))
		}
	}
	return out
}
