package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// MetaCodec turns an object's metadata into bytes and back, so the disk
// tier can keep what the store itself does not understand.
type MetaCodec interface {
	EncodeMeta(meta any) ([]byte, error)
	// DecodeMeta returns the metadata and its size estimate.
	DecodeMeta(b []byte) (meta any, size int, err error)
}

// Disk is a size-bounded tier of cache files under one directory, with the
// same S3-FIFO eviction as memory. Its index lives in memory and is rebuilt
// at start by reading each file's header, key and metadata.
type Disk struct {
	dir      string // …/cache/v1
	maxBytes int64
	codec    MetaCodec
	log      *slog.Logger

	mu    sync.Mutex // guards index and evict
	index map[string]*Object
	evict evictor
	used  atomic.Int64
	count atomic.Int64

	failing  atomic.Bool // a write failed; cleared by the next success
	tooLarge atomic.Bool // an object larger than the tier was refused (logged once)
	seq      atomic.Uint64
}

// fileRef is where an object's bytes live on disk.
type fileRef struct {
	path     string
	bodyOff  int64
	bodyLen  int64
	bodyCRC  uint32
	verified atomic.Bool // the body's checksum has been checked (or we wrote it)
}

// diskObject returns the index entry of a cache file.
func diskObject(meta any, metaSize int, key string, cost int64, ref *fileRef) *Object {
	o := newExt(meta, metaSize, nil)
	x := o.ext()
	x.key, x.cost, x.file = key, cost, ref
	return o
}

// LoadStats says what OpenDisk found.
type LoadStats struct {
	Objects, Bytes, Dropped int64
	Took                    time.Duration
}

// OpenDisk opens (creating it if needed) a disk tier under dir bounded to
// maxBytes and loads the index of what a previous run left there.
func OpenDisk(dir string, maxBytes int64, codec MetaCodec, log *slog.Logger) (*Disk, LoadStats, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Disk{dir: filepath.Join(dir, "v1"), maxBytes: maxBytes, codec: codec, log: log, index: map[string]*Object{}}
	d.evict.init(maxBytes)
	if err := os.MkdirAll(d.tmpDir(), 0o700); err != nil {
		return nil, LoadStats{}, fmt.Errorf("store: disk tier: %w", err)
	}
	// Files still under tmp/ are fills a crash interrupted.
	if ents, err := os.ReadDir(d.tmpDir()); err == nil {
		for _, e := range ents {
			os.Remove(filepath.Join(d.tmpDir(), e.Name()))
		}
	}
	st := d.load()
	return d, st, nil
}

func (d *Disk) tmpDir() string { return filepath.Join(d.dir, "tmp") }

func keyHash(key string) [32]byte { return sha256.Sum256([]byte(key)) }

func (d *Disk) pathFor(h [32]byte) string {
	name := hex.EncodeToString(h[:16])
	return filepath.Join(d.dir, name[:2], name)
}

// MaxBytes is the tier's size bound.
func (d *Disk) MaxBytes() int64 { return d.maxBytes }

// Used is the bytes of the files in the index.
func (d *Disk) Used() int64 { return d.used.Load() }

// Len is the number of objects in the index.
func (d *Disk) Len() int64 { return d.count.Load() }

// Get returns the object stored under key, or nil. Its Body() is nil: read it
// with Open.
func (d *Disk) Get(key []byte) *Object {
	d.mu.Lock()
	o := d.index[string(key)]
	d.mu.Unlock()
	if o != nil {
		o.touch()
	}
	return o
}

// Remove drops key's object and deletes its file.
func (d *Disk) Remove(key string) bool {
	d.mu.Lock()
	o := d.index[key]
	if o != nil {
		d.dropLocked(o)
	}
	d.mu.Unlock()
	if o != nil {
		os.Remove(o.file().path)
	}
	return o != nil
}

// removeIf drops key's object only if it is o (or shares its file).
func (d *Disk) removeIf(key string, o *Object) bool {
	d.mu.Lock()
	cur := d.index[key]
	if cur == nil || cur.file().path != o.file().path {
		d.mu.Unlock()
		return false
	}
	d.dropLocked(cur)
	d.mu.Unlock()
	os.Remove(cur.file().path)
	return true
}

// Range calls fn for every object in the index until fn returns false.
func (d *Disk) Range(fn func(key string, o *Object) bool) {
	d.mu.Lock()
	all := make([]*Object, 0, len(d.index))
	for _, o := range d.index {
		all = append(all, o)
	}
	d.mu.Unlock()
	for _, o := range all {
		if !fn(o.Key(), o) {
			return
		}
	}
}

func (d *Disk) dropLocked(o *Object) {
	if d.index[o.Key()] == o {
		delete(d.index, o.Key())
	}
	if d.evict.remove(o) {
		d.used.Add(-o.cost())
		d.count.Add(-1)
	}
}

// insert puts a committed object in the index, evicting to make room, and
// deletes the files of what it evicted or replaced.
func (d *Disk) insert(o *Object) {
	var doomed []string
	d.mu.Lock()
	if old := d.index[o.Key()]; old != nil {
		d.dropLocked(old)
		if old.file().path != o.file().path {
			doomed = append(doomed, old.file().path)
		}
	}
	for d.used.Load()+o.cost() > d.maxBytes {
		v, toGhost := d.evict.victim()
		if v == nil {
			break
		}
		if toGhost {
			h := keyHash(v.Key())
			d.evict.ghostAdd(binary.LittleEndian.Uint64(h[:8]))
		}
		delete(d.index, v.Key())
		d.used.Add(-v.cost())
		d.count.Add(-1)
		doomed = append(doomed, v.file().path)
	}
	h := keyHash(o.Key())
	ghost := d.evict.ghostHas(binary.LittleEndian.Uint64(h[:8]))
	d.index[o.Key()] = o
	d.evict.insert(o, ghost)
	d.used.Add(o.cost())
	d.count.Add(1)
	d.mu.Unlock()
	for _, p := range doomed {
		os.Remove(p)
	}
}

// Open returns o's file positioned at the start of its body. The first open
// of a file this process did not write reads the whole body and checks its
// checksum: a corrupt file is dropped and ErrCorrupt returned, so a viewer
// never receives bytes that differ from what the origin sent.
func (d *Disk) Open(o *Object) (*os.File, error) {
	f, err := os.Open(o.file().path)
	if err != nil {
		d.Remove(o.Key())
		return nil, fmt.Errorf("store: open cache file: %w", err)
	}
	if !o.file().verified.Load() {
		c := crc32.New(castagnoli)
		n, err := io.Copy(c, io.NewSectionReader(f, o.file().bodyOff, o.file().bodyLen+1))
		if err != nil || n != o.file().bodyLen || c.Sum32() != o.file().bodyCRC {
			f.Close()
			d.log.Warn("cache file failed its checksum; dropped", "path", o.file().path, "key", o.Key())
			d.Remove(o.Key())
			return nil, ErrCorrupt
		}
		o.file().verified.Store(true)
	}
	if _, err := f.Seek(o.file().bodyOff, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: seek cache file: %w", err)
	}
	return f, nil
}

// load rebuilds the index from the files under the directory, reading
// only each header, key and metadata, with a few readers in parallel.
func (d *Disk) load() LoadStats {
	start := time.Now()
	var st LoadStats
	var dropped atomic.Int64
	paths := make(chan string, 256)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var loaded []*Object
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []*Object
			for p := range paths {
				o, err := d.readIndexEntry(p)
				if err != nil {
					d.log.Warn("dropping unreadable cache file", "path", p, "err", err)
					os.Remove(p)
					dropped.Add(1)
					continue
				}
				mine = append(mine, o)
			}
			mu.Lock()
			loaded = append(loaded, mine...)
			mu.Unlock()
		}()
	}
	subdirs, _ := os.ReadDir(d.dir)
	for _, sd := range subdirs {
		if !sd.IsDir() || len(sd.Name()) != 2 {
			continue
		}
		ents, _ := os.ReadDir(filepath.Join(d.dir, sd.Name()))
		for _, e := range ents {
			if e.Type().IsRegular() {
				paths <- filepath.Join(d.dir, sd.Name(), e.Name())
			}
		}
	}
	close(paths)
	wg.Wait()
	for _, o := range loaded {
		d.insert(o)
	}
	st.Objects, st.Bytes, st.Dropped = d.count.Load(), d.used.Load(), dropped.Load()
	st.Took = time.Since(start)
	return st
}

func (d *Disk) readIndexEntry(path string) (*Object, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, diskHeaderSize)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, fmt.Errorf("%w: short header", ErrCorrupt)
	}
	h, err := decodeHeader(head)
	if err != nil {
		return nil, err
	}
	if fi.Size() != h.fileSize() {
		return nil, fmt.Errorf("%w: size %d, header says %d", ErrCorrupt, fi.Size(), h.fileSize())
	}
	km := make([]byte, int(h.keyLen)+int(h.metaLen))
	if _, err := io.ReadFull(f, km); err != nil {
		return nil, fmt.Errorf("%w: short key or meta", ErrCorrupt)
	}
	key, metaBytes := km[:h.keyLen], km[h.keyLen:]
	if err := verifyHead(head, h, key, metaBytes); err != nil {
		return nil, err
	}
	kh := keyHash(string(key))
	if d.pathFor(kh) != path {
		return nil, fmt.Errorf("%w: file name does not match its key", ErrCorrupt)
	}
	meta, metaSize, err := d.codec.DecodeMeta(metaBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrCorrupt, err)
	}
	return diskObject(meta, metaSize, string(key), fi.Size(),
		&fileRef{path: path, bodyOff: h.bodyOffset(), bodyLen: int64(h.bodyLen), bodyCRC: h.bodyCRC}), nil
}

// DiskWriter builds one cache file as a fill's bytes arrive.
type DiskWriter struct {
	d        *Disk
	key      string
	meta     []byte
	metaSize int
	metaAny  any
	f        *os.File
	tmp      string
	crc      uint32
	n        int64
	err      error
}

// NewWriter starts a cache file for key. Errors (a full or read-only
// disk, a missing directory that cannot be recreated) are returned so the
// caller can carry on without the disk tier for this object.
func (d *Disk) NewWriter(key string, meta any, metaSize int) (*DiskWriter, error) {
	mb, err := d.codec.EncodeMeta(meta)
	if err != nil {
		return nil, fmt.Errorf("store: encode metadata: %w", err)
	}
	tmp := filepath.Join(d.tmpDir(), fmt.Sprintf("%d-%d", os.Getpid(), d.seq.Add(1)))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		// The cache directory was deleted under us: recreate it.
		if merr := os.MkdirAll(d.tmpDir(), 0o700); merr == nil {
			f, err = os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		}
	}
	if err != nil {
		return nil, d.writeFailed(fmt.Errorf("store: create cache file: %w", err))
	}
	w := &DiskWriter{d: d, key: key, meta: mb, metaSize: metaSize, metaAny: meta, f: f, tmp: tmp}
	// Room for the header, written last; then the key and the metadata.
	if _, err := f.Write(make([]byte, diskHeaderSize)); err != nil {
		w.Abort()
		return nil, d.writeFailed(err)
	}
	if _, err := f.Write([]byte(key)); err != nil {
		w.Abort()
		return nil, d.writeFailed(err)
	}
	if _, err := f.Write(mb); err != nil {
		w.Abort()
		return nil, d.writeFailed(err)
	}
	return w, nil
}

// writeFailed logs a disk write failure once per run of failures.
func (d *Disk) writeFailed(err error) error {
	if d.failing.CompareAndSwap(false, true) {
		d.log.Error("disk tier write failed; objects are served without it until writes succeed again", "err", err)
	}
	return err
}

// Write appends body bytes. After a failure it does nothing and reports it.
func (w *DiskWriter) Write(p []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.n+int64(len(p)) > w.d.maxBytes {
		w.err = fmt.Errorf("store: object larger than the disk tier")
		if w.d.tooLarge.CompareAndSwap(false, true) {
			w.d.log.Warn("an object larger than the whole disk tier is served without a disk copy (logged once)",
				"key", w.key, "disk_tier_bytes", w.d.maxBytes)
		}
		w.Abort()
		return w.err
	}
	if _, err := w.f.Write(p); err != nil {
		w.err = w.d.writeFailed(fmt.Errorf("store: write cache file: %w", err))
		w.Abort()
		return w.err
	}
	w.crc = crc32.Update(w.crc, castagnoli, p)
	w.n += int64(len(p))
	return nil
}

// Commit writes the header, moves the file into place and indexes it.
func (w *DiskWriter) Commit() (*Object, error) {
	if w.err != nil {
		return nil, w.err
	}
	h := diskHeader{keyLen: uint32(len(w.key)), metaLen: uint32(len(w.meta)), bodyLen: uint64(w.n), bodyCRC: w.crc}
	head := h.encode([]byte(w.key), w.meta)
	if _, err := w.f.WriteAt(head, 0); err != nil {
		w.Abort()
		return nil, w.d.writeFailed(fmt.Errorf("store: write cache header: %w", err))
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.tmp)
		return nil, w.d.writeFailed(fmt.Errorf("store: close cache file: %w", err))
	}
	w.f = nil
	path := w.d.pathFor(keyHash(w.key))
	err := os.Rename(w.tmp, path)
	if errors.Is(err, fs.ErrNotExist) {
		if merr := os.MkdirAll(filepath.Dir(path), 0o700); merr == nil {
			err = os.Rename(w.tmp, path)
		}
	}
	if err != nil {
		os.Remove(w.tmp)
		return nil, w.d.writeFailed(fmt.Errorf("store: place cache file: %w", err))
	}
	w.d.failing.Store(false)
	ref := &fileRef{path: path, bodyOff: h.bodyOffset(), bodyLen: w.n, bodyCRC: w.crc}
	ref.verified.Store(true)
	o := diskObject(w.metaAny, w.metaSize, w.key, h.fileSize(), ref)
	w.d.insert(o)
	return o, nil
}

// Abort discards the file being written.
func (w *DiskWriter) Abort() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
		os.Remove(w.tmp)
	}
	if w.err == nil {
		w.err = errors.New("store: cache file aborted")
	}
}
