package store

import (
	"reflect"
	"slices"
	"sync"
)

// A frozen object is one allocation of the type
//
//	struct { O Object; M <metadata struct>; B [n]byte }
//
// made with reflect for each metadata type and each of Go's size classes,
// so that the garbage collector knows where its pointers are, the Object
// and the metadata need no allocations (nor size-class rounding) of their
// own, and the number of types stays small: n fills the size class.

type frozenType struct {
	t          reflect.Type
	moff, boff uintptr // offsets of M and B
	n          int     // len(B)
}

type frozenKey struct {
	meta reflect.Type
	size int // the allocation's size
}

var (
	frozenTypes sync.Map // frozenKey -> *frozenType
	objectType  = reflect.TypeFor[Object]()
	byteType    = reflect.TypeFor[byte]()
)

// frozenTypeFor returns the type of a frozen object whose metadata is of
// type meta and whose bytes are n long, or nil when it would be a large
// allocation (over 32 KiB), which the size classes do not cover.
func frozenTypeFor(meta reflect.Type, n int) *frozenType {
	moff := alignUp(objectType.Size(), uintptr(meta.Align()))
	boff := moff + meta.Size()
	need := int(boff) + n
	size := allocSize(need)
	if size == 0 || boff > maxLen16 {
		return nil
	}
	k := frozenKey{meta, size}
	if ft, ok := frozenTypes.Load(k); ok {
		return ft.(*frozenType)
	}
	// The struct fills the size class: all of it when the allocator keeps
	// its pointer bitmap in the span, less the header it adds otherwise.
	total := size
	if need > minSizeForMallocHeader {
		total -= mallocHeaderSize
	}
	t := reflect.StructOf([]reflect.StructField{
		{Name: "O", Type: objectType},
		{Name: "M", Type: meta},
		{Name: "B", Type: reflect.ArrayOf(total-int(boff), byteType)},
	})
	ft := &frozenType{t: t, moff: t.Field(1).Offset, boff: t.Field(2).Offset, n: total - int(boff)}
	if ft.moff != moff || ft.boff != boff {
		panic("store: frozen object layout differs from its computation")
	}
	got, _ := frozenTypes.LoadOrStore(k, ft)
	return got.(*frozenType)
}

func alignUp(n, a uintptr) uintptr { return (n + a - 1) &^ (a - 1) }

// Go's allocator (runtime/msize.go): an object with pointers over 512 bytes
// carries an 8-byte header for its type; small objects are rounded up to a
// size class, up to 32 KiB.
const (
	minSizeForMallocHeader = 512
	mallocHeaderSize       = 8
	maxSmallSize           = 32 << 10
)

// allocSize is the memory a frozen object of need bytes takes (a type
// with pointers), or 0 when it would be a large allocation.
func allocSize(need int) int {
	if need > minSizeForMallocHeader {
		need += mallocHeaderSize
	}
	if need > maxSmallSize-mallocHeaderSize {
		return 0
	}
	classes := sizeClasses()
	i, _ := slices.BinarySearch(classes, need)
	return classes[i]
}

// sizeClasses are the allocator's size classes up to 32 KiB, read from
// the runtime itself: slices.Grow gives a byte slice the capacity of its
// allocation's size class.
var sizeClasses = sync.OnceValue(func() []int {
	var cs []int
	for n := 1; n <= maxSmallSize-mallocHeaderSize; {
		c := cap(slices.Grow([]byte(nil), n))
		cs = append(cs, c)
		n = c + 1
	}
	return cs
})
