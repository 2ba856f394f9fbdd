package store

import (
	"reflect"
	"unsafe"
)

// The frozen form. While a body arrives it is a list of chunks that readers
// follow (body.go); once complete, Memory.Put keeps a compact copy instead:
// one allocation holding the Object, the caller's metadata struct, the key,
// the metadata's variable bytes (for the edge, its encoded response header)
// and, for small objects, the body (frozentype.go makes its type). The key
// and the lengths are not kept twice: the Object finds its bytes at a fixed
// offset from itself. Readers of the growing form carry on with it; new
// lookups find the copy.

// inlineMax bounds the allocation that holds a body inline. Up to 32 KiB
// Go's size classes waste at most 1/8; larger bodies keep their chunks,
// whose list costs little next to their bytes.
const inlineMax = 32 << 10

// Per-object bytes the store holds besides each object's own allocation,
// which Put charges so that --cache-mem bounds real memory rather than
// payload. Measured on Go 1.26 with BenchmarkMemoryPerObject (internal/edge)
// and TestCacheMemBoundsTheHeap (eviction running).
const (
	// frozenOverhead: the object's slot in its shard's index (a tag byte
	// and a pointer, at the table's load: about 14 B, index.go) and the
	// ghost queue's share (an 8-byte ring entry and a 5-byte table slot
	// for each key it remembers, at most one per object in the main queue:
	// about 16 B, ghost.go), rounded up.
	frozenOverhead = 32
	// streamOverhead: an object kept in its growing form is an Object with
	// its key, file and cost (96 B), a Body (112 B) and its sentinel chunk
	// (32 B), rounded up; its key is a copy of its own.
	streamOverhead = frozenOverhead + 256
	// chunkOverhead is each chunk's own struct and slice rounding.
	chunkOverhead = 48
)

// Freezer is implemented by metadata (a pointer to a struct) with variable
// bytes worth keeping in the object's single allocation.
type Freezer interface {
	// FrozenBytes are the bytes to copy into the frozen object.
	FrozenBytes() string
	// FreezeInto makes dst, a pointer of the receiver's type to a zero
	// value inside the frozen allocation, equal to the receiver but
	// referring to b (a view of that allocation, never modified) in place
	// of its own bytes. It returns the bytes dst's value refers to outside
	// the allocation and b, for the accounting.
	FreezeInto(dst any, b string) (extraSize int)
}

// freeze returns the compact copy of obj to store under key, or nil when obj
// stays as it is: its metadata is no Freezer, its body is not complete, it
// is frozen under key already, or its key or bytes are too large.
func freeze(key string, obj *Object) *Object {
	fz, ok := obj.Meta.(Freezer)
	if !ok || key == "" || obj.OnDisk() || (obj.Frozen() && obj.Key() == key) {
		return nil
	}
	mt := reflect.TypeOf(obj.Meta)
	if mt.Kind() != reflect.Pointer {
		return nil
	}
	types := typesFor(mt.Elem())
	if types == nil {
		return nil
	}
	size, done, err := obj.State()
	if !done || err != nil || (obj.Body != nil && !obj.Body.attached()) {
		return nil
	}
	mb := fz.FrozenBytes()
	if len(key) > maxLen16 || len(mb) > maxLen16 {
		return nil
	}
	n := len(key) + len(mb)
	inline := int64(n)+size <= inlineMax
	if inline {
		n += int(size)
	}
	ft := types.forBytes(n)
	if ft == nil {
		return nil
	}
	p := reflect.New(ft.t).UnsafePointer()
	f := (*Object)(p)
	f.flags = flagFrozen
	f.boff, f.klen, f.mlen = uint16(ft.boff), uint16(len(key)), uint16(len(mb))
	buf := unsafe.Slice((*byte)(unsafe.Add(p, ft.boff)), ft.n)
	copy(buf, key)
	copy(buf[len(key):], mb)
	if inline {
		f.flags |= flagInline
		f.ilen = uint16(size)
		obj.copyBody(buf[n-int(size):])
	} else {
		f.Body = obj.Body
		if obj.Body == nil { // inline before, too large for the new key
			in := obj.inline()
			f.Body = CompleteBody(unsafe.Slice(unsafe.StringData(in), len(in)))
		}
	}
	lines := ""
	if len(mb) > 0 {
		lines = unsafe.String(&buf[len(key)], len(mb))
	}
	dst := reflect.NewAt(mt.Elem(), unsafe.Add(p, types.moff)).Interface()
	f.MetaSize = fz.FreezeInto(dst, lines)
	f.Meta = dst
	return f
}

const maxLen16 = 1<<16 - 1

// frozenCost is what a frozen object is charged: its allocation, the
// metadata outside it, the store's own share, and a body kept in chunks.
func frozenCost(o *Object) int64 {
	need := int(o.boff) + int(o.klen) + int(o.mlen) + int(o.ilen)
	c := int64(allocSize(need)) + int64(o.MetaSize) + frozenOverhead
	if o.flags&flagInline == 0 && o.Body != nil {
		c += o.Body.heldBytes() // complete: it no longer changes
	}
	return c
}

// streamCost is what an object kept in its growing form costs.
func streamCost(key string, obj *Object) int64 {
	c := int64(len(key)) + int64(obj.MetaSize) + streamOverhead
	if obj.Body != nil {
		c += obj.Body.heldBytes()
	}
	return c
}
