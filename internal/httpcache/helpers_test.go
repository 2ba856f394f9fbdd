package httpcache

import (
	"net/http"
	"time"
)

// testNow is the fixed clock every test reads; nothing here sleeps or reads the real time.
var testNow = time.Date(2026, time.March, 4, 12, 0, 0, 0, time.UTC)

// hdr builds a header from name, value pairs; a name may repeat to make several field lines.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// httpDate formats t as an IMF-fixdate.
func httpDate(t time.Time) string {
	return t.UTC().Format(http.TimeFormat)
}

const sec = time.Second
