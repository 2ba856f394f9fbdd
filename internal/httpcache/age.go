package httpcache

import (
	"net/http"
	"time"
)

// ParseAge parses an Age header (RFC 9111 §5.1). Age is a singleton, but "a cache encountering
// a message with a list-based Age field value SHOULD use the first member of the field value,
// discarding subsequent ones", so "7200, 0" and two lines "7200" and "0" both give 7200s. A
// first member that is not a non-negative integer makes the whole field ignored (ok=false).
// Values past 2^31 seconds saturate (§1.2.2).
func ParseAge(values []string) (time.Duration, bool) {
	for _, line := range values {
		for rest := line; rest != ""; {
			var elem string
			elem, rest = nextElement(rest)
			if elem == "" {
				continue // empty list elements do not count (RFC 9110 §5.6.1)
			}
			return parseDeltaSeconds(elem)
		}
	}
	return 0, false
}

// CurrentAge computes current_age (RFC 9111 §4.2.3) for a stored response with header h, sent
// for at requestTime and received at responseTime:
//
//	apparent_age          = max(0, response_time - date_value)
//	response_delay        = response_time - request_time
//	corrected_age_value   = age_value + response_delay
//	corrected_initial_age = max(apparent_age, corrected_age_value)
//	resident_time         = now - response_time
//	current_age           = corrected_initial_age + resident_time
//
// A missing or invalid Age counts as 0 and a missing or invalid Date as response_time (the
// origin's clock cannot then make the response look older). Clock steps backwards never yield
// negative delays, and sums saturate rather than wrap.
func CurrentAge(h http.Header, requestTime, responseTime, now time.Time) time.Duration {
	ageValue, _ := ParseAge(h["Age"])
	dateValue := responseTime
	if v := h["Date"]; len(v) > 0 {
		if t, ok := ParseHTTPDateAt(v[0], now); ok {
			dateValue = t
		}
	}
	apparentAge := max(0, responseTime.Sub(dateValue))
	responseDelay := max(0, responseTime.Sub(requestTime))
	correctedAgeValue := satAdd(ageValue, responseDelay)
	correctedInitialAge := max(apparentAge, correctedAgeValue)
	residentTime := max(0, now.Sub(responseTime))
	return satAdd(correctedInitialAge, residentTime)
}
