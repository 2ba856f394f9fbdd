package httpcache

import (
	"strconv"
	"strings"
	"time"
)

// String formats d as a Cache-Control field value in a fixed order, for logs and debugging.
// Parsing the result gives d back, except for the Bad* flags, which have no wire form.
func (d Directives) String() string {
	var b []byte
	word := func(name string, on bool) {
		if on {
			b = appendDirective(b, name)
		}
	}
	delta := func(name string, v time.Duration, on bool) {
		if on {
			b = appendDirective(b, name)
			b = append(b, '=')
			b = strconv.AppendInt(b, int64(v/time.Second), 10)
		}
	}
	fields := func(name string, names []string) {
		if len(names) > 0 {
			b = appendDirective(b, name)
			b = append(b, `="`...)
			b = append(b, strings.Join(names, ", ")...)
			b = append(b, '"')
		}
	}
	word(dirPublic, d.Public)
	word(dirPrivate, d.Private)
	fields(dirPrivate, d.PrivateFields)
	word(dirNoCache, d.NoCache)
	fields(dirNoCache, d.NoCacheFields)
	word(dirNoStore, d.NoStore)
	word(dirMustRevalidate, d.MustRevalidate)
	word(dirProxyRevalidate, d.ProxyRevalidate)
	word(dirMustUnderstand, d.MustUnderstand)
	word(dirImmutable, d.Immutable)
	delta(dirMaxAge, d.MaxAge, d.HasMaxAge)
	delta(dirSMaxAge, d.SMaxAge, d.HasSMaxAge)
	delta(dirSWR, d.StaleWhileRevalidate, d.HasSWR)
	delta(dirSIE, d.StaleIfError, d.HasSIE)
	return string(b)
}

// appendDirective appends name to a comma-separated list.
func appendDirective(b []byte, name string) []byte {
	if len(b) > 0 {
		b = append(b, ", "...)
	}
	return append(b, name...)
}
