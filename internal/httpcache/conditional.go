package httpcache

import (
	"net/http"
	"time"
)

// EvaluateConditional evaluates a viewer's preconditions against a stored response header (its
// ETag and Last-Modified) in the order RFC 9110 §13.2.2 prescribes, for GET and HEAD (other
// methods are not answered from cache, so it returns 0 for them). It returns 0 to send the full
// response, 304 (Not Modified) or 412 (Precondition Failed):
//
//  1. If-Match: false (no listed tag matches strongly, §13.1.1) → 412.
//  2. Else If-Unmodified-Since with a valid date: Last-Modified later than it → 412 (§13.1.4).
//  3. If-None-Match: a listed tag matches weakly (§13.1.2) → 304; otherwise the full response,
//     and If-Modified-Since is not looked at.
//  4. Else If-Modified-Since with a valid date: not modified since (Last-Modified, or Date when
//     there is none, RFC 9111 §4.3.2) → 304.
//
// A date that is not a single valid HTTP-date is ignored (§13.1.3, §13.1.4). Callers evaluate
// only stored 2xx responses: preconditions do not apply to others (§13.2.1).
func EvaluateConditional(method string, req http.Header, stored http.Header) int {
	if method != http.MethodGet && method != http.MethodHead {
		return 0
	}
	etag, hasETag := storedETag(stored["Etag"])
	if im := req["If-Match"]; len(im) > 0 {
		if !etagListMatches(im, etag, hasETag, entityTag.strongMatch) {
			return http.StatusPreconditionFailed
		}
	} else if since, ok := singleDate(req["If-Unmodified-Since"]); ok {
		if lm, ok := singleDate(stored["Last-Modified"]); ok && lm.After(since) {
			return http.StatusPreconditionFailed
		}
	}
	if inm := req["If-None-Match"]; len(inm) > 0 {
		if etagListMatches(inm, etag, hasETag, entityTag.weakMatch) {
			return http.StatusNotModified
		}
		return 0
	}
	if since, ok := singleDate(req["If-Modified-Since"]); ok {
		lm, ok := singleDate(stored["Last-Modified"])
		if !ok {
			lm, ok = singleDate(stored["Date"])
		}
		if ok && !lm.After(since) {
			return http.StatusNotModified
		}
	}
	return 0
}

// singleDate parses a field that must hold exactly one HTTP-date; a list of dates, or several
// field lines, is invalid (RFC 9110 §13.1.3).
func singleDate(values []string) (time.Time, bool) {
	if len(values) != 1 {
		return time.Time{}, false
	}
	return ParseHTTPDate(trimOWS(values[0]))
}
