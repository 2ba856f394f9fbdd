package httpcache

import (
	"net/http"
	"strings"
)

// NotModifiedHeader builds the header of a 304 sent to a viewer from a stored header. RFC 9110
// §15.4.5: the server "MUST generate any of the following header fields that would have been
// sent in a 200 response": Content-Location, Date, ETag, Vary, Cache-Control and Expires, and
// "SHOULD NOT generate representation metadata other than the above ... (e.g., Last-Modified
// might be useful if the response does not have an ETag field)", so Last-Modified is sent only
// then. The edge adds Age and its own fields.
func NotModifiedHeader(stored http.Header) http.Header {
	out := make(http.Header, 7)
	for _, name := range [...]string{"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Vary"} {
		if v := stored[name]; len(v) > 0 {
			out[name] = append([]string(nil), v...)
		}
	}
	if len(stored["Etag"]) == 0 {
		if v := stored["Last-Modified"]; len(v) > 0 {
			out["Last-Modified"] = append([]string(nil), v...)
		}
	}
	return out
}

// RevalidationHeaders returns the conditional fields for revalidating a stored response with
// the origin (RFC 9111 §4.3.1): If-None-Match with its ETag and If-Modified-Since with its
// Last-Modified, both when it has both (an origin evaluates If-None-Match first, an older one
// may understand only dates). ok is false when it has no validator, and the response can then
// only be refetched in full.
func RevalidationHeaders(stored http.Header) (http.Header, bool) {
	out := http.Header{}
	if v := stored["Etag"]; len(v) > 0 && trimOWS(v[0]) != "" {
		out["If-None-Match"] = []string{trimOWS(v[0])}
	}
	if v := stored["Last-Modified"]; len(v) > 0 {
		if _, ok := ParseHTTPDate(trimOWS(v[0])); ok {
			out["If-Modified-Since"] = []string{trimOWS(v[0])}
		}
	}
	return out, len(out) > 0
}

// MergeNotModified returns a stored header updated with a 304's header (RFC 9111 §4.3.4,
// §3.2): every field in the 304 replaces all stored lines of that field, except
// Content-Length (§3.2 names it), the fields describing the stored bytes (Content-Encoding,
// Content-Range: the cache keeps the bytes it has, and §3.2 lets it keep "fields necessary to
// assure integrity of the stored response") and hop-by-hop fields, including those the 304's
// Connection lists (§3.1). It does not modify its inputs.
func MergeNotModified(stored, notModified http.Header) http.Header {
	out := stored.Clone()
	if out == nil {
		out = http.Header{}
	}
	for name, values := range notModified {
		name = http.CanonicalHeaderKey(name)
		if keepStored(name, notModified) {
			continue
		}
		out[name] = append([]string(nil), values...)
	}
	return out
}

// keepStored reports whether a field of a 304 must not replace the stored one.
func keepStored(name string, notModified http.Header) bool {
	switch name {
	case "Content-Length", "Content-Encoding", "Content-Range", "Transfer-Encoding",
		"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Upgrade",
		"Proxy-Authenticate", "Proxy-Authorization":
		return true
	}
	for _, line := range notModified["Connection"] {
		for rest := line; rest != ""; {
			var opt string
			opt, rest = nextElement(rest)
			if strings.EqualFold(opt, name) {
				return true
			}
		}
	}
	return false
}

// NotModifiedApplies reports whether a 304 received while revalidating a stored response may
// update it (RFC 9111 §4.3.4). A strong ETag in the 304 must equal the stored one strongly
// ("If none of the stored responses contain the same strong validator, then the cache MUST NOT
// use the new response to update"); a weak one must match weakly; else a Last-Modified in the
// 304 must equal the stored one. A 304 with no validator answers the request the edge built
// from this very response (RevalidationHeaders), so it applies.
func NotModifiedApplies(stored, notModified http.Header) bool {
	if v := notModified["Etag"]; len(v) > 0 {
		got, ok := storedETag(v)
		have, haveOK := storedETag(stored["Etag"])
		if !ok || !haveOK {
			return false
		}
		if got.weak {
			return got.weakMatch(have)
		}
		return got.strongMatch(have)
	}
	if got, ok := singleDate(notModified["Last-Modified"]); ok {
		have, haveOK := singleDate(stored["Last-Modified"])
		return haveOK && have.Equal(got)
	}
	return true
}
