package e2e

import (
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// A range request for a large object that is not cached fetches only the
// slice holding the range (4 MiB by default), so a viewer seeking in a big
// file waits for one slice, not the whole object. Later ranges reuse the
// slices; the whole object is assembled from them; every slice is fetched
// once; and invalidating the object drops its slices together.
func TestSlices_SeekFetchesOneSlice(t *testing.T) {
	t.Parallel()
	const size = 40_000_000 // 10 slices of 4 MiB, the last one short
	obj := newSized("/video/slices.mp4", size, "ranges=1", `etag="v1"`)
	origin := startOrigin(t)
	ph := startPharos(t, "--origin", origin, "--cache-mem", "256MiB")
	rng := func(first, last int64) reply {
		t.Helper()
		r := get(t, "GET", ph.Edge+obj.uri, fmt.Sprintf("Range: bytes=%d-%d", first, last))
		expect(t, fmt.Sprintf("bytes=%d-%d status", first, last), r.Status, http.StatusPartialContent)
		expect(t, fmt.Sprintf("bytes=%d-%d Content-Range", first, last), r.Header.Get("Content-Range"),
			fmt.Sprintf("bytes %d-%d/%d", first, last, size))
		checkBytes(t, fmt.Sprintf("bytes=%d-%d", first, last), []byte(r.Body), obj.path, first, last-first+1)
		return r
	}

	r := rng(20_000_000, 20_000_999)
	expect(t, "seek X-Cache", r.xcache(), miss)
	expect(t, "origin requests after the first seek (one slice)", originCount(t, origin, obj.uri), 1)

	r = rng(20_001_000, 20_002_000) // same slice (4)
	expect(t, "second range in the same slice X-Cache", r.xcache(), hit)
	expect(t, "origin requests after a range in a cached slice", originCount(t, origin, obj.uri), 1)

	rng(4<<20-500, 4<<20+499) // across slices 0 and 1
	expect(t, "origin requests after a range across two new slices", originCount(t, origin, obj.uri), 3)

	whole := get(t, "GET", ph.Edge+obj.uri)
	checkFull(t, "whole object from slices", whole, obj)
	expect(t, "whole object Content-Length", whole.Header.Get("Content-Length"), size)
	expect(t, "origin requests once every slice is cached (10 slices, each fetched once)", originCount(t, origin, obj.uri), 10)

	// Invalidating the object drops every slice at once.
	post := get(t, "POST", ph.Edge+obj.uri)
	expect(t, "POST status", post.Status, http.StatusOK)
	before := originCount(t, origin, obj.uri)
	r = rng(100, 199)
	expect(t, "range after invalidation X-Cache", r.xcache(), miss)
	expect(t, "origin requests for a range after invalidation", originCount(t, origin, obj.uri), before+1)
}

// An origin that ignores Range answers 200 with the whole object: the edge
// stores that and serves the viewer's range from it, with one origin
// request.
func TestSlices_OriginWithoutRanges(t *testing.T) {
	t.Parallel()
	obj := newSized("/plain/no-ranges.bin", 9_000_000)
	origin := startOrigin(t)
	ph := startPharos(t, "--origin", origin, "--cache-mem", "256MiB")
	r := get(t, "GET", ph.Edge+obj.uri, "Range: bytes=5000000-5000099")
	expect(t, "status", r.Status, http.StatusPartialContent)
	checkBytes(t, "range", []byte(r.Body), obj.path, 5_000_000, 100)
	r = get(t, "GET", ph.Edge+obj.uri, "Range: bytes=0-99")
	expect(t, "second range X-Cache", r.xcache(), hit)
	checkBytes(t, "second range", []byte(r.Body), obj.path, 0, 100)
	expect(t, "origin requests", originCount(t, origin, obj.uri), 1)
}

// Slices and their marker are kept on disk: after kill -9 the same ranges
// are hits without asking the origin.
func TestSlices_SurviveRestart(t *testing.T) {
	t.Parallel()
	const size = 12_000_000
	obj := newSized("/video/restart.mp4", size, "ranges=1", `etag="v2"`)
	origin := startOrigin(t)
	data := t.TempDir()
	args := diskArgs(origin, data, "64MiB", "256MiB")
	ph := startPharos(t, args...)
	r := get(t, "GET", ph.Edge+obj.uri, "Range: bytes=6000000-6000099")
	expect(t, "first X-Cache", r.xcache(), miss)
	checkBytes(t, "first range", []byte(r.Body), obj.path, 6_000_000, 100)
	eventually(t, 5*time.Second, "the slice and its marker on disk", func() bool { return len(cacheFiles(t, data)) >= 2 })
	ph.stop(syscall.SIGKILL)

	ph = startPharos(t, args...)
	r = get(t, "GET", ph.Edge+obj.uri, "Range: bytes=6000100-6000199")
	expect(t, "after restart X-Cache", r.xcache(), hit)
	checkBytes(t, "after restart range", []byte(r.Body), obj.path, 6_000_100, 100)
	expect(t, "origin requests", originCount(t, origin, obj.uri), 1)
}
