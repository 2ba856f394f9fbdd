package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// rawCodec keeps metadata as the bytes of a string.
type rawCodec struct{}

func (rawCodec) EncodeMeta(m any) ([]byte, error) { return []byte(m.(string)), nil }
func (rawCodec) DecodeMeta(b []byte) (any, int, error) {
	return string(b), len(b), nil
}

func writeDiskObject(t testing.TB, d *Disk, key, meta string, body []byte) *Object {
	t.Helper()
	w, err := d.NewWriter(key, meta, len(meta))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(body); err != nil {
		t.Fatal(err)
	}
	o, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func readDiskBody(t testing.TB, d *Disk, o *Object) ([]byte, error) {
	t.Helper()
	f, err := d.Open(o)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, o.BodyLen()))
}

func TestDiskRoundTripAndReload(t *testing.T) {
	dir := t.TempDir()
	d, _, err := OpenDisk(dir, 1<<20, rawCodec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeDiskObject(t, d, "k1", "meta-1", []byte("hello"))
	writeDiskObject(t, d, "k2", "meta-2", bytes.Repeat([]byte("x"), 1000))

	d2, st, err := OpenDisk(dir, 1<<20, rawCodec{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Objects != 2 || st.Dropped != 0 {
		t.Fatalf("reload: %+v, want 2 objects", st)
	}
	o := d2.Get([]byte("k1"))
	if o == nil || o.Meta().(string) != "meta-1" {
		t.Fatalf("k1 after reload: %+v", o)
	}
	if b, err := readDiskBody(t, d2, o); err != nil || string(b) != "hello" {
		t.Fatalf("k1 body %q, %v", b, err)
	}
}

// A flipped body byte is found on the first open after a reload; the file
// is dropped and ErrCorrupt returned.
func TestDiskCorruptBodyDetected(t *testing.T) {
	dir := t.TempDir()
	d, _, _ := OpenDisk(dir, 1<<20, rawCodec{}, nil)
	o := writeDiskObject(t, d, "k", "m", bytes.Repeat([]byte("abc"), 100))
	path := o.file().path
	b, _ := os.ReadFile(path)
	b[len(b)-5] ^= 0xff
	os.WriteFile(path, b, 0o600)

	d2, _, _ := OpenDisk(dir, 1<<20, rawCodec{}, nil)
	o2 := d2.Get([]byte("k"))
	if o2 == nil {
		t.Fatal("the header is intact, so the entry should load")
	}
	if _, err := readDiskBody(t, d2, o2); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open of a corrupt body: %v, want ErrCorrupt", err)
	}
	if d2.Get([]byte("k")) != nil || fileExists(path) {
		t.Fatal("the corrupt entry and file should be gone")
	}
}

// Truncated files, flipped header bytes and unknown versions are dropped
// at load.
func TestDiskBadFilesDroppedAtLoad(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"truncated":      func(b []byte) []byte { return b[:len(b)-3] },
		"header flipped": func(b []byte) []byte { b[9] ^= 1; return b },
		"meta flipped":   func(b []byte) []byte { b[diskHeaderSize+1] ^= 1; return b },
		"version 9":      func(b []byte) []byte { b[6] = 9; return b },
		"not ours":       func([]byte) []byte { return []byte("hello world, not a cache file at all") },
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			d, _, _ := OpenDisk(dir, 1<<20, rawCodec{}, nil)
			o := writeDiskObject(t, d, "bad", "m", []byte("body bytes"))
			writeDiskObject(t, d, "good", "m", []byte("fine"))
			b, _ := os.ReadFile(o.file().path)
			os.WriteFile(o.file().path, damage(b), 0o600)
			d2, st, _ := OpenDisk(dir, 1<<20, rawCodec{}, nil)
			if st.Dropped != 1 || d2.Get([]byte("bad")) != nil || d2.Get([]byte("good")) == nil {
				t.Fatalf("%+v: bad=%v good=%v", st, d2.Get([]byte("bad")), d2.Get([]byte("good")))
			}
		})
	}
}

func TestDiskEvictsWithinBound(t *testing.T) {
	d, _, _ := OpenDisk(t.TempDir(), 64<<10, rawCodec{}, nil)
	body := make([]byte, 4<<10)
	for i := range 100 {
		writeDiskObject(t, d, fmt.Sprint("k", i), "m", body)
	}
	if d.Used() > 64<<10 {
		t.Fatalf("used %d over the 64 KiB bound", d.Used())
	}
	files := 0
	filepath.WalkDir(d.dir, func(p string, e os.DirEntry, _ error) error {
		if e != nil && e.Type().IsRegular() {
			files++
		}
		return nil
	})
	if int64(files) != d.Len() {
		t.Fatalf("%d files on disk for %d indexed objects: evicted files must be deleted", files, d.Len())
	}
}

// A deleted cache directory is recreated by the next write.
func TestDiskRecreatesDeletedDirectory(t *testing.T) {
	dir := t.TempDir()
	d, _, _ := OpenDisk(dir, 1<<20, rawCodec{}, nil)
	os.RemoveAll(dir)
	o := writeDiskObject(t, d, "k", "m", []byte("again"))
	if b, err := readDiskBody(t, d, o); err != nil || string(b) != "again" {
		t.Fatalf("body %q, %v", b, err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// BenchmarkDiskLoad100k measures how long a restart takes to rebuild the
// index of 100,000 cached objects (1 KiB each):
// go test -run x -bench DiskLoad -benchtime 1x ./internal/store/
func BenchmarkDiskLoad100k(b *testing.B) {
	dir := b.TempDir()
	d, _, _ := OpenDisk(dir, 1<<30, rawCodec{}, nil)
	body := make([]byte, 1024)
	meta := `{"v":1,"status":200,"header":{"Content-Type":["text/plain"],"Cache-Control":["max-age=3600"]}}`
	for i := range 100_000 {
		writeDiskObject(b, d, fmt.Sprintf("example.com\x00/objects/%d\x00\x00", i), meta, body)
	}
	b.ResetTimer()
	for range b.N {
		_, st, err := OpenDisk(dir, 1<<30, rawCodec{}, nil)
		if err != nil || st.Objects != 100_000 {
			b.Fatalf("%+v %v", st, err)
		}
		b.ReportMetric(st.Took.Seconds(), "s/load")
	}
}
