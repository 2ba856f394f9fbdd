package httpcache

import "net/http"

// headerValues returns h's values for a field name in any letter case, without allocating:
// http.Header keys are canonical, and canonicalising a short name happens in a stack buffer
// (the compiler does not copy a []byte converted to string just to index a map).
func headerValues(h http.Header, name string) []string {
	if v, ok := h[name]; ok {
		return v
	}
	var buf [64]byte
	if len(name) > len(buf) {
		return h[http.CanonicalHeaderKey(name)]
	}
	b := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isTchar(c) {
			return nil // net/textproto leaves such a name as is, and that lookup already failed
		}
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	return h[string(b)]
}
