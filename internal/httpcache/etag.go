package httpcache

// entityTag is a parsed entity-tag (RFC 9110 §8.8.3): an optional weakness flag and an
// opaque-tag, kept with its quotes.
type entityTag struct {
	weak   bool
	opaque string
}

// strongMatch is strong comparison (RFC 9110 §8.8.3.2): both strong and identical.
func (a entityTag) strongMatch(b entityTag) bool {
	return !a.weak && !b.weak && a.opaque == b.opaque
}

// weakMatch is weak comparison: identical opaque-tags, weak or not.
func (a entityTag) weakMatch(b entityTag) bool {
	return a.opaque == b.opaque
}

// parseEntityTag reads one entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE at the start of s and
// returns the rest of s. etagc is %x21 / %x23-7E / obs-text: anything visible but DQUOTE,
// including commas, so lists must be split by this parser and not on commas.
func parseEntityTag(s string) (entityTag, string, bool) {
	var t entityTag
	if len(s) >= 2 && s[0] == 'W' && s[1] == '/' {
		t.weak, s = true, s[2:]
	}
	if len(s) < 2 || s[0] != '"' {
		return t, s, false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			t.opaque = s[:i+1]
			return t, s[i+1:], true
		case c < 0x21 || c == 0x7F:
			return t, s, false
		}
	}
	return t, s, false
}

// storedETag parses a stored response's ETag field; ok is false when it is missing or invalid.
func storedETag(values []string) (entityTag, bool) {
	if len(values) == 0 {
		return entityTag{}, false
	}
	t, rest, ok := parseEntityTag(trimOWS(values[0]))
	return t, ok && rest == ""
}

// etagListMatches evaluates an If-Match or If-None-Match field (RFC 9110 §13.1.1, §13.1.2)
// against the current entity-tag: "*" matches any current representation, otherwise any
// listed tag that matches under the given comparison. A malformed member ends the reading of
// its line; what was read before it still counts.
func etagListMatches(lines []string, current entityTag, hasCurrent bool, match func(a, b entityTag) bool) bool {
	for _, line := range lines {
		if trimOWS(line) == "*" {
			return true
		}
		for rest := line; ; {
			rest = trimListSeparators(rest)
			if rest == "" {
				break
			}
			t, after, ok := parseEntityTag(rest)
			if !ok {
				break
			}
			if hasCurrent && match(t, current) {
				return true
			}
			rest = after
		}
	}
	return false
}

// trimListSeparators skips whitespace and commas between list members (RFC 9110 §5.6.1).
func trimListSeparators(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == ',') {
		s = s[1:]
	}
	return s
}
