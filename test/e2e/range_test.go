package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// Range requests (RFC 9110 §14) answered from the cache: from memory, and
// from a cache file for an object too large for memory.

const (
	rangeETag = `"r1"`
	rangeLM   = "Tue, 14 Nov 2023 22:13:20 GMT" // lm=1700000000
)

func TestRange_FromCache(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	data := t.TempDir()
	ph := startPharos(t, diskArgs(origin, data, "8MiB", "64MiB")...)
	validators := []string{"etag=%22r1%22", "lm=1700000000"}
	for _, tier := range []struct {
		name string
		obj  sizedObject
	}{
		{"Memory", newSized("/range/mem", 100_000, validators...)},
		{"DiskOnly", newSized("/range/disk", 3_000_000, validators...)}, // > 8MiB/8
	} {
		obj, N := tier.obj, tier.obj.size
		r := get(t, "GET", ph.Edge+obj.uri)
		checkFull(t, tier.name+" fill", r, obj)
		expect(t, tier.name+" fill X-Cache", r.xcache(), miss)
		expect(t, tier.name+" ETag", r.Header.Get("ETag"), rangeETag)
		expect(t, tier.name+" Last-Modified", r.Header.Get("Last-Modified"), rangeLM)
		cacheFileFor(t, data, obj) // both are written through to disk
		r = get(t, "GET", ph.Edge+obj.uri)
		checkFull(t, tier.name+" hit", r, obj)
		expect(t, tier.name+" hit X-Cache", r.xcache(), hit)
		expect(t, tier.name+" Accept-Ranges", r.Header.Get("Accept-Ranges"), "bytes")

		t.Run(tier.name, func(t *testing.T) {
			partial := func(name, rng string, first, last int64, hdr ...string) {
				t.Helper()
				r := get(t, "GET", ph.Edge+obj.uri, append([]string{"Range: " + rng}, hdr...)...)
				expect(t, name+" status", r.Status, http.StatusPartialContent)
				expect(t, name+" X-Cache", r.xcache(), hit)
				expect(t, name+" Content-Range", r.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", first, last, N))
				expect(t, name+" Content-Length", r.Header.Get("Content-Length"), last-first+1)
				checkBytes(t, name+" body", []byte(r.Body), obj.path, first, last-first+1)
			}
			whole := func(name string, hdr ...string) {
				t.Helper()
				r := get(t, "GET", ph.Edge+obj.uri, hdr...)
				checkFull(t, name, r, obj)
				expect(t, name+" X-Cache", r.xcache(), hit)
				expect(t, name+" Content-Range", r.Header.Get("Content-Range"), "")
				expect(t, name+" Content-Length", r.Header.Get("Content-Length"), N)
			}
			unsatisfiable := func(name, rng string) {
				t.Helper()
				r := get(t, "GET", ph.Edge+obj.uri, "Range: "+rng)
				expect(t, name+" status", r.Status, http.StatusRequestedRangeNotSatisfiable)
				expect(t, name+" Content-Range", r.Header.Get("Content-Range"), "bytes */"+strconv.FormatInt(N, 10))
				expect(t, name+" X-Cache", r.xcache(), hit)
				if len(r.Body) >= 1000 {
					t.Errorf("%s: a %d-byte body, want none (or a short message)", name, len(r.Body))
				}
			}
			mid := N / 2
			partial("first byte", "bytes=0-0", 0, 0)
			partial("middle", fmt.Sprintf("bytes=%d-%d", mid, mid+999), mid, mid+999)
			partial("last byte", fmt.Sprintf("bytes=%d-%d", N-1, N-1), N-1, N-1)
			partial("suffix", "bytes=-500", N-500, N-1)
			partial("suffix longer than the object", fmt.Sprintf("bytes=-%d", N+100), 0, N-1)
			partial("open", "bytes=1000-", 1000, N-1)
			partial("end past the size", fmt.Sprintf("bytes=%d-%d", N-10, N+5000), N-10, N-1)
			partial("If-Range with the strong ETag", "bytes=10-19", 10, 19, "If-Range: "+rangeETag)
			partial("If-Range with the Last-Modified date", "bytes=10-19", 10, 19, "If-Range: "+rangeLM)

			unsatisfiable("start at the size", fmt.Sprintf("bytes=%d-", N))
			unsatisfiable("start past the size", fmt.Sprintf("bytes=%d-%d", N+10, N+20))
			unsatisfiable("empty suffix", "bytes=-0")

			whole("If-Range with another ETag", "Range: bytes=10-19", `If-Range: "other"`)
			whole("If-Range with a weak ETag", "Range: bytes=10-19", `If-Range: W/"r1"`)
			whole("If-Range with another date", "Range: bytes=10-19", "If-Range: Wed, 15 Nov 2023 22:13:20 GMT")
			whole("multiple ranges", "Range: bytes=0-9,20-29")
			whole("invalid range", "Range: bytes=abc")
			whole("last before first", "Range: bytes=20-10")
			whole("another unit", "Range: items=0-5")

			// HEAD with a Range: the 206 header, no body.
			h := get(t, "HEAD", ph.Edge+obj.uri, "Range: bytes=0-99")
			if h.Status != http.StatusPartialContent && h.Status != http.StatusOK {
				t.Errorf("HEAD with Range: status %d, want 206 or 200", h.Status)
			}
			expect(t, "HEAD with Range body", len(h.Body), 0)
		})
		expect(t, tier.name+" origin requests", originCount(t, origin, obj.uri), 1)
	}
}

// A Range on the request that misses (the origin honours Range, so the
// edge may fetch just a slice): the viewer gets exactly its range, and once
// the fetch is on disk, the whole object and other ranges are hits with the
// right bytes, without asking the origin again.
func rangeOnMiss(t *testing.T, obj sizedObject, first, last int64) {
	origin := startOrigin(t)
	data := t.TempDir()
	ph := startPharos(t, diskArgs(origin, data, "8MiB", "64MiB")...)
	r := get(t, "GET", ph.Edge+obj.uri, fmt.Sprintf("Range: bytes=%d-%d", first, last))
	expect(t, "first X-Cache", r.xcache(), miss)
	expect(t, "first status", r.Status, http.StatusPartialContent)
	expect(t, "first Content-Range", r.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-%d/%d", first, last, obj.size))
	checkBytes(t, "first body", []byte(r.Body), obj.path, first, last-first+1)
	if !waitCacheBody(t, data, obj.path, obj.size, 3*time.Second) {
		t.Errorf("3 s after the range miss, no cache file holds the %d bytes of %s (files: %q)",
			obj.size, obj.path, cacheFiles(t, data))
	}

	r = get(t, "GET", ph.Edge+obj.uri)
	checkFull(t, "whole object afterwards", r, obj)
	expect(t, "whole object afterwards X-Cache", r.xcache(), hit)
	expect(t, "whole object afterwards Content-Length", r.Header.Get("Content-Length"), obj.size)
	r = get(t, "GET", ph.Edge+obj.uri, "Range: bytes=-100")
	expect(t, "suffix afterwards status", r.Status, http.StatusPartialContent)
	expect(t, "suffix afterwards X-Cache", r.xcache(), hit)
	checkBytes(t, "suffix afterwards body", []byte(r.Body), obj.path, obj.size-100, 100)
	r = get(t, "GET", ph.Edge+obj.uri, fmt.Sprintf("Range: bytes=%d-", obj.size))
	expect(t, "unsatisfiable afterwards status", r.Status, http.StatusRequestedRangeNotSatisfiable)
	expect(t, "unsatisfiable afterwards Content-Range", r.Header.Get("Content-Range"), fmt.Sprintf("bytes */%d", obj.size))
	expect(t, "origin requests", originCount(t, origin, obj.uri), 1)
}

func TestRange_OnMiss(t *testing.T) {
	t.Parallel()
	rangeOnMiss(t, newSized("/range-miss/mem", 200_000, "ranges=1"), 100, 199)
}

// The same for an object larger than the memory tier's per-object limit
// (3 MB > 8MiB/8), asking for its first 100 bytes: the viewer stops reading
// long before the origin's answer ends.
func TestRange_OnMissLargeObject(t *testing.T) {
	t.Parallel()
	rangeOnMiss(t, newSized("/range-miss/disk", 3_000_000, "ranges=1"), 0, 99)
}
