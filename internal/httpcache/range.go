package httpcache

import (
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Range requests (RFC 9110 §14). Pharos answers a GET with one byte range, or ignores the
// Range header field and sends the whole representation, which §14.2 always allows ("A server
// MAY ignore the Range header field"). It does not produce multipart/byteranges, so a request
// for several ranges is answered in full, as CloudFront answers a Range it cannot use.

// ByteRange is an inclusive range of a representation's bytes.
type ByteRange struct{ Start, End int64 } // End inclusive

// Length is the number of bytes in r.
func (r ByteRange) Length() int64 { return r.End - r.Start + 1 }

// ContentRange formats "bytes START-END/SIZE" (RFC 9110 §14.4 range-resp with a complete-length).
func (r ByteRange) ContentRange(size int64) string {
	b := make([]byte, 0, 6+3*20)
	b = append(b, "bytes "...)
	b = strconv.AppendInt(b, r.Start, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, r.End, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, size, 10)
	return string(b)
}

// UnsatisfiedContentRange formats "bytes */SIZE", the Content-Range of a 416 (Range Not
// Satisfiable) response (RFC 9110 §14.4 unsatisfied-range, §15.5.17).
func UnsatisfiedContentRange(size int64) string {
	return "bytes */" + strconv.FormatInt(size, 10)
}

// RangeResult says how to answer a request's Range.
type RangeResult int

const (
	RangeNone          RangeResult = iota // no Range, or one to ignore: serve 200 with the whole body
	RangeOK                               // serve 206 with Ranges (exactly one range today)
	RangeUnsatisfiable                    // serve 416 with UnsatisfiedContentRange
)

// EvaluateRange decides how to answer a GET with the request's Range (RFC 9110 §14.1.2, §14.2)
// for a representation of size bytes:
//
//   - "a-b", "a-" and "-n" are served (RangeOK): End is clamped to size-1 and a suffix longer
//     than the representation means all of it (§14.1.2). "0-" is served as 206 too.
//   - A valid single range that does not overlap the representation (first-pos >= size, or the
//     suffix "-0") is RangeUnsatisfiable (§14.1.1, §15.5.17).
//   - Everything else is RangeNone, and the whole representation is sent: no Range, a method
//     other than GET (§14.2: "A server MUST ignore a Range header field received with a request
//     method that is unrecognized or for which range handling is not defined"; HEAD is not
//     GET), a unit other than bytes (§14.2), a syntax error (§14.1.1; last-pos < first-pos is
//     one), several range-specs (Pharos does not produce multipart/byteranges), several Range
//     field lines, an unknown (negative) size, and a non-zero suffix on an empty representation,
//     which §14.1.2 counts as satisfiable but no 206 can express.
//
// The unit is case-insensitive (§14.1); OWS around the field value and around list members,
// and empty list members (§5.6.1.2), are accepted. Positions too large for an int64 saturate:
// such a first-pos is unsatisfiable, such a last-pos or suffix-length covers the rest.
func EvaluateRange(method string, req http.Header, size int64) (RangeResult, ByteRange) {
	values := req["Range"]
	if method != http.MethodGet || len(values) != 1 || size < 0 {
		return RangeNone, ByteRange{}
	}
	unit, set, ok := strings.Cut(trimOWS(values[0]), "=")
	if !ok || !strings.EqualFold(unit, "bytes") {
		return RangeNone, ByteRange{}
	}
	var spec string
	for rest := set; rest != ""; {
		var elem string
		elem, rest, _ = strings.Cut(rest, ",")
		if elem = trimOWS(elem); elem == "" {
			continue
		}
		if spec != "" {
			return RangeNone, ByteRange{} // several ranges
		}
		spec = elem
	}
	if spec == "" {
		return RangeNone, ByteRange{} // range-set = 1#range-spec
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return RangeNone, ByteRange{}
	}
	if first == "" { // suffix-range = "-" suffix-length
		n, ok := parseBytePos(last)
		switch {
		case !ok:
			return RangeNone, ByteRange{}
		case n == 0:
			return RangeUnsatisfiable, ByteRange{}
		case size == 0:
			return RangeNone, ByteRange{}
		}
		return RangeOK, ByteRange{Start: size - min(n, size), End: size - 1}
	}
	start, ok := parseBytePos(first)
	if !ok {
		return RangeNone, ByteRange{}
	}
	end := int64(math.MaxInt64)
	if last != "" {
		if end, ok = parseBytePos(last); !ok || end < start {
			return RangeNone, ByteRange{}
		}
	}
	if start >= size {
		return RangeUnsatisfiable, ByteRange{}
	}
	return RangeOK, ByteRange{Start: start, End: min(end, size-1)}
}

// IfRangeMatches evaluates an If-Range precondition (RFC 9110 §13.1.5) against a stored
// response header; false means the Range is ignored and the whole representation sent (200).
// Without If-Range it is true. An entity-tag must match the stored ETag under strong
// comparison (§8.8.3.2), so a weak tag on either side never matches. An HTTP-date must equal
// the stored Last-Modified exactly; Pharos does not check that Last-Modified is a strong
// validator (§8.8.2.2). Several If-Range lines, or a value that is neither, are false.
func IfRangeMatches(req http.Header, stored http.Header) bool {
	values := req["If-Range"]
	switch len(values) {
	case 0:
		return true
	case 1:
	default:
		return false
	}
	v := trimOWS(values[0])
	if strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "W/") {
		t, rest, ok := parseEntityTag(v)
		if !ok || rest != "" {
			return false
		}
		current, ok := storedETag(stored["Etag"])
		return ok && t.strongMatch(current)
	}
	date, ok := ParseHTTPDate(v)
	if !ok {
		return false
	}
	lm, ok := singleDate(stored["Last-Modified"])
	return ok && lm.Equal(date)
}

// ParseContentRange parses the Content-Range of an origin's 206 (RFC 9110 §14.4):
// "bytes first-pos-last-pos/complete-length", where the length may be "*" (unknown, size -1).
// It is not ok for another unit, an unsatisfied-range ("bytes */1234"), last-pos < first-pos,
// a complete-length <= last-pos (§14.4: such a value is invalid), or numbers past int64.
func ParseContentRange(v string) (r ByteRange, size int64, ok bool) {
	v = trimOWS(v)
	n := tokenPrefix(v)
	if !strings.EqualFold(v[:n], "bytes") {
		return ByteRange{}, 0, false
	}
	resp := trimOWS(v[n:])
	if len(resp) == len(v)-n { // range-unit SP range-resp
		return ByteRange{}, 0, false
	}
	incl, length, ok := strings.Cut(resp, "/")
	if !ok {
		return ByteRange{}, 0, false
	}
	first, last, ok := strings.Cut(incl, "-")
	if !ok {
		return ByteRange{}, 0, false
	}
	start, ok1 := parseExactBytePos(first)
	end, ok2 := parseExactBytePos(last)
	if !ok1 || !ok2 || end < start {
		return ByteRange{}, 0, false
	}
	size = -1
	if length != "*" {
		var ok bool
		if size, ok = parseExactBytePos(length); !ok || size <= end {
			return ByteRange{}, 0, false
		}
	}
	return ByteRange{Start: start, End: end}, size, true
}

// SliceRange returns the bytes of slice i when a representation of size bytes is cut into
// slices of s bytes (s > 0): [i*s, (i+1)*s-1], with End clamped to size-1. For i past the last
// slice the range is empty (End < Start).
func SliceRange(i, s, size int64) ByteRange {
	if s <= 0 {
		panic("httpcache: slice size must be positive")
	}
	start := i * s
	return ByteRange{Start: start, End: min(start+s-1, size-1)}
}

// SlicesFor returns the indexes of the first and last slices of s bytes (s > 0) that cover r.
func SlicesFor(r ByteRange, s int64) (first, last int64) {
	if s <= 0 {
		panic("httpcache: slice size must be positive")
	}
	return r.Start / s, r.End / s
}

// parseBytePos parses first-pos, last-pos or suffix-length = 1*DIGIT (RFC 9110 §14.1.2),
// saturating at math.MaxInt64.
func parseBytePos(s string) (int64, bool) {
	n, ok, _ := parseDigits64(s)
	return n, ok
}

// parseExactBytePos is parseBytePos for a value that must be exact: one past int64 is invalid.
func parseExactBytePos(s string) (int64, bool) {
	n, ok, overflow := parseDigits64(s)
	return n, ok && !overflow
}

// parseDigits64 parses 1*DIGIT, saturating at math.MaxInt64 and reporting the overflow.
func parseDigits64(s string) (n int64, ok, overflow bool) {
	if s == "" {
		return 0, false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false, false
		}
		d := int64(c - '0')
		if overflow || n > (math.MaxInt64-d)/10 {
			n, overflow = math.MaxInt64, true
		} else {
			n = n*10 + d
		}
	}
	return n, true, overflow
}
