package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The disk tier (`pharos up --cache-disk SIZE`): cache files under
// DATA/cache/v1 that survive restarts and crashes, checked against
// corruption, and faults that never cost a viewer a correct response.

// restartSet is 20 objects of mixed sizes, 1 KiB to 3 MB. With
// --cache-mem 8MiB the memory tier keeps objects up to 1 MiB, so the
// 3,000,000-byte one lives on disk alone.
func restartSet(prefix string) []sizedObject {
	sizes := []int64{
		1024, 1500, 2048, 3000, 4096, 7000, 10000, 15000, 30000, 50000,
		60000, 100000, 120000, 200000, 250000, 400000, 500000, 800000, 1000000, 3000000,
	}
	var objs []sizedObject
	for i, n := range sizes {
		objs = append(objs, newSized(fmt.Sprintf("/%s/o%02d", prefix, i), n))
	}
	return objs
}

// fillAll requests every object once (a miss with the origin's bytes) and
// waits until each has its cache file.
func fillAll(t *testing.T, ph *pharos, origin string, objs []sizedObject) []string {
	t.Helper()
	for _, o := range objs {
		r := get(t, "GET", ph.Edge+o.uri)
		checkFull(t, o.uri+" first", r, o)
		expect(t, o.uri+" first X-Cache", r.xcache(), miss)
	}
	return waitCacheFiles(t, ph.DataDir, len(objs))
}

// restartKeeps fills 20 objects, stops pharos with sig and starts it again
// on the same data directory: every object is then a hit with the right
// bytes and the origin is not asked again.
func restartKeeps(t *testing.T, sig syscall.Signal) {
	origin := startOrigin(t)
	data := t.TempDir()
	args := diskArgs(origin, data, "8MiB", "64MiB")
	ph := startPharos(t, args...)
	objs := restartSet("r")
	fillAll(t, ph, origin, objs)
	for _, o := range objs {
		expect(t, o.uri+" before the restart X-Cache", get(t, "GET", ph.Edge+o.uri).xcache(), hit)
	}

	ph.stop(sig)
	if sig == syscall.SIGTERM {
		expect(t, "exit code after SIGTERM", ph.cmd.ProcessState.ExitCode(), 0)
	}

	ph2 := startPharos(t, args...)
	objects, dropped := diskLoaded(t, ph2)
	expect(t, "objects loaded from disk", objects, len(objs))
	expect(t, "cache files dropped at load", dropped, 0)
	for _, o := range objs {
		r := get(t, "GET", ph2.Edge+o.uri)
		checkFull(t, o.uri+" after the restart", r, o)
		expect(t, o.uri+" after the restart X-Cache", r.xcache(), hit)
		expect(t, o.uri+" origin requests", originCount(t, origin, o.uri), 1)
	}
}

func TestDisk_RestartPersistence_SIGTERM(t *testing.T) {
	t.Parallel()
	restartKeeps(t, syscall.SIGTERM)
}

func TestDisk_RestartPersistence_SIGKILL(t *testing.T) {
	t.Parallel()
	restartKeeps(t, syscall.SIGKILL)
}

// A flipped body byte is caught on first use, a truncated file and a
// flipped header/meta byte at load: those objects are refetched (misses
// with the origin's bytes), the others are hits, and then all are hits.
func TestDisk_CorruptFilesRefetched(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	data := t.TempDir()
	args := diskArgs(origin, data, "8MiB", "64MiB")
	ph := startPharos(t, args...)
	objs := restartSet("c")[10:] // 50 KB .. 3 MB
	files := fillAll(t, ph, origin, objs)
	ph.stop(syscall.SIGTERM)

	// The largest file: flip a byte near the end of its body.
	largest, largestLen := "", int64(0)
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > largestLen {
			largest, largestLen = f, fi.Size()
		}
	}
	hl := readCacheHeader(t, largest)
	if hl.FileLen != hl.BodyOff+int64(hl.BodyLen) || largestLen-10 < hl.BodyOff {
		t.Fatalf("largest cache file %s: header %+v does not describe the file", largest, hl)
	}
	flipByte(t, largest, largestLen-10)
	flipped := objs[len(objs)-1] // the 3 MB one
	if f, _ := cacheFileFor(t, data, flipped); f != largest {
		t.Fatalf("the largest cache file %s is not %s's", largest, flipped.uri)
	}

	// Another: 10 bytes shorter.
	truncated := objs[3]
	tf, _ := cacheFileFor(t, data, truncated)
	fi, err := os.Stat(tf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(tf, fi.Size()-10); err != nil {
		t.Fatal(err)
	}

	// A third: one byte of its key/meta region flipped (header checksum).
	headFlipped := objs[5]
	hf, hh := cacheFileFor(t, data, headFlipped)
	flipByte(t, hf, hh.BodyOff-1)

	ph2 := startPharos(t, args...)
	objects, dropped := diskLoaded(t, ph2)
	expect(t, "objects loaded (the truncated and header-flipped files dropped)", objects, len(objs)-2)
	expect(t, "files dropped at load", dropped, 2)
	bad := map[string]bool{flipped.uri: true, truncated.uri: true, headFlipped.uri: true}
	for _, o := range objs {
		r := get(t, "GET", ph2.Edge+o.uri)
		checkFull(t, o.uri+" after the restart", r, o)
		want, wantCount := hit, 1
		if bad[o.uri] {
			want, wantCount = miss, 2
		}
		expect(t, o.uri+" after the restart X-Cache", r.xcache(), want)
		expect(t, o.uri+" origin requests", originCount(t, origin, o.uri), wantCount)
	}
	for _, o := range objs {
		r := get(t, "GET", ph2.Edge+o.uri)
		checkFull(t, o.uri+" again", r, o)
		expect(t, o.uri+" again X-Cache", r.xcache(), hit)
	}
	if !regexp.MustCompile(`(?i)checksum`).MatchString(ph2.Output()) {
		t.Errorf("the flipped body byte was not logged (no line mentions a checksum)")
	}
	// The refetched objects are on disk again, each in one file.
	waitCacheFiles(t, data, len(objs))
}

// Files that are not cache files of this format (bad magic, unknown
// version, empty, too short) are dropped at load; the others are served.
func TestDisk_BadMagicAndVersionDroppedAtLoad(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	data := t.TempDir()
	args := diskArgs(origin, data, "8MiB", "64MiB")
	ph := startPharos(t, args...)
	objs := restartSet("m")[:3]
	files := fillAll(t, ph, origin, objs)
	ph.stop(syscall.SIGTERM)

	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	badMagic := append([]byte("NOTPHA"), good[6:]...)
	badVersion := append([]byte(nil), good...)
	badVersion[6], badVersion[7] = 99, 0
	junk := map[string][]byte{
		"ab/ab000000000000000000000000000001": badMagic,
		"ab/ab000000000000000000000000000002": badVersion,
		"cd/cd000000000000000000000000000003": nil,
		"cd/cd000000000000000000000000000004": []byte("PHAROS\x01\x00short"),
	}
	for name, b := range junk {
		p := filepath.Join(cacheDir(data), name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	ph2 := startPharos(t, args...)
	objects, dropped := diskLoaded(t, ph2)
	expect(t, "objects loaded", objects, len(objs))
	expect(t, "files dropped", dropped, len(junk))
	for name := range junk {
		if _, err := os.Stat(filepath.Join(cacheDir(data), name)); err == nil {
			t.Errorf("the bad cache file %s is still there after the load", name)
		}
	}
	for _, o := range objs {
		r := get(t, "GET", ph2.Edge+o.uri)
		checkFull(t, o.uri+" after the restart", r, o)
		expect(t, o.uri+" after the restart X-Cache", r.xcache(), hit)
		expect(t, o.uri+" origin requests", originCount(t, origin, o.uri), 1)
	}
}

// A 200 MB object streams through with bounded memory (--cache-mem 8MiB),
// is kept on disk, and is then a hit served from its file, whole or in part.
func TestDisk_LargeObjectStreaming(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	data := t.TempDir()
	ph := startPharos(t, diskArgs(origin, data, "8MiB", "1GiB")...)
	big := newSized("/big/movie.bin", 200_000_000)
	pid := ph.cmd.Process.Pid

	// transfer GETs the whole object while sampling pharos's RSS.
	transfer := func(what string) streamed {
		t.Helper()
		var wg sync.WaitGroup
		var maxRSS int64
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if rss, err := vmRSS(pid); err == nil && rss > maxRSS {
					maxRSS = rss
				}
				select {
				case <-done:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		s := streamCheck(ph.Edge+big.uri, big.path, 0)
		close(done)
		wg.Wait()
		if s.Err != nil {
			t.Fatalf("%s: %v after %d bytes", what, s.Err, s.Len)
		}
		expect(t, what+" status", s.Status, http.StatusOK)
		expect(t, what+" Content-Length", s.Header.Get("Content-Length"), big.size)
		expect(t, what+" bytes received", s.Len, big.size)
		if s.Mismatch >= 0 {
			t.Errorf("%s: first wrong byte at offset %d", what, s.Mismatch)
		}
		t.Logf("%s: pharos peak RSS %.1f MB", what, float64(maxRSS)/1e6)
		if maxRSS == 0 {
			t.Errorf("%s: could not read pharos's RSS", what)
		} else if maxRSS >= 150_000_000 {
			t.Errorf("%s: pharos RSS reached %.1f MB while sending a %d MB object, want < 150 MB",
				what, float64(maxRSS)/1e6, big.size/1e6)
		}
		return s
	}

	first := transfer("first GET")
	expect(t, "first X-Cache", first.Header.Get("X-Cache"), miss)
	files := waitCacheFiles(t, data, 1)
	h := readCacheHeader(t, files[0])
	expect(t, "cache file body length", h.BodyLen, big.size)

	second := transfer("second GET")
	expect(t, "second X-Cache", second.Header.Get("X-Cache"), hit)
	expect(t, "origin requests", originCount(t, origin, big.uri), 1)

	const off = 123_456_789
	r := get(t, "GET", ph.Edge+big.uri, "Range: bytes=123456789-123457788")
	expect(t, "range status", r.Status, http.StatusPartialContent)
	expect(t, "range X-Cache", r.xcache(), hit)
	expect(t, "Content-Range", r.Header.Get("Content-Range"), "bytes 123456789-123457788/200000000")
	checkBytes(t, "range body", []byte(r.Body), big.path, off, 1000)
	expect(t, "origin requests after the range", originCount(t, origin, big.uri), 1)
}

// A disk tier smaller than the object: the object is served, whole and
// right, every time (too big for memory too, so each request is a miss);
// smaller objects still use the disk.
func TestDisk_TierSmallerThanObject(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	data := t.TempDir()
	ph := startPharos(t, diskArgs(origin, data, "8MiB", "1MiB")...)
	big := newSized("/small-disk/big", 3_000_000)
	for i := 1; i <= 3; i++ {
		r := get(t, "GET", ph.Edge+big.uri)
		checkFull(t, fmt.Sprintf("request %d", i), r, big)
		expect(t, fmt.Sprintf("request %d X-Cache", i), r.xcache(), miss)
	}
	expect(t, "origin requests for the big object", originCount(t, origin, big.uri), 3)

	small := newSized("/small-disk/small", 5000)
	r := get(t, "GET", ph.Edge+small.uri)
	checkFull(t, "small object", r, small)
	files := waitCacheFiles(t, data, 1)
	if h := readCacheHeader(t, files[0]); h.BodyLen != uint64(small.size) {
		t.Errorf("the one cache file holds %d body bytes, want the small object's %d", h.BodyLen, small.size)
	}
	expect(t, "small object again X-Cache", get(t, "GET", ph.Edge+small.uri).xcache(), hit)
}

// The disk tier refusing an object because it is larger than the whole
// tier is logged, once (not once per request).
func TestDisk_TierSmallerThanObjectLoggedOnce(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t, diskArgs(origin, t.TempDir(), "8MiB", "1MiB")...)
	big := newSized("/small-disk-log/big", 3_000_000)
	for i := 1; i <= 3; i++ {
		checkFull(t, fmt.Sprintf("request %d", i), get(t, "GET", ph.Edge+big.uri), big)
	}
	time.Sleep(200 * time.Millisecond) // the fills end just after the viewers' last byte
	re := regexp.MustCompile(`level=(WARN|ERROR).*(?i:disk)`)
	if n := countMatches(ph.Output(), re); n != 1 {
		t.Errorf("%d warning/error lines about the disk tier for 3 requests of an object larger than it, want 1:\n%s",
			n, ph.Output())
	}
}

// Cache-file writes that fail (the temporary directory cannot be used) do
// not cost viewers anything: responses are right, the failure is logged
// once, and writes resume when the directory is usable again.
func TestDisk_WriteFailure(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	data := t.TempDir()
	ph := startPharos(t, diskArgs(origin, data, "8MiB", "64MiB")...)
	before := newSized("/wf/before", 3_000_000)
	checkFull(t, "before", get(t, "GET", ph.Edge+before.uri), before)
	waitCacheFiles(t, data, 1)

	// Break the disk tier: as root, permissions stop nothing, so tmp/
	// becomes a regular file and creating a file in it fails (ENOTDIR).
	tmp := filepath.Join(cacheDir(data), "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}

	big := newSized("/wf/big", 3_000_000) // disk-only size: no memory copy either
	small := newSized("/wf/small", 2000)
	for i := 1; i <= 2; i++ {
		r := get(t, "GET", ph.Edge+big.uri)
		checkFull(t, fmt.Sprintf("big request %d", i), r, big)
		expect(t, fmt.Sprintf("big request %d X-Cache", i), r.xcache(), miss)
	}
	r := get(t, "GET", ph.Edge+small.uri)
	checkFull(t, "small", r, small)
	expect(t, "small X-Cache", r.xcache(), miss)
	r = get(t, "GET", ph.Edge+small.uri)
	checkFull(t, "small again", r, small)
	expect(t, "small again X-Cache (from memory)", r.xcache(), hit)
	r = get(t, "GET", ph.Edge+before.uri)
	checkFull(t, "the object cached before the fault", r, before)
	expect(t, "the object cached before the fault X-Cache", r.xcache(), hit)
	expect(t, "cache files while writes fail", len(cacheFiles(t, data)), 1)

	time.Sleep(200 * time.Millisecond)
	re := regexp.MustCompile(`level=(WARN|ERROR).*(?i:disk tier write failed)`)
	if n := countMatches(ph.Output(), re); n != 1 {
		t.Errorf("%d log lines saying the disk tier write failed for 3 failing fills, want 1:\n%s", n, ph.Output())
	}

	// Repair: the next fill writes again (tmp/ is recreated).
	if err := os.Remove(tmp); err != nil {
		t.Fatal(err)
	}
	after := newSized("/wf/after", 3_000_000)
	checkFull(t, "after the repair", get(t, "GET", ph.Edge+after.uri), after)
	waitCacheFiles(t, data, 2)
	r = get(t, "GET", ph.Edge+after.uri)
	checkFull(t, "after the repair, again", r, after)
	expect(t, "after the repair, again X-Cache", r.xcache(), hit)
}

// Without root, a read-only cache directory (chmod 0500) makes writes fail
// with EACCES: responses stay right.
func TestDisk_ReadOnlyDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop writes (TestDisk_WriteFailure covers the fault)")
	}
	origin := startOrigin(t)
	data := t.TempDir()
	ph := startPharos(t, diskArgs(origin, data, "8MiB", "64MiB")...)
	dirs := []string{cacheDir(data)}
	ents, _ := os.ReadDir(cacheDir(data))
	for _, e := range ents {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(cacheDir(data), e.Name()))
		}
	}
	for _, d := range dirs {
		os.Chmod(d, 0o500)
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			os.Chmod(d, 0o700)
		}
	})
	big := newSized("/ro/big", 3_000_000)
	for i := 1; i <= 2; i++ {
		r := get(t, "GET", ph.Edge+big.uri)
		checkFull(t, fmt.Sprintf("request %d", i), r, big)
		expect(t, fmt.Sprintf("request %d X-Cache", i), r.xcache(), miss)
	}
	expect(t, "cache files in a read-only directory", len(cacheFiles(t, data)), 0)
}

// The whole cache directory deleted while pharos runs: memory copies are
// still hits, disk-only objects are refetched with the right bytes, and the
// next fills recreate the directory.
func TestDisk_CacheDirDeleted(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	data := t.TempDir()
	ph := startPharos(t, diskArgs(origin, data, "8MiB", "64MiB")...)
	diskOnly := newSized("/del/disk-only", 3_000_000)
	inMem := newSized("/del/in-memory", 5000)
	fillAll(t, ph, origin, []sizedObject{diskOnly, inMem})

	if err := os.RemoveAll(filepath.Join(data, "cache")); err != nil {
		t.Fatal(err)
	}

	r := get(t, "GET", ph.Edge+inMem.uri)
	checkFull(t, "in-memory object", r, inMem)
	expect(t, "in-memory object X-Cache", r.xcache(), hit)
	r = get(t, "GET", ph.Edge+diskOnly.uri)
	checkFull(t, "disk-only object after its file went", r, diskOnly)
	expect(t, "disk-only object after its file went X-Cache", r.xcache(), miss)
	expect(t, "origin requests for the disk-only object", originCount(t, origin, diskOnly.uri), 2)

	fresh := newSized("/del/new", 4000)
	r = get(t, "GET", ph.Edge+fresh.uri)
	checkFull(t, "new object", r, fresh)
	expect(t, "new object X-Cache", r.xcache(), miss)
	// The refetched disk-only object and the new one have files again.
	waitCacheFiles(t, data, 2)
	cacheFileFor(t, data, fresh)
	cacheFileFor(t, data, diskOnly)
	r = get(t, "GET", ph.Edge+diskOnly.uri)
	checkFull(t, "disk-only object once refetched", r, diskOnly)
	expect(t, "disk-only object once refetched X-Cache", r.xcache(), hit)
}

// A viewer that goes away early from the miss of an object too large for
// memory: with a disk tier there is somewhere to keep it, so the fill goes
// on to disk and the next request is a hit (the origin drips the body over
// about 0.6 s so that the viewer surely leaves first).
func TestDisk_LargeFillOutlivesViewer(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	data := t.TempDir()
	ph := startPharos(t, diskArgs(origin, data, "8MiB", "64MiB")...)
	obj := newSized("/abort/big", 3_000_000, "drip=30", "dripms=20", "cl=1")

	resp, err := client.Get(ph.Edge + obj.uri)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 1000)
	_, err = io.ReadFull(resp.Body, head)
	resp.Body.Close() // leave after 1000 bytes
	if err != nil {
		t.Fatalf("first 1000 bytes: %v", err)
	}
	expect(t, "first X-Cache", resp.Header.Get("X-Cache"), miss)
	checkBytes(t, "first 1000 bytes", head, obj.path, 0, 1000)

	if !waitCacheBody(t, data, obj.path, obj.size, 3*time.Second) {
		t.Errorf("3 s after the viewer left, no cache file holds the %d bytes of %s", obj.size, obj.path)
	}
	r := get(t, "GET", ph.Edge+obj.uri)
	checkFull(t, "next request", r, obj)
	expect(t, "next request X-Cache", r.xcache(), hit)
	expect(t, "origin requests", originCount(t, origin, obj.uri), 1)
}
