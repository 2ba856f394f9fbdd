package store

import (
	"sync/atomic"
	"unsafe"
)

// Object is one cached item: caller-defined metadata and a body.
//
// An object stored in memory is frozen by Memory.Put once its body is
// complete (frozen.go): its key, its metadata's bytes and, when small, its
// body then share one allocation, and Body is nil. Read a body through the
// object's methods (Chunks, NewReader, State, BodyLen), which know every
// form; Body itself is only for the writer of a growing body.
type Object struct {
	Meta any   // opaque to the store; immutable once the object is shared
	Body *Body // may still be growing while the object is shared with waiters; nil when frozen inline or on disk
	// MetaSize is the caller's estimate of Meta's bytes, for size accounting.
	MetaSize int

	file *fileRef // set for objects of the disk tier

	key  string // for a frozen object, a view of its single allocation
	cost int64
	prev *Object // queue links, guarded by the eviction lock
	next *Object
	// A body frozen inline lies ilen bytes from ioff bytes past the start
	// of key (the same allocation).
	ioff, ilen uint32
	freq       atomic.Int32 // S3-FIFO access counter, 0..3
	queue      uint8        // which queue holds it
	flags      uint8
}

const (
	flagFrozen uint8 = 1 << iota // key and metadata bytes share one allocation
	flagInline                   // the body is in that allocation too
)

// NewObject returns an object for meta with an empty, writable body.
func NewObject(meta any, metaSize int) *Object {
	return &Object{Meta: meta, MetaSize: metaSize, Body: NewBody()}
}

// WithMeta returns a new object that shares o's body under new metadata (a
// 304 revalidation updates headers, RFC 9111 §4.3.4, but not the bytes).
func (o *Object) WithMeta(meta any, metaSize int) *Object {
	n := &Object{Meta: meta, MetaSize: metaSize, Body: o.Body, file: o.file}
	if o.flags&flagInline != 0 {
		// Share the frozen bytes; Put freezes n again with its new metadata.
		n.Body = CompleteBody(unsafe.Slice(unsafe.StringData(o.inline()), len(o.inline())))
	}
	return n
}

// Key is the key the object was stored under ("" before it is stored).
func (o *Object) Key() string { return o.key }

// Frozen reports whether the object is in its compact stored form.
func (o *Object) Frozen() bool { return o.flags&flagFrozen != 0 }

// inline is the body kept in the frozen allocation ("" when it is not).
func (o *Object) inline() string {
	if o.flags&flagInline == 0 || o.ilen == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(o.key)), o.ioff)), o.ilen)
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
	case o.file != nil && o.Body == nil:
		return o.file.bodyLen, true, nil
	case o.Body == nil:
		return 0, false, ErrDetached
	}
	return o.Body.State()
}

func (o *Object) touch() {
	if f := o.freq.Load(); f < 3 {
		o.freq.CompareAndSwap(f, f+1)
	}
}
