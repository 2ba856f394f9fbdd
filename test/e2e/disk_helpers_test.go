package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/testorigin"
)

// Helpers for the disk tier and range request tests (disk_test.go,
// range_test.go).

// sizedObject is a size= object of the test origin: uri is what viewers
// request, path what testorigin.Expected is keyed on.
type sizedObject struct {
	path string
	uri  string
	size int64
}

func newSized(path string, size int64, query ...string) sizedObject {
	uri := path + "?size=" + strconv.FormatInt(size, 10)
	for _, q := range query {
		uri += "&" + q
	}
	return sizedObject{path: path, uri: uri, size: size}
}

// checkBytes fails unless got is bytes [off, off+n) of path's size= body.
// It names the first differing offset instead of printing megabytes.
func checkBytes(t *testing.T, what string, got []byte, path string, off, n int64) {
	t.Helper()
	want := testorigin.Expected(path, off, n)
	if bytes.Equal(got, want) {
		return
	}
	if int64(len(got)) != n {
		t.Errorf("%s: %d bytes, want %d (bytes %d..%d of %s)", what, len(got), n, off, off+n-1, path)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: byte at offset %d (object offset %d) is %#x, want %#x", what, i, off+int64(i), got[i], want[i])
			return
		}
	}
}

// checkFull fails unless r is a complete 200 with obj's body.
func checkFull(t *testing.T, what string, r reply, obj sizedObject) {
	t.Helper()
	expect(t, what+" status", r.Status, http.StatusOK)
	checkBytes(t, what+" body", []byte(r.Body), obj.path, 0, obj.size)
}

// diskArgs are the usual flags of a pharos with a disk tier under data.
func diskArgs(origin, data, mem, disk string) []string {
	return []string{"--origin", origin, "--data", data, "--cache-mem", mem, "--cache-disk", disk}
}

// cacheDir is the disk tier's versioned directory under a data directory.
func cacheDir(data string) string { return filepath.Join(data, "cache", "v1") }

var hex2 = regexp.MustCompile(`^[0-9a-f]{2}$`)

// cacheFiles lists the committed cache files (DATA/cache/v1/<2 hex>/<name>),
// sorted.
func cacheFiles(t *testing.T, data string) []string {
	t.Helper()
	var out []string
	subs, err := os.ReadDir(cacheDir(data))
	if err != nil {
		return nil
	}
	for _, sd := range subs {
		if !sd.IsDir() || !hex2.MatchString(sd.Name()) {
			continue
		}
		ents, _ := os.ReadDir(filepath.Join(cacheDir(data), sd.Name()))
		for _, e := range ents {
			if e.Type().IsRegular() {
				out = append(out, filepath.Join(cacheDir(data), sd.Name(), e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out
}

var cacheName = regexp.MustCompile(`^[0-9a-f]{32}$`)

// waitCacheFiles waits until exactly n committed cache files exist (fills
// commit just after the viewer got the last byte) and checks their names.
func waitCacheFiles(t *testing.T, data string, n int) []string {
	t.Helper()
	var files []string
	eventually(t, 10*time.Second, fmt.Sprintf("%d cache files under %s", n, cacheDir(data)), func() bool {
		files = cacheFiles(t, data)
		return len(files) == n
	})
	for _, f := range files {
		dir, name := filepath.Split(f)
		if !cacheName.MatchString(name) || filepath.Base(dir) != name[:2] {
			t.Errorf("cache file %s: want DATA/cache/v1/<2 hex>/<32 hex> with the same first two digits", f)
		}
	}
	return files
}

// cacheFileHeader is what the 32-byte header of a cache file says.
type cacheFileHeader struct {
	Magic            string
	Version          uint16
	KeyLen, MetaLen  uint32
	BodyLen          uint64
	BodyOff, FileLen int64
	Key              string
}

// readCacheHeader parses a cache file's header and key (see
// internal/store/diskformat.go), without trusting it to be valid.
func readCacheHeader(t *testing.T, path string) cacheFileHeader {
	t.Helper()
	h, err := parseCacheHeader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h
}

func parseCacheHeader(path string) (cacheFileHeader, error) {
	var h cacheFileHeader
	f, err := os.Open(path)
	if err != nil {
		return h, err
	}
	defer f.Close()
	b := make([]byte, 32)
	if _, err := io.ReadFull(f, b); err != nil {
		return h, fmt.Errorf("header: %w", err)
	}
	h = cacheFileHeader{
		Magic:   string(b[:6]),
		Version: binary.LittleEndian.Uint16(b[6:]),
		KeyLen:  binary.LittleEndian.Uint32(b[8:]),
		MetaLen: binary.LittleEndian.Uint32(b[12:]),
		BodyLen: binary.LittleEndian.Uint64(b[16:]),
	}
	h.BodyOff = 32 + int64(h.KeyLen) + int64(h.MetaLen)
	if h.KeyLen < 1<<16 {
		k := make([]byte, h.KeyLen)
		if _, err := io.ReadFull(f, k); err == nil {
			h.Key = string(k)
		}
	}
	if fi, err := f.Stat(); err == nil {
		h.FileLen = fi.Size()
	}
	return h, nil
}

// keyHasPath reports whether a cache key holds path as its whole path part
// (the key is the host, path, query... with separators between them).
func keyHasPath(key, path string) bool {
	for rest := key; ; {
		i := strings.Index(rest, path)
		if i < 0 {
			return false
		}
		rest = rest[i+len(path):]
		if rest == "" || !pathChar.MatchString(rest[:1]) {
			return true
		}
	}
}

var pathChar = regexp.MustCompile(`[A-Za-z0-9/._~%-]`)

// cacheFileFor waits (bounded) for the cache file whose key holds obj's
// path and returns it (the tests give each object its own path).
func cacheFileFor(t *testing.T, data string, obj sizedObject) (string, cacheFileHeader) {
	t.Helper()
	var path string
	var h cacheFileHeader
	eventually(t, 10*time.Second, "a cache file for "+obj.uri, func() bool {
		for _, f := range cacheFiles(t, data) {
			if fh, err := parseCacheHeader(f); err == nil && keyHasPath(fh.Key, obj.path) {
				h = fh
				path = f
				return true
			}
		}
		return false
	})
	return path, h
}

// hasCacheBody reports whether a cache file for path holds all size bytes
// of its body (the fill has been committed to disk).
func hasCacheBody(t *testing.T, data, path string, size int64) bool {
	for _, f := range cacheFiles(t, data) {
		if h, err := parseCacheHeader(f); err == nil && keyHasPath(h.Key, path) &&
			h.BodyLen == uint64(size) && h.FileLen == h.BodyOff+int64(size) {
			return true
		}
	}
	return false
}

// waitCacheBody waits (bounded) until a cache file for path holds all size
// bytes of its body; false if none did within the wait.
func waitCacheBody(t *testing.T, data, path string, size int64, within time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(within)
	for !hasCacheBody(t, data, path, size) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// flipByte inverts the byte at off in the file at path.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// countMatches counts the lines of out matching re.
func countMatches(out string, re *regexp.Regexp) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if re.MatchString(l) {
			n++
		}
	}
	return n
}

// diskLoaded returns the objects and dropped counts of the "disk tier
// loaded" log line.
var diskLoadedRe = regexp.MustCompile(`msg="disk tier loaded".* objects=(\d+) .*dropped=(\d+)`)

func diskLoaded(t *testing.T, ph *pharos) (objects, dropped int) {
	t.Helper()
	// stderr is copied by its own goroutine: the line may trail the banner.
	var m []string
	deadline := time.Now().Add(5 * time.Second)
	for m = diskLoadedRe.FindStringSubmatch(ph.Output()); m == nil && time.Now().Before(deadline); m = diskLoadedRe.FindStringSubmatch(ph.Output()) {
		time.Sleep(20 * time.Millisecond)
	}
	if m == nil {
		t.Errorf("no \"disk tier loaded\" log line with objects= and dropped=:\n%s", ph.Output())
		return -1, -1
	}
	objects, _ = strconv.Atoi(m[1])
	dropped, _ = strconv.Atoi(m[2])
	return objects, dropped
}

// vmRSS returns the resident set size of process pid in bytes.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) < 1 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, err
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// streamed is what streamCheck saw.
type streamed struct {
	Status   int
	Header   http.Header
	Len      int64 // body bytes received
	Mismatch int64 // offset of the first wrong byte, -1 if none
	Err      error
}

// streamCheck GETs url and compares the body, as it arrives and without
// holding it, with bytes [off, ...) of path's size= body.
func streamCheck(url, path string, off int64, hdr ...string) streamed {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return streamed{Err: err, Mismatch: -1}
	}
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(k, strings.TrimSpace(v))
	}
	c := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}, Timeout: 2 * time.Minute}
	resp, err := c.Do(req)
	if err != nil {
		return streamed{Err: err, Mismatch: -1}
	}
	defer resp.Body.Close()
	s := streamed{Status: resp.StatusCode, Header: resp.Header, Mismatch: -1}
	const chunk = 1 << 20
	buf := make([]byte, chunk)
	for {
		n, err := io.ReadFull(resp.Body, buf)
		if n > 0 {
			if s.Mismatch < 0 {
				want := testorigin.Expected(path, off+s.Len, int64(n))
				if !bytes.Equal(buf[:n], want) {
					for i := 0; i < n; i++ {
						if buf[i] != want[i] {
							s.Mismatch = s.Len + int64(i)
							break
						}
					}
				}
			}
			s.Len += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return s
		}
		if err != nil {
			s.Err = err
			return s
		}
	}
}
