package store

import (
	"slices"
	"unsafe"
)

// The frozen form. While a body arrives it is a list of chunks that readers
// follow (body.go); once complete, Memory.Put keeps a compact copy instead:
// one allocation holding the key, the metadata's variable bytes (for the
// edge, its encoded response header) and, for small objects, the body.
// Readers of the growing form carry on with it; new lookups find the copy.

// inlineMax bounds the allocation that holds a body inline. Up to 32 KiB
// Go's size classes waste at most 1/8; larger bodies keep their chunks,
// whose list costs little next to their bytes.
const inlineMax = 32 << 10

// Per-object bytes the index holds besides the object's own bytes, which
// Put charges so that --cache-mem bounds real memory rather than payload
// (before, a 100-byte object was charged about 780 B and took 1.4 KB of
// heap). Measured on Go 1.26 with BenchmarkMemoryPerObject (internal/edge:
// 457 B of heap per frozen 100-byte object, of which 256 B is its
// allocation and 80 B its edge metadata) and TestCacheMemBoundsTheHeap
// (eviction running).
const (
	// frozenOverhead: the Object (96 B); its slot in a shard's map (a
	// 16-byte hash and pointer at the map's load, about 24 B); and the
	// ghost queue's share (a 16-byte ring entry and a map slot for each key
	// it remembers, at most one per object in the main queue, about 40 B).
	frozenOverhead = 160
	// streamOverhead: an object kept in its growing form adds a Body
	// (112 B) and its sentinel chunk (32 B), rounded up.
	streamOverhead = frozenOverhead + 160
	// chunkOverhead is each chunk's own struct and slice rounding.
	chunkOverhead = 48
)

// Freezer is implemented by metadata with variable bytes worth keeping in
// the object's single allocation.
type Freezer interface {
	// FrozenBytes are the bytes to copy into the frozen object.
	FrozenBytes() string
	// Frozen returns metadata equal to the receiver that refers to b (a view
	// of the frozen allocation, never modified) in place of its own bytes,
	// and that metadata's size estimate (without b).
	Frozen(b string) (meta any, size int)
}

// freeze returns the compact copy of obj to store under key, or nil when obj
// stays as it is: its metadata is no Freezer, its body is not complete, or
// it is frozen under key already.
func freeze(key string, obj *Object) *Object {
	fz, ok := obj.Meta.(Freezer)
	if !ok || key == "" || obj.OnDisk() || (obj.Frozen() && obj.key == key) {
		return nil
	}
	size, done, err := obj.State()
	if !done || err != nil || (obj.Body != nil && !obj.Body.attached()) {
		return nil
	}
	mb := fz.FrozenBytes()
	n := len(key) + len(mb)
	inline := int64(n)+size <= inlineMax
	if inline {
		n += int(size)
	}
	// slices.Grow rounds the capacity up to the allocation's size class:
	// cap(buf) is what the object really holds.
	buf := slices.Grow([]byte(nil), n)
	buf = append(buf, key...)
	buf = append(buf, mb...)
	f := &Object{MetaSize: obj.MetaSize, flags: flagFrozen}
	if inline {
		f.flags |= flagInline
		f.ioff, f.ilen = uint32(len(buf)), uint32(size)
		chunks, _ := obj.Chunks(nil)
		for _, c := range chunks {
			buf = append(buf, c...)
		}
	} else {
		f.Body = obj.Body
		if obj.Body == nil { // inline before, too large for the new key
			in := obj.inline()
			f.Body = CompleteBody(unsafe.Slice(unsafe.StringData(in), len(in)))
		}
	}
	all := unsafe.String(unsafe.SliceData(buf), len(buf))
	f.key = all[:len(key)]
	f.Meta, f.MetaSize = fz.Frozen(all[len(key) : len(key)+len(mb)])
	f.cost = int64(cap(buf)) + int64(f.MetaSize) + frozenOverhead
	if !inline {
		f.cost += f.Body.heldBytes()
	}
	return f
}

// streamCost is what an object kept in its growing form costs.
func streamCost(key string, obj *Object) int64 {
	c := int64(len(key)) + int64(obj.MetaSize) + streamOverhead
	if obj.Body != nil {
		c += obj.Body.heldBytes()
	}
	return c
}
