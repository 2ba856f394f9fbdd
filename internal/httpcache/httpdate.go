package httpcache

import "time"

// HTTP-date (RFC 9110 §5.6.7) comes in three formats, all of which a recipient MUST accept:
//
//	IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
//	rfc850-date  Sunday, 06-Nov-94 08:49:37 GMT   (obsolete)
//	asctime-date Sun Nov  6 08:49:37 1994         (obsolete)
//
// "HTTP-date is case sensitive", so "THU" or "gmt" are invalid, and so are other zones, missing
// commas, extra spaces and one-digit hours. Parsing is strict on purpose: for Expires an invalid
// date means "already expired" (RFC 9111 §5.3), for If-Modified-Since it means "ignore"
// (RFC 9110 §13.1.3), so strictness never makes a cache serve something it should not.

var (
	shortDays = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	longDays  = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	months    = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// ParseHTTPDate parses an HTTP-date in any of its three formats (RFC 9110 §5.6.7) and returns it
// in UTC. A two-digit rfc850 year is read as 1970–2069; ParseHTTPDateAt applies the RFC's
// "more than 50 years in the future" rule against a known current time instead.
func ParseHTTPDate(s string) (time.Time, bool) {
	return parseHTTPDate(s, time.Time{})
}

// ParseHTTPDateAt is ParseHTTPDate with a current time, used to place a two-digit rfc850 year:
// a date that would be more than 50 years after now is taken to be in the previous century
// (RFC 9110 §5.6.7).
func ParseHTTPDateAt(s string, now time.Time) (time.Time, bool) {
	return parseHTTPDate(s, now)
}

func parseHTTPDate(s string, now time.Time) (time.Time, bool) {
	switch {
	case len(s) == 29 && s[3] == ',':
		return parseIMFFixdate(s)
	case len(s) == 24 && s[3] == ' ':
		return parseAsctime(s)
	default:
		return parseRFC850(s, now)
	}
}

// parseIMFFixdate parses "Sun, 06 Nov 1994 08:49:37 GMT".
func parseIMFFixdate(s string) (time.Time, bool) {
	if index(shortDays[:], s[:3]) < 0 || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
		s[16] != ' ' || s[25:] != " GMT" {
		return time.Time{}, false
	}
	day, ok1 := digits(s[5:7])
	month := index(months[:], s[8:11]) + 1
	year, ok2 := digits(s[12:16])
	if !ok1 || !ok2 || month == 0 {
		return time.Time{}, false
	}
	return makeDate(year, month, day, s[17:25])
}

// parseAsctime parses "Sun Nov  6 08:49:37 1994" (day is two digits or SP and one digit).
func parseAsctime(s string) (time.Time, bool) {
	if index(shortDays[:], s[:3]) < 0 || s[7] != ' ' || s[10] != ' ' || s[19] != ' ' {
		return time.Time{}, false
	}
	month := index(months[:], s[4:7]) + 1
	dayText := s[8:10]
	if dayText[0] == ' ' {
		dayText = dayText[1:]
	}
	day, ok1 := digits(dayText)
	year, ok2 := digits(s[20:24])
	if !ok1 || !ok2 || month == 0 {
		return time.Time{}, false
	}
	return makeDate(year, month, day, s[11:19])
}

// parseRFC850 parses "Sunday, 06-Nov-94 08:49:37 GMT".
func parseRFC850(s string, now time.Time) (time.Time, bool) {
	comma := -1
	for i := 0; i < len(s) && i < 10; i++ {
		if s[i] == ',' {
			comma = i
			break
		}
	}
	if comma < 0 || index(longDays[:], s[:comma]) < 0 {
		return time.Time{}, false
	}
	r := s[comma+1:] // " 06-Nov-94 08:49:37 GMT"
	if len(r) != 23 || r[0] != ' ' || r[3] != '-' || r[7] != '-' || r[10] != ' ' || r[19:] != " GMT" {
		return time.Time{}, false
	}
	day, ok1 := digits(r[1:3])
	month := index(months[:], r[4:7]) + 1
	yy, ok2 := digits(r[8:10])
	if !ok1 || !ok2 || month == 0 {
		return time.Time{}, false
	}
	return makeDate(twoDigitYear(yy, month, day, now), month, day, r[11:19])
}

// twoDigitYear places a two-digit year (RFC 9110 §5.6.7): the latest year with those digits
// that is not more than 50 years after now. Without a current time it uses 1970–2069.
func twoDigitYear(yy, month, day int, now time.Time) int {
	if now.IsZero() {
		if yy < 70 {
			return 2000 + yy
		}
		return 1900 + yy
	}
	limit := now.AddDate(50, 0, 0)
	year := now.Year() - now.Year()%100 + yy
	for time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).After(limit) {
		year -= 100
	}
	for !time.Date(year+100, time.Month(month), day, 0, 0, 0, 0, time.UTC).After(limit) {
		year += 100
	}
	return year
}

// makeDate validates the calendar date and an "HH:MM:SS" time-of-day (RFC 9110 §5.6.7:
// second 60 is allowed for leap seconds) and builds the UTC time.
func makeDate(year, month, day int, clock string) (time.Time, bool) {
	if clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, false
	}
	hour, ok1 := digits(clock[0:2])
	minute, ok2 := digits(clock[3:5])
	sec, ok3 := digits(clock[6:8])
	if !ok1 || !ok2 || !ok3 || hour > 23 || minute > 59 || sec > 60 || day < 1 ||
		day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// index returns the position of s in names, compared case-sensitively, or -1.
func index(names []string, s string) int {
	for i, n := range names {
		if n == s {
			return i
		}
	}
	return -1
}
