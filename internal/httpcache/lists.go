package httpcache

import "strings"

// trimOWS removes optional whitespace (SP and HTAB, RFC 9110 §5.6.3) from both ends of s.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// nextElement splits the first element off a comma-separated list (RFC 9110 §5.6.1) and
// returns it trimmed, with the rest of the list. Commas inside a quoted-string are data, not
// separators (RFC 9111 §5.2 conformance: `extension="max-age=3600"` is not a max-age); an
// unterminated quote swallows the rest of the list so that its content is never read as
// directives.
func nextElement(s string) (elem, rest string) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			return trimOWS(s[:i]), s[i+1:]
		}
	}
	return trimOWS(s), ""
}

// isTchar reports whether c may appear in a token (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// isToken reports whether s is a non-empty token (RFC 9110 §5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

// tokenPrefix returns the length of the longest token at the start of s.
func tokenPrefix(s string) int {
	i := 0
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	return i
}

// unquote decodes a quoted-string (RFC 9110 §5.6.4) that must span all of s. It allocates only
// when s holds a quoted-pair.
func unquote(s string) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", false
	}
	body := s[1 : len(s)-1]
	if strings.IndexByte(body, '\\') < 0 {
		for i := 0; i < len(body); i++ {
			if !isQdtext(body[i]) {
				return "", false
			}
		}
		return body, true
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '\\' {
			i++
			if i == len(body) || !isQuotedPairChar(body[i]) {
				return "", false
			}
			b.WriteByte(body[i])
			continue
		}
		if !isQdtext(c) {
			return "", false
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// isQdtext reports whether c is qdtext (RFC 9110 §5.6.4): anything printable but DQUOTE and
// backslash, plus HTAB, SP and obs-text.
func isQdtext(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || (0x23 <= c && c <= 0x5B) || (0x5D <= c && c <= 0x7E) || c >= 0x80
}

// isQuotedPairChar reports whether c may follow a backslash in a quoted-pair (RFC 9110 §5.6.4).
func isQuotedPairChar(c byte) bool {
	return c == '\t' || c == ' ' || (0x21 <= c && c <= 0x7E) || c >= 0x80
}
