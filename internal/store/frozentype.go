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
// allocation (over 32 KiB), which the size classes do not cover, or when
// it is not made yet. Making a type takes a fraction of a millisecond, too
// long to wait for on the way from a fill to the next request: the first
// object with a metadata type starts making them all in the background,
// and objects stay in their growing form until theirs is ready.
func frozenTypeFor(meta reflect.Type, n int) *frozenType {
	size := frozenSize(meta, n)
	if size == 0 {
		return nil
	}
	if ft, ok := frozenTypes.Load(frozenKey{meta, size}); ok {
		return ft.(*frozenType)
	}
	if _, started := preparing.LoadOrStore(meta, true); !started {
		go prepareFrozen(meta)
	}
	return nil
}

var preparing sync.Map // metadata type -> true, once its types are being made

// PrepareFreezer makes, before it returns, the types that objects whose
// metadata is of meta's type (a pointer to a struct) take when frozen, so
// that every object stored from then on is frozen at once.
func PrepareFreezer(meta Freezer) {
	if t := reflect.TypeOf(meta); t.Kind() == reflect.Pointer {
		preparing.Store(t.Elem(), true)
		prepareFrozen(t.Elem())
	}
}

func prepareFrozen(meta reflect.Type) {
	boff := frozenSize(meta, 0)
	if boff == 0 {
		return
	}
	for _, size := range sizeClasses() {
		if size >= boff {
			makeFrozenType(meta, size)
		}
	}
}

// frozenSize is the allocation a frozen object of n bytes with metadata of
// type meta takes, or 0 when it would not be a small one.
func frozenSize(meta reflect.Type, n int) int {
	_, boff := frozenOffsets(meta)
	if boff > maxLen16 {
		return 0
	}
	return allocSize(int(boff) + n)
}

func frozenOffsets(meta reflect.Type) (moff, boff uintptr) {
	moff = alignUp(objectType.Size(), uintptr(meta.Align()))
	return moff, moff + meta.Size()
}

func makeFrozenType(meta reflect.Type, size int) {
	k := frozenKey{meta, size}
	if _, ok := frozenTypes.Load(k); ok {
		return
	}
	moff, boff := frozenOffsets(meta)
	// The struct fills the size class: all of it when the allocator keeps
	// its pointer bitmap in the span, less the header it adds otherwise.
	total := size
	if size > minSizeForMallocHeader {
		total -= mallocHeaderSize
	}
	if total < int(boff) {
		return
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
	frozenTypes.Store(k, ft)
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
