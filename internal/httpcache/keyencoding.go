package httpcache

import "strings"

// Cache keys are byte strings of parts, each ended by partEnd. Part contents are escaped so
// that they never hold a bare partEnd, which makes the encoding unambiguous (two different
// requests cannot produce the same key) whatever bytes a lenient parser lets through. Inputs
// without 0x00 and 0x01, which is every valid HTTP request, are copied unchanged, so keys stay
// readable and a path prefix is a key prefix (for invalidation by "/images/*").
const (
	partEnd    = 0x00 // ends a part
	escapeByte = 0x01 // escapeByte+'0' stands for 0x00, escapeByte+'1' for 0x01
	absentMark = 0x01 // a part that is a lone escapeByte marks an absent field
)

// appendEscaped appends s with 0x00 and 0x01 escaped.
func appendEscaped(dst []byte, s string) []byte {
	if strings.IndexByte(s, partEnd) < 0 && strings.IndexByte(s, escapeByte) < 0 {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case partEnd, escapeByte:
			dst = append(dst, escapeByte, '0'+c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendEscapedLower is appendEscaped with ASCII letters lower-cased (host names are
// case-insensitive, RFC 3986 §3.2.2).
func appendEscapedLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == partEnd || c == escapeByte:
			dst = append(dst, escapeByte, '0'+c)
		case 'A' <= c && c <= 'Z':
			dst = append(dst, c+'a'-'A')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
