package store

import "sync/atomic"

// objectOverhead approximates the index's own bytes per object (struct, map
// slot, queue links), so many tiny objects cannot overrun the size bound.
const objectOverhead = 160

// Object is one cached item: caller-defined metadata and a body.
type Object struct {
	Meta any   // opaque to the store; immutable once the object is shared
	Body *Body // may still be growing while the object is shared with waiters
	// MetaSize is the caller's estimate of Meta's bytes, for size accounting.
	MetaSize int

	file *fileRef // set for objects of the disk tier

	key   string
	cost  int64
	freq  atomic.Int32 // S3-FIFO access counter, 0..3
	queue uint8        // which queue holds it
	prev  *Object      // queue links, guarded by the eviction lock
	next  *Object
}

// NewObject returns an object for meta with an empty, writable body.
func NewObject(meta any, metaSize int) *Object {
	return &Object{Meta: meta, MetaSize: metaSize, Body: NewBody()}
}

// WithMeta returns a new object that shares o's body under new metadata (a
// 304 revalidation updates headers, RFC 9111 §4.3.4, but not the bytes).
func (o *Object) WithMeta(meta any, metaSize int) *Object {
	return &Object{Meta: meta, MetaSize: metaSize, Body: o.Body, file: o.file}
}

// Key is the key the object was stored under ("" before it is stored).
func (o *Object) Key() string { return o.key }

func (o *Object) touch() {
	if f := o.freq.Load(); f < 3 {
		o.freq.CompareAndSwap(f, f+1)
	}
}
