package httpcache

import (
	"net/http"
	"testing"
	"time"
)

// BenchmarkDecide measures the store decision for a typical cacheable
// response (runs once per miss).
func BenchmarkDecide(b *testing.B) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	h := http.Header{
		"Cache-Control": {"public, max-age=3600, stale-while-revalidate=60"},
		"Date":          {now.Format(http.TimeFormat)},
		"Etag":          {`"abc"`},
		"Content-Type":  {"text/html"},
	}
	req := Request{Method: http.MethodGet, Header: http.Header{}}
	pol := Policy{DefaultTTL: 24 * time.Hour, MaxTTL: 365 * 24 * time.Hour, ErrorCachingMinTTL: 10 * time.Second}
	b.ReportAllocs()
	for b.Loop() {
		if d := Decide(req, http.StatusOK, h, pol, now); !d.Store {
			b.Fatal("not stored")
		}
	}
}

// BenchmarkFreshness measures the freshness decision made on every hit.
func BenchmarkFreshness(b *testing.B) {
	d := Decision{Store: true, TTL: time.Hour, SWR: time.Minute}
	age := 30 * time.Minute
	b.ReportAllocs()
	for b.Loop() {
		if st, _ := Freshness(d, age); st != Fresh {
			b.Fatal("not fresh")
		}
	}
}
