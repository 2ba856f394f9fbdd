package store

import (
	"sync/atomic"
	"unsafe"
)

// Object is one cached item: caller-defined metadata and a body.
//
// An object stored in memory is frozen by Memory.Put once its body is
// complete and small (frozen.go): the Object itself, its metadata, its key,
// its metadata's bytes and its body then share one allocation, and the
// Object is only the 32 bytes every stored object needs (queue links,
// offsets, counters). Everything else (metadata, a growing body, key, file,
// cost) lives in objExt, which follows the Object in the allocations of
// its other forms. Read a body through the object's methods (Chunks,
// NewReader, State, BodyLen), which know every form. Make objects with
// NewObject, NewObjectWithBody or WithMeta.
type Object struct {
	prev, next *Object // queue links, guarded by the eviction lock
	// A frozen object's bytes lie boff bytes past the Object, in its own
	// allocation: the key (klen bytes), the metadata's bytes (mlen), the
	// body (ilen) and, with flagExtra, the metadata's size outside the
	// allocation (4 bytes). Sixteen bits each: freeze keeps larger keys,
	// headers and bodies in the other form.
	boff, klen, mlen, ilen uint16
	freq                   atomic.Int32 // S3-FIFO access counter, 0..3
	queue                  uint8        // which queue holds it
	flags                  uint8        // set before the object is shared, then only read
	mtype                  uint8        // a frozen object's metadata type (frozentype.go)
}

const (
	flagFrozen uint8 = 1 << iota // the compact form: one allocation holds the object, its metadata and bytes
	flagExt                      // allocated as an extObject: objExt follows the Object
	flagExtra                    // frozen, with metadata bytes outside the allocation (their size ends its bytes)
)

// objExt is what an object in its other forms (growing, large, or on disk)
// keeps that a frozen object finds in its own allocation. It follows the
// Object in the same allocation (extObject), so a frozen object pays
// nothing for it.
type objExt struct {
	meta     any   // opaque to the store; immutable once the object is shared
	body     *Body // may still be growing while the object is shared; nil on disk
	metaSize int   // the caller's estimate of meta's bytes, for the accounting
	key      string
	file     *fileRef // set for objects of the disk tier
	cost     int64
}

type extObject struct {
	Object
	x objExt
}

const extOffset = unsafe.Offsetof(extObject{}.x)

// newExt returns an object of the ext form.
func newExt(meta any, metaSize int, body *Body) *Object {
	e := &extObject{x: objExt{meta: meta, body: body, metaSize: metaSize}}
	e.flags = flagExt
	return &e.Object
}

// ext is the object's extObject part; nil for other forms.
func (o *Object) ext() *objExt {
	if o.flags&flagExt == 0 {
		return nil
	}
	// The Object is the first field of an extObject (newExt): the pointer
	// stays inside that allocation.
	return (*objExt)(unsafe.Add(unsafe.Pointer(o), extOffset))
}

// NewObject returns an object for meta with an empty, writable body.
// metaSize is the caller's estimate of meta's bytes, for the accounting.
func NewObject(meta any, metaSize int) *Object { return newExt(meta, metaSize, NewBody()) }

// NewObjectWithBody returns an object for meta with body, which objects
// may share.
func NewObjectWithBody(meta any, metaSize int, body *Body) *Object {
	return newExt(meta, metaSize, body)
}

// WithMeta returns a new object that shares o's body under new metadata (a
// 304 revalidation updates headers, RFC 9111 §4.3.4, but not the bytes).
func (o *Object) WithMeta(meta any, metaSize int) *Object {
	n := newExt(meta, metaSize, o.Body())
	n.ext().file = o.file()
	if o.flags&flagFrozen != 0 {
		// Share the frozen bytes; Put freezes n again with its new metadata.
		in := o.inline()
		n.ext().body = CompleteBody(unsafe.Slice(unsafe.StringData(in), len(in)))
	}
	return n
}

// Meta is the metadata the object was made with (for a frozen object, its
// copy in the object's allocation). It does not allocate.
func (o *Object) Meta() any {
	if o.flags&flagFrozen != 0 {
		return frozenMeta(o)
	}
	if x := o.ext(); x != nil {
		return x.meta
	}
	return nil
}

// MetaSize is the caller's estimate of Meta's bytes (for a frozen object,
// only those outside its own allocation).
func (o *Object) MetaSize() int {
	if o.flags&flagFrozen != 0 {
		return int(frozenExtra(o))
	}
	if x := o.ext(); x != nil {
		return x.metaSize
	}
	return 0
}

// Body is the body of a growing or large object, for its writer, and nil
// for frozen and disk objects: read bodies through Chunks, NewReader or
// State, which know every form.
func (o *Object) Body() *Body {
	if x := o.ext(); x != nil {
		return x.body
	}
	return nil
}

// Key is the key the object was stored under ("" before it is stored).
func (o *Object) Key() string {
	if o.flags&flagFrozen != 0 {
		return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(o), o.boff)), o.klen)
	}
	if x := o.ext(); x != nil {
		return x.key
	}
	return ""
}

// Frozen reports whether the object is in its compact stored form.
func (o *Object) Frozen() bool { return o.flags&flagFrozen != 0 }

// file is where a disk object's bytes are (nil for memory objects).
func (o *Object) file() *fileRef {
	if x := o.ext(); x != nil {
		return x.file
	}
	return nil
}

// inline is a frozen object's body ("" for other forms).
func (o *Object) inline() string {
	if o.flags&flagFrozen == 0 || o.ilen == 0 {
		return ""
	}
	off := uintptr(o.boff) + uintptr(o.klen) + uintptr(o.mlen)
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(o), off)), o.ilen)
}

// Chunks appends the body's pieces to dst when the body is complete in
// memory (for a vectored write on a hit); ok is false while it is still
// being written, when it is detached, and for disk objects. The pieces are
// shared and must not be modified.
func (o *Object) Chunks(dst [][]byte) ([][]byte, bool) {
	if o.flags&flagFrozen != 0 {
		if in := o.inline(); in != "" {
			dst = append(dst, unsafe.Slice(unsafe.StringData(in), len(in)))
		}
		return dst, true
	}
	b := o.Body()
	if b == nil {
		return dst, false
	}
	return b.Chunks(dst)
}

// copyBody copies a complete body into dst (as Chunks would list it, but
// without a list).
func (o *Object) copyBody(dst []byte) {
	if o.flags&flagFrozen != 0 {
		copy(dst, o.inline())
		return
	}
	b := o.Body()
	b.mu.Lock()
	head := b.head
	b.mu.Unlock()
	for c := head.next.Load(); c != nil; c = c.next.Load() {
		dst = dst[copy(dst, c.data):]
	}
}

// NewReader returns a reader at the start of the body (see Body.NewReader).
func (o *Object) NewReader() (*Reader, error) {
	if o.flags&flagFrozen != 0 {
		in := o.inline()
		return CompleteBody(unsafe.Slice(unsafe.StringData(in), len(in))).NewReader()
	}
	b := o.Body()
	if b == nil {
		return nil, ErrDetached
	}
	return b.NewReader()
}

// State reports the body's size so far, whether it is complete, and the
// error its writer closed it with (see Body.State).
func (o *Object) State() (size int64, done bool, err error) {
	if o.flags&flagFrozen != 0 {
		return int64(o.ilen), true, nil
	}
	switch b, f := o.Body(), o.file(); {
	case b != nil:
		return b.State()
	case f != nil:
		return f.bodyLen, true, nil
	}
	return 0, false, ErrDetached
}

// BodyLen is the length of the object's body (so far, while it grows).
func (o *Object) BodyLen() int64 {
	size, _, _ := o.State()
	return size
}

// OnDisk reports whether o's body is in a cache file (read it with Open).
func (o *Object) OnDisk() bool { return o.Body() == nil && o.file() != nil }

// cost is what the object is charged while stored. It must not change
// while the object is stored: the queues subtract what they added.
func (o *Object) cost() int64 {
	if x := o.ext(); x != nil {
		return x.cost
	}
	if o.flags&flagFrozen != 0 {
		return frozenCost(o)
	}
	return 0
}

func (o *Object) touch() {
	if f := o.freq.Load(); f < 3 {
		o.freq.CompareAndSwap(f, f+1)
	}
}
