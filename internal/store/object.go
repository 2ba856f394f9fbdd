package store

import (
	"sync/atomic"
	"unsafe"
)

// Object is one cached item: caller-defined metadata and a body.
//
// An object stored in memory is frozen by Memory.Put once its body is
// complete (frozen.go): the Object itself, its metadata, its key, its
// metadata's bytes and, when small, its body then share one allocation, and
// Body is nil. Read a body through the object's methods (Chunks, NewReader,
// State, BodyLen), which know every form; Body itself is only for the writer
// of a growing body. Make objects with NewObject or WithMeta: an Object
// written as a literal carries none of the store's own fields and is copied
// when stored.
type Object struct {
	Meta any   // opaque to the store; immutable once the object is shared
	Body *Body // may still be growing while the object is shared with waiters; nil when frozen inline or on disk
	// MetaSize is the caller's estimate of Meta's bytes, for size accounting
	// (for a frozen object, only those outside its own allocation).
	MetaSize int

	prev, next *Object // queue links, guarded by the eviction lock
	// A frozen object's bytes lie boff bytes past the Object, in its own
	// allocation: the key (klen bytes), the metadata's bytes (mlen) and,
	// when inline, the body (ilen). Sixteen bits each: freeze keeps larger
	// keys and headers in the other form, and inline bodies are at most
	// inlineMax.
	boff, klen, mlen, ilen uint16
	freq                   atomic.Int32 // S3-FIFO access counter, 0..3
	queue                  uint8        // which queue holds it
	flags                  uint8        // set before the object is shared, then only read
}

const (
	flagFrozen uint8 = 1 << iota // the compact form: one allocation holds the object and its bytes
	flagInline                   // the body is in that allocation too
	flagExt                      // allocated as an extObject: key, file and cost follow the Object
)

// objExt is what an object in its other forms (growing, or on disk) keeps
// that a frozen object finds in its own bytes. It follows the Object in
// the same allocation (extObject), so a frozen object pays nothing for it.
type objExt struct {
	key  string
	file *fileRef // set for objects of the disk tier
	cost int64
}

type extObject struct {
	Object
	x objExt
}

const extOffset = unsafe.Offsetof(extObject{}.x)

// newExt returns an empty object with room for its key, file and cost.
func newExt() *Object {
	e := &extObject{}
	e.flags = flagExt
	return &e.Object
}

// adopt returns an object of the ext form with o's metadata and body, for
// an Object written as a literal.
func adopt(o *Object) *Object {
	n := newExt()
	n.Meta, n.MetaSize, n.Body = o.Meta, o.MetaSize, o.Body
	return n
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
func NewObject(meta any, metaSize int) *Object {
	o := newExt()
	o.Meta, o.MetaSize, o.Body = meta, metaSize, NewBody()
	return o
}

// WithMeta returns a new object that shares o's body under new metadata (a
// 304 revalidation updates headers, RFC 9111 §4.3.4, but not the bytes).
func (o *Object) WithMeta(meta any, metaSize int) *Object {
	n := newExt()
	n.Meta, n.MetaSize, n.Body = meta, metaSize, o.Body
	n.ext().file = o.file()
	if o.flags&flagInline != 0 {
		// Share the frozen bytes; Put freezes n again with its new metadata.
		in := o.inline()
		n.Body = CompleteBody(unsafe.Slice(unsafe.StringData(in), len(in)))
	}
	return n
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

// inline is the body kept in the frozen allocation ("" when it is not).
func (o *Object) inline() string {
	if o.flags&flagInline == 0 || o.ilen == 0 {
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
	if o.flags&flagInline != 0 {
		if in := o.inline(); in != "" {
			dst = append(dst, unsafe.Slice(unsafe.StringData(in), len(in)))
		}
		return dst, true
	}
	if o.Body == nil {
		return dst, false
	}
	return o.Body.Chunks(dst)
}

// copyBody copies a complete body into dst (as Chunks would list it, but
// without a list).
func (o *Object) copyBody(dst []byte) {
	if o.flags&flagInline != 0 {
		copy(dst, o.inline())
		return
	}
	o.Body.mu.Lock()
	head := o.Body.head
	o.Body.mu.Unlock()
	for c := head.next.Load(); c != nil; c = c.next.Load() {
		dst = dst[copy(dst, c.data):]
	}
}

// NewReader returns a reader at the start of the body (see Body.NewReader).
func (o *Object) NewReader() (*Reader, error) {
	if o.flags&flagInline != 0 {
		in := o.inline()
		return CompleteBody(unsafe.Slice(unsafe.StringData(in), len(in))).NewReader()
	}
	if o.Body == nil {
		return nil, ErrDetached
	}
	return o.Body.NewReader()
}

// State reports the body's size so far, whether it is complete, and the
// error its writer closed it with (see Body.State).
func (o *Object) State() (size int64, done bool, err error) {
	switch {
	case o.flags&flagInline != 0:
		return int64(o.ilen), true, nil
	case o.Body == nil && o.file() != nil:
		return o.file().bodyLen, true, nil
	case o.Body == nil:
		return 0, false, ErrDetached
	}
	return o.Body.State()
}

// BodyLen is the length of the object's body (so far, while it grows).
func (o *Object) BodyLen() int64 {
	size, _, _ := o.State()
	return size
}

// OnDisk reports whether o's body is in a cache file (read it with Open).
func (o *Object) OnDisk() bool { return o.Body == nil && o.file() != nil }

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
