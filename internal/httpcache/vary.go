package httpcache

import (
	"net/http"
	"slices"
	"strings"
)

// VaryFields returns the field names listed by the response's Vary header (RFC 9111 §4.1),
// lower-cased, sorted and without duplicates, so equal lists compare equal however the
// origin spelled them. star is true when a member is "*": such a response "always fails to
// match" a later request, and fields is then nil.
func VaryFields(h http.Header) (fields []string, star bool) {
	for _, line := range h["Vary"] {
		for rest := line; rest != ""; {
			var name string
			name, rest = nextElement(rest)
			switch {
			case name == "":
			case name == "*":
				return nil, true
			default:
				fields = append(fields, strings.ToLower(name))
			}
		}
	}
	slices.Sort(fields)
	return slices.Compact(fields), false
}

// AppendVaryKey appends to dst a secondary cache key built from the request's values of fields
// (as returned by VaryFields). Two requests get the same key exactly when RFC 9111 §4.1 lets a
// stored response chosen by one serve the other, up to the normalisations it allows:
// whitespace around list commas is dropped, empty list members are dropped, and several field
// lines are combined with ", ". A field that is absent differs from one present with an empty
// value. Values are otherwise compared byte for byte (case-sensitive), which never matches
// requests that should differ. It does not allocate when dst has room.
func AppendVaryKey(dst []byte, fields []string, req http.Header) []byte {
	for _, name := range fields {
		dst = appendEscaped(dst, name)
		dst = append(dst, partEnd)
		values := headerValues(req, name)
		if len(values) == 0 {
			dst = append(dst, absentMark, partEnd)
			continue
		}
		first := true
		for _, line := range values {
			for rest := line; rest != ""; {
				var elem string
				elem, rest = nextElement(rest)
				if elem == "" {
					continue
				}
				if !first {
					dst = append(dst, ", "...)
				}
				first = false
				dst = appendEscaped(dst, elem)
			}
		}
		dst = append(dst, partEnd)
	}
	return dst
}
