package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// Targeted cache-control fields (RFC 9213), in the order this cache looks for them: its own
// field first, then the one aimed at every CDN. Canonical forms, as keys of http.Header.
const (
	FieldPharosCDNCacheControl = "Pharos-Cdn-Cache-Control"
	FieldCDNCacheControl       = "Cdn-Cache-Control"
	FieldCacheControl          = "Cache-Control"
)

// EffectiveDirectives returns the cache directives that govern h for this cache and the field
// they came from. RFC 9213 §2.1: the cache "MUST select the first (in target list order) field
// with a valid, non-empty value ... and it MUST ignore the Cache-Control and Expires header
// fields in that response", falling back to Cache-Control when no targeted field is usable.
//
// A targeted field is usable when it parses as a non-empty Structured Field Dictionary
// (RFC 9213 §2.2) and every directive this package knows has a value of the right type
// (RFC 9213 §2.1: implementations "SHOULD NOT consume values that violate these inferred
// constraints"; a wrongly typed max-age="60" makes the field as unusable as a syntax error
// would). A field holding only unknown directives, such as "CDN-Cache-Control: none", is
// usable and so still overrides Cache-Control (RFC 9213 §3.1's own example).
func EffectiveDirectives(h http.Header) (Directives, string) {
	for _, name := range [...]string{FieldPharosCDNCacheControl, FieldCDNCacheControl} {
		if v := h[name]; len(v) > 0 {
			if d, ok := parseTargeted(v); ok {
				return d, name
			}
		}
	}
	return ParseCacheControl(h[FieldCacheControl]), FieldCacheControl
}

// parseTargeted reads a targeted field's lines (combined with commas, RFC 8941 §4.2) into
// Directives. In a targeted field max-age is the lifetime for the targeted cache; s-maxage has
// no special meaning there and is ignored like any unknown directive.
func parseTargeted(values []string) (Directives, bool) {
	s := values[0]
	if len(values) > 1 {
		s = strings.Join(values, ",")
	}
	var d Directives
	n, ok := parseSFDictionary(s, func(key string, v sfValue) bool {
		switch key {
		case dirMaxAge:
			return targetedDelta(v, &d.MaxAge, &d.HasMaxAge)
		case dirSWR:
			return targetedDelta(v, &d.StaleWhileRevalidate, &d.HasSWR)
		case dirSIE:
			return targetedDelta(v, &d.StaleIfError, &d.HasSIE)
		case dirNoStore:
			return targetedFlag(v, &d.NoStore)
		case dirPublic:
			return targetedFlag(v, &d.Public)
		case dirMustRevalidate:
			return targetedFlag(v, &d.MustRevalidate)
		case dirProxyRevalidate:
			return targetedFlag(v, &d.ProxyRevalidate)
		case dirImmutable:
			return targetedFlag(v, &d.Immutable)
		case dirMustUnderstand:
			return targetedFlag(v, &d.MustUnderstand)
		case dirNoCache:
			return targetedQualified(v, &d.NoCache, &d.NoCacheFields)
		case dirPrivate:
			return targetedQualified(v, &d.Private, &d.PrivateFields)
		}
		return true // unknown directives are ignored (RFC 9111 §5.2.3)
	})
	return d, ok && n > 0
}

// targetedDelta accepts a non-negative Integer, saturating at 2^31 seconds (RFC 9111 §1.2.2).
// The last occurrence wins, as for any Dictionary key.
func targetedDelta(v sfValue, dst *time.Duration, has *bool) bool {
	if v.kind != sfInteger || v.num < 0 {
		return false
	}
	*dst, *has = secondsDuration(v.num), true
	return true
}

// targetedFlag accepts a Boolean; "no-store=?0" switches the directive off.
func targetedFlag(v sfValue, dst *bool) bool {
	if v.kind != sfBoolean {
		return false
	}
	*dst = v.boolean
	return true
}

// targetedQualified accepts a Boolean (the unqualified directive), or field names given as a
// String holding a comma-separated list, a Token, or an Inner List of Strings and Tokens.
func targetedQualified(v sfValue, flag *bool, fields *[]string) bool {
	*flag, *fields = false, nil
	switch v.kind {
	case sfBoolean:
		*flag = v.boolean
		return true
	case sfString, sfToken:
		*fields = fieldNames(v.str, true)
	case sfInnerList:
		for _, item := range v.list {
			if item.kind != sfString && item.kind != sfToken {
				return false
			}
			*fields = append(*fields, fieldNames(item.str, true)...)
		}
	default:
		return false
	}
	*flag = len(*fields) == 0 // an empty list means the stricter, unqualified directive
	return true
}
