package store

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"
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
	t reflect.Type
	n int // len(B)
}

// frozenTypes are one metadata type's frozen types, by size class.
type frozenTypes struct {
	meta       reflect.Type   // the metadata struct
	ptr        unsafe.Pointer // the type word of an interface holding a pointer to it
	moff, boff uintptr        // offsets of M and B
	id         uint8          // its index in metaTypes, kept in each frozen Object
	byClass    [len(sizeClasses)]atomic.Pointer[frozenType]
}

var (
	// metaTypes are the metadata types of frozen objects by id: the
	// Object keeps one byte (mtype), not the 16-byte interface.
	metaTypes  [256]atomic.Pointer[frozenTypes]
	typeCount  int                         // ids given, guarded by makeMu
	lastTypes  atomic.Pointer[frozenTypes] // the last used: there is one metadata type in practice
	makeMu     sync.Mutex                  // makes one type at a time
	objectType = reflect.TypeFor[Object]()
	byteType   = reflect.TypeFor[byte]()
)

// eface is how Go lays out an interface value of an empty method set: the
// dynamic type's word, and the value itself when it is a pointer.
type eface struct{ typ, ptr unsafe.Pointer }

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

// metaAt is the interface holding p, a pointer to the metadata struct.
func (ts *frozenTypes) metaAt(p unsafe.Pointer) any {
	e := eface{ts.ptr, p}
	return *(*any)(unsafe.Pointer(&e))
}

// frozenMeta is a frozen object's metadata: the struct at its type's
// offset, behind an interface made from the type's table without an
// allocation.
func frozenMeta(o *Object) any {
	ts := metaTypes[o.mtype].Load()
	return ts.metaAt(unsafe.Add(unsafe.Pointer(o), ts.moff))
}

// FrozenMetaBytes returns the bytes a frozen object keeps for its
// metadata (the b its FreezeInto was given), for p, the dst FreezeInto was
// given (as a pointer): so metadata finds them from itself rather than
// keeping a string of its own. p must be such a pointer. It does not
// allocate.
func FrozenMetaBytes(p unsafe.Pointer) string {
	o := (*Object)(unsafe.Add(p, -int(unsafe.Sizeof(Object{}))))
	if o.mlen == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(o), uintptr(o.boff)+uintptr(o.klen))), o.mlen)
}

// typesFor returns the frozen types for metadata meta (a pointer to a
// struct), or nil when it cannot be frozen: it is not such a pointer, or
// 256 types have ids already, or its bytes would not start within 64 KiB.
func typesFor(meta any) *frozenTypes {
	w := typeWord(meta)
	if ts := lastTypes.Load(); ts != nil && ts.ptr == w {
		return ts
	}
	makeMu.Lock()
	defer makeMu.Unlock()
	for i := range typeCount {
		if ts := metaTypes[i].Load(); ts.ptr == w {
			lastTypes.Store(ts)
			return ts
		}
	}
	mt := reflect.TypeOf(meta)
	if mt == nil || mt.Kind() != reflect.Pointer || mt.Elem().Kind() != reflect.Struct || typeCount == len(metaTypes) {
		return nil
	}
	moff := alignUp(objectType.Size(), uintptr(mt.Elem().Align()))
	ts := &frozenTypes{meta: mt.Elem(), ptr: w, moff: moff, boff: moff + mt.Elem().Size(), id: uint8(typeCount)}
	if ts.boff > maxLen16 || moff != objectType.Size() {
		// FrozenMetaBytes finds the Object right before the metadata,
		// which every type aligned to at most 32 bytes allows.
		return nil
	}
	metaTypes[typeCount].Store(ts)
	typeCount++
	lastTypes.Store(ts)
	return ts
}

const maxLen16 = 1<<16 - 1

// forBytes returns the type of a frozen object whose bytes are n long, or
// nil when it would be a large allocation (over 32 KiB), which the size
// classes do not cover. A type not made yet is made now (a few
// microseconds; PrepareFreezer makes them all ahead).
func (ts *frozenTypes) forBytes(n int) *frozenType {
	c := classOf(allocNeed(int(ts.boff) + n))
	if c < 0 {
		return nil
	}
	if ft := ts.byClass[c].Load(); ft != nil {
		return ft
	}
	return ts.make(c)
}

// PrepareFreezer makes the types that objects whose metadata is of meta's
// type (a pointer to a struct) take when frozen, for every size class
// (about 0.3 ms), so that no fill makes one on its way.
func PrepareFreezer(meta Freezer) {
	if ts := typesFor(any(meta)); ts != nil {
		for c := range sizeClasses {
			ts.make(c)
		}
	}
}

// make makes the type for size class c (nil when it cannot hold B).
func (ts *frozenTypes) make(c int) *frozenType {
	makeMu.Lock()
	defer makeMu.Unlock()
	if ft := ts.byClass[c].Load(); ft != nil {
		return ft
	}
	// The struct fills the size class: all of it when the allocator keeps
	// its pointer bitmap in the span, less the header it adds otherwise.
	total := sizeClasses[c]
	if total > minSizeForMallocHeader {
		total -= mallocHeaderSize
	}
	if total < int(ts.boff) {
		return nil
	}
	t := reflect.StructOf([]reflect.StructField{
		{Name: "O", Type: objectType},
		{Name: "M", Type: ts.meta},
		{Name: "B", Type: reflect.ArrayOf(total-int(ts.boff), byteType)},
	})
	if t.Field(1).Offset != ts.moff || t.Field(2).Offset != ts.boff {
		panic("store: frozen object layout differs from its computation")
	}
	ft := &frozenType{t: t, n: total - int(ts.boff)}
	ts.byClass[c].Store(ft)
	return ft
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

// allocNeed is what the allocator looks up for a frozen object (a type with
// pointers) of need bytes.
func allocNeed(need int) int {
	if need > minSizeForMallocHeader {
		need += mallocHeaderSize
	}
	return need
}

// allocSize is the memory a frozen object of need bytes takes, or 0 when it
// would be a large allocation.
func allocSize(need int) int {
	if c := classOf(allocNeed(need)); c >= 0 {
		return sizeClasses[c]
	}
	return 0
}

// classOf is the index in sizeClasses of the class an allocation of n bytes
// takes, or -1 past the small sizes; by table, as the runtime does.
func classOf(n int) int {
	switch {
	case n <= 1024:
		return int(classBy8[(n+7)>>3])
	case n <= maxSmallSize-mallocHeaderSize:
		return int(classBy128[(n-1024+127)>>7])
	}
	return -1
}

// sizeClasses are the allocator's size classes up to 32 KiB
// (internal/runtime/gc/sizeclasses.go; TestSizeClasses checks them against
// the allocator of the Go that builds the tests).
var sizeClasses = [...]int{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048,
	2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880,
	12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}

// classBy8[(n+7)/8] for n ≤ 1024 and classBy128[(n-1024+127)/128] above
// are the index of the smallest class holding n bytes.
var classBy8, classBy128 = func() (by8 [1024/8 + 1]uint8, by128 [(maxSmallSize-1024)/128 + 1]uint8) {
	c := 0
	for i := range by8 {
		for sizeClasses[c] < i*8 {
			c++
		}
		by8[i] = uint8(c)
	}
	for i := range by128 {
		for sizeClasses[c] < 1024+i*128 {
			c++
		}
		by128[i] = uint8(c)
	}
	return by8, by128
}()
