package httpcache

import "strings"

// Normalised Accept-Encoding values CloudFront puts in the cache key and sends to the origin
// (CLOUDFRONT.md 1.3).
const (
	EncodingBrGzip = "br,gzip"
	EncodingBr     = "br"
	EncodingGzip   = "gzip"
)

// NormaliseAcceptEncoding returns "br,gzip", "br", "gzip" or "" (CloudFront's normalisation) for
// the viewer's Accept-Encoding lines, keeping only the encodings the policy enables. Following
// RFC 9110 §12.5.3: coding names are case-insensitive, "x-gzip" is gzip (§8.4.1.3), "*" covers
// codings not named, q=0 excludes a coding, and a malformed weight is read as q=0 (sending a
// compressed body a client may not decode is the worse mistake). It does not allocate.
func NormaliseAcceptEncoding(values []string, gzip, br bool) string {
	if !gzip && !br {
		return ""
	}
	gz, brotli, star := unmentioned, unmentioned, unmentioned
	for _, line := range values {
		for rest := line; rest != ""; {
			var elem string
			elem, rest = nextElement(rest)
			coding, params, _ := strings.Cut(elem, ";")
			coding = trimOWS(coding)
			ok := qNonZero(params)
			switch {
			case strings.EqualFold(coding, "gzip") || strings.EqualFold(coding, "x-gzip"):
				gz = gz.mention(ok)
			case strings.EqualFold(coding, "br"):
				brotli = brotli.mention(ok)
			case coding == "*":
				star = star.mention(ok)
			}
		}
	}
	useGzip := gzip && gz.accepted(star)
	useBr := br && brotli.accepted(star)
	switch {
	case useGzip && useBr:
		return EncodingBrGzip
	case useBr:
		return EncodingBr
	case useGzip:
		return EncodingGzip
	}
	return ""
}

// acceptance is what a request said about one coding.
type acceptance uint8

const (
	unmentioned acceptance = iota
	refused
	accepted
)

// mention folds in one more mention; any refusal wins over acceptance.
func (a acceptance) mention(ok bool) acceptance {
	if !ok || a == refused {
		return refused
	}
	return accepted
}

// accepted resolves a coding, falling back to "*" when it was not named.
func (a acceptance) accepted(star acceptance) bool {
	if a == unmentioned {
		return star == accepted
	}
	return a == accepted
}

// qNonZero reads the parameters after a coding and reports whether its weight is above zero
// (RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )).
func qNonZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		name, value, _ := strings.Cut(trimOWS(p), "=")
		if !strings.EqualFold(name, "q") {
			continue
		}
		return qvalueNonZero(value)
	}
	return true
}

// qvalueNonZero validates a qvalue and reports whether it is above zero; invalid is zero.
func qvalueNonZero(v string) bool {
	if v == "" || len(v) > 5 || (v[0] != '0' && v[0] != '1') {
		return false
	}
	if len(v) > 1 && v[1] != '.' {
		return false
	}
	nonZero := v[0] == '1'
	for i := 2; i < len(v); i++ {
		switch {
		case v[i] < '0' || v[i] > '9', v[0] == '1' && v[i] != '0':
			return false
		case v[i] != '0':
			nonZero = true
		}
	}
	return nonZero
}
