package store

import (
	"encoding/binary"
	"math"
	"reflect"
	"unsafe"
)

// The frozen form. While a body arrives it is a list of chunks that readers
// follow (body.go); once complete, Memory.Put keeps a compact copy instead:
// one allocation holding the Object, the caller's metadata struct, the key,
// the metadata's variable bytes (for the edge, its encoded response header)
// and the body (frozentype.go makes its type). Nothing is kept twice: the
// Object finds its metadata and bytes at fixed offsets from itself, and its
// type's table gives the metadata's type. Readers of the growing form carry
// on with it; new lookups find the copy.

// inlineMax bounds the bytes (key, metadata's bytes, body) of a frozen
// object. Up to 32 KiB Go's size classes waste at most 1/8; larger objects
// keep their chunks, whose list costs little next to their bytes.
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
	// streamOverhead: an object kept in its growing form is an Object and
	// its objExt (96 B), a Body (112 B) and its sentinel chunk (32 B),
	// rounded up; its key is a copy of its own.
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
	// referring to b (a view of that allocation, never modified; also
	// FrozenMetaBytes(dst)) in place of its own bytes. It returns the
	// bytes dst's value refers to outside the allocation and b, for the
	// accounting.
	FreezeInto(dst any, b string) (extraSize int)
}

// freeze returns the compact copy of obj to store under key, or nil when obj
// stays as it is: its metadata is no Freezer, its body is not complete, it
// is frozen under key already, or its bytes are too large.
func freeze(key string, obj *Object) *Object {
	meta := obj.Meta()
	fz, ok := meta.(Freezer)
	if !ok || key == "" || obj.OnDisk() || (obj.Frozen() && obj.Key() == key) {
		return nil
	}
	size, done, err := obj.State()
	if !done || err != nil || (obj.Body() != nil && !obj.Body().attached()) {
		return nil
	}
	types := typesFor(meta)
	if types == nil {
		return nil
	}
	mb := fz.FrozenBytes()
	n := len(key) + len(mb) + int(size)
	if n > inlineMax {
		return nil
	}
	ft := types.forBytes(n)
	if ft == nil {
		return nil
	}
	f, extra := types.build(ft, key, mb, obj, fz)
	if extra == 0 {
		return f
	}
	if extra > math.MaxUint32 {
		return nil
	}
	if ft.n < n+extraLen {
		// Rare (Vary details, at a size class's edge): again, a class up.
		if ft = types.forBytes(n + extraLen); ft == nil {
			return nil
		}
		f, _ = types.build(ft, key, mb, obj, fz)
	}
	f.flags |= flagExtra
	binary.LittleEndian.PutUint32(f.bytes(n, extraLen), uint32(extra))
	return f
}

// extraLen is the size of a frozen object's record of its metadata's bytes
// outside the allocation (flagExtra).
const extraLen = 4

// build makes a frozen object of type ft holding key, the metadata's bytes
// mb and obj's body, with a copy of obj's metadata made by fz, and returns
// it with the bytes that copy refers to outside the allocation.
func (ts *frozenTypes) build(ft *frozenType, key, mb string, obj *Object, fz Freezer) (*Object, int) {
	p := reflect.New(ft.t).UnsafePointer()
	f := (*Object)(p)
	f.flags, f.mtype = flagFrozen, ts.id
	f.boff, f.klen, f.mlen, f.ilen = uint16(ts.boff), uint16(len(key)), uint16(len(mb)), uint16(obj.BodyLen())
	buf := f.bytes(0, ft.n)
	copy(buf, key)
	copy(buf[len(key):], mb)
	obj.copyBody(buf[len(key)+len(mb):])
	lines := ""
	if len(mb) > 0 {
		lines = unsafe.String(&buf[len(key)], len(mb))
	}
	return f, fz.FreezeInto(ts.metaAt(unsafe.Add(p, ts.moff)), lines)
}

// bytes is a view of n of a frozen object's bytes from the offset off.
func (o *Object) bytes(off, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(o), int(o.boff)+off)), n)
}

// frozenExtra is the size of a frozen object's metadata outside its
// allocation.
func frozenExtra(o *Object) uint32 {
	if o.flags&flagExtra == 0 {
		return 0
	}
	return binary.LittleEndian.Uint32(o.bytes(o.frozenLen(), extraLen))
}

// frozenLen is the length of a frozen object's key, metadata bytes and body.
func (o *Object) frozenLen() int { return int(o.klen) + int(o.mlen) + int(o.ilen) }

// thaw returns an object of the ext form with frozen o's metadata and body,
// for a key its bytes no longer fit beside. It shares o's allocation, which
// it is charged for as its metadata's size.
func thaw(o *Object) *Object {
	in := o.inline()
	need := int(o.boff) + o.frozenLen()
	metaSize := allocSize(need) - len(in) + o.MetaSize()
	return newExt(o.Meta(), metaSize, CompleteBody(unsafe.Slice(unsafe.StringData(in), len(in))))
}

// frozenCost is what a frozen object is charged: its allocation, the
// metadata outside it, and the store's own share.
func frozenCost(o *Object) int64 {
	need := int(o.boff) + o.frozenLen()
	if o.flags&flagExtra != 0 {
		need += extraLen
	}
	return int64(allocSize(need)) + int64(frozenExtra(o)) + frozenOverhead
}

// streamCost is what an object kept in its other form costs.
func streamCost(key string, obj *Object) int64 {
	c := int64(len(key)) + int64(obj.MetaSize()) + streamOverhead
	if b := obj.Body(); b != nil {
		c += b.heldBytes()
	}
	return c
}
