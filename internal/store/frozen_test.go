package store

import (
	"context"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// fzMeta is metadata with bytes to freeze; view says it is the frozen copy.
type fzMeta struct {
	b    string
	view bool
}

func (m *fzMeta) FrozenBytes() string { return m.b }
func (m *fzMeta) FreezeInto(dst any, b string) int {
	*dst.(*fzMeta) = fzMeta{b: b, view: true}
	return 8
}

// The store's tests see every complete object frozen at once.
func init() { PrepareFreezer(&fzMeta{}) }

func fzObject(meta string, body string) *Object {
	o := NewObject(&fzMeta{b: meta}, len(meta)+8)
	if body != "" {
		o.Body().Write([]byte(body))
	}
	o.Body().Close(nil)
	return o
}

// readObject reads o's body through each of its access paths and checks that
// they agree.
func readObject(t *testing.T, o *Object) string {
	t.Helper()
	chunks, ok := o.Chunks(nil)
	if !ok {
		t.Fatal("Chunks: not complete")
	}
	var sb strings.Builder
	for _, c := range chunks {
		sb.Write(c)
	}
	r, err := o.NewReader()
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	defer r.Close()
	var rb strings.Builder
	for {
		p, err := r.Next(context.Background())
		rb.Write(p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
	}
	size, done, err := o.State()
	if sb.String() != rb.String() || size != int64(sb.Len()) || !done || err != nil || o.BodyLen() != size {
		t.Fatalf("chunks %q, reader %q, State %d %v %v, BodyLen %d", sb.String(), rb.String(), size, done, err, o.BodyLen())
	}
	return sb.String()
}

func TestPutFreezesCompleteObjects(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		frozen     bool
	}{
		{"empty body", "", true},
		{"small body", "hello", true},
		{"largest frozen body", strings.Repeat("x", largestFrozen(len("k"), len("HEAD"))), true},
		{"body over the inline bound", strings.Repeat("x", inlineMax+1), false},
		{"body over the inline bound", strings.Repeat("x", inlineMax+1), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(1<<30, 0)
			orig := fzObject("HEAD", tt.body)
			if !m.Put("k", orig) {
				t.Fatal("Put refused")
			}
			o := m.Get([]byte("k"))
			if o == nil || (o == orig) == tt.frozen || o.Frozen() != tt.frozen {
				t.Fatalf("Get = %p (frozen %v) for %p, want a frozen copy: %v", o, o != nil && o.Frozen(), orig, tt.frozen)
			}
			if o.Key() != "k" {
				t.Fatalf("Key = %q", o.Key())
			}
			if got := readObject(t, o); got != tt.body {
				t.Fatalf("stored body %d bytes, want %d", len(got), len(tt.body))
			}
			if !tt.frozen {
				if o.Body() == nil || o.Meta().(*fzMeta).view || o.MetaSize() != 12 {
					t.Fatalf("the object kept as it is lost its body or metadata: %+v, %d", o.Meta(), o.MetaSize())
				}
				return
			}
			if fm, ok := o.Meta().(*fzMeta); !ok || !fm.view || fm.b != "HEAD" || o.MetaSize() != 8 {
				t.Fatalf("frozen Meta = %#v, MetaSize %d", o.Meta(), o.MetaSize())
			}
			if o.Body() != nil {
				t.Fatal("a frozen object has a Body")
			}
			if got := readObject(t, orig); got != tt.body {
				t.Fatal("the growing form changed")
			}
			if m.Used() != o.cost() || o.cost() < int64(len("k")+len("HEAD")+len(tt.body)+8+frozenOverhead) {
				t.Fatalf("Used %d, cost %d: less than the bytes held", m.Used(), o.cost())
			}
			if !m.Remove("k", o) || m.Used() != 0 || m.Len() != 0 {
				t.Fatalf("after Remove: Used %d, Len %d", m.Used(), m.Len())
			}
		})
	}
}

// TestFrozenMetaIsTheCopyInTheAllocation checks the interface Meta makes
// for a frozen object against reflect's: the same type and the pointer to
// the copy inside the object's allocation; and that making it does not
// allocate.
func TestFrozenMetaIsTheCopyInTheAllocation(t *testing.T) {
	f := freeze("key", fzObject("HEAD", "body"))
	ts := typesFor(&fzMeta{})
	want := reflect.NewAt(reflect.TypeFor[fzMeta](), unsafe.Add(unsafe.Pointer(f), ts.moff)).Interface()
	if got := f.Meta(); got != want {
		t.Fatalf("Meta() = %T %p, want %T %p", got, got, want, want)
	}
	if n := testing.AllocsPerRun(100, func() { _ = f.Meta().(*fzMeta) }); n != 0 {
		t.Fatalf("Meta allocates %v times", n)
	}
	// The metadata finds its bytes from itself: the b FreezeInto was given.
	fm := f.Meta().(*fzMeta)
	if b := FrozenMetaBytes(unsafe.Pointer(fm)); b != "HEAD" || unsafe.StringData(b) != unsafe.StringData(fm.b) {
		t.Fatalf("FrozenMetaBytes = %q, want the view %q FreezeInto was given", b, fm.b)
	}
}

func TestPutKeepsOtherObjectsAsTheyAre(t *testing.T) {
	m := NewMemory(1<<20, 0)
	growing := NewObject(&fzMeta{b: "HEAD"}, 4)
	growing.Body().Write([]byte("so far"))
	truncated := NewObject(&fzMeta{b: "HEAD"}, 4)
	truncated.Body().Write([]byte("cut"))
	truncated.Body().Close(errors.New("origin went away"))
	plain := object(5) // metadata that is no Freezer
	for key, o := range map[string]*Object{"growing": growing, "truncated": truncated, "plain": plain} {
		m.Put(key, o)
		if got := m.Get([]byte(key)); got != o || o.Frozen() {
			t.Errorf("%s: Get = %p, want the object itself %p unfrozen", key, got, o)
		}
	}
	checkAccounting(t, m)
}

// TestFrozenObjectMovesAndRefreshes puts a stored frozen object under
// another key (it moves) and gives it new metadata, as a 304 does (the
// body is kept, the metadata replaced).
func TestFrozenObjectMovesAndRefreshes(t *testing.T) {
	m := NewMemory(1<<20, 0)
	m.Put("a", fzObject("HEAD", "body"))
	o := m.Get([]byte("a"))
	m.Put("b", o)
	if m.Get([]byte("a")) != nil || m.Len() != 1 {
		t.Fatalf("the object did not leave key a: Len %d", m.Len())
	}
	moved := m.Get([]byte("b"))
	if moved == nil || moved.Key() != "b" || readObject(t, moved) != "body" || moved.Meta().(*fzMeta).b != "HEAD" {
		t.Fatalf("under b: %+v", moved)
	}

	refreshed := moved.WithMeta(&fzMeta{b: "NEW HEAD"}, 12)
	if readObject(t, refreshed) != "body" {
		t.Fatal("WithMeta lost the body")
	}
	m.Put("b", refreshed)
	got := m.Get([]byte("b"))
	if !got.Frozen() || got.Meta().(*fzMeta).b != "NEW HEAD" || readObject(t, got) != "body" || m.Len() != 1 {
		t.Fatalf("after the refresh: meta %q, Len %d", got.Meta().(*fzMeta).b, m.Len())
	}
	if m.Used() != got.cost() {
		t.Fatalf("Used %d, want the refreshed object's cost %d", m.Used(), got.cost())
	}
}

// TestReaderOfGrowingFormOutlivesFreeze follows a body from its start while
// it is stored (and frozen) midway: the reader still gets every byte.
func TestReaderOfGrowingFormOutlivesFreeze(t *testing.T) {
	m := NewMemory(1<<20, 0)
	o := NewObject(&fzMeta{b: "HEAD"}, 4)
	r, err := o.NewReader()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o.Body().Write([]byte("first "))
	o.Body().Write([]byte("second"))
	o.Body().Close(nil)
	m.Put("k", o)
	var got strings.Builder
	for {
		p, err := r.Next(context.Background())
		got.Write(p)
		if err != nil {
			break
		}
	}
	if got.String() != "first second" || readObject(t, m.Get([]byte("k"))) != "first second" {
		t.Fatalf("reader got %q", got.String())
	}
}

// TestFrozenAccountingUnderEviction fills a small store with frozen
// objects well past its bound: what it accounts stays within the bound and
// adds up to what it holds.
func TestFrozenAccountingUnderEviction(t *testing.T) {
	m := NewMemory(64<<10, 0)
	for i := range 2000 {
		key := strings.Repeat("k", i%50) + string(rune('a'+i%26)) + strings.Repeat("z", i%7)
		m.Put(key, fzObject(strings.Repeat("h", i%300), strings.Repeat("b", i%900)))
		if i%3 == 0 {
			m.Get([]byte(key))
		}
	}
	var n, used int64
	m.Range(func(key string, o *Object) bool {
		n++
		used += o.cost()
		if !o.Frozen() || o.Key() != key {
			t.Errorf("%q: frozen %v, Key %q", key, o.Frozen(), o.Key())
		}
		return true
	})
	if n != m.Len() || used != m.Used() || m.Used() > 64<<10 || m.Stats().Evictions.Load() == 0 {
		t.Fatalf("Len %d Used %d; the objects add up to %d, %d; evictions %d", m.Len(), m.Used(), n, used, m.Stats().Evictions.Load())
	}
}

// TestObjectSize keeps the Object at 32 bytes: a frozen object holds one,
// and an object in its other forms one and its objExt.
func TestObjectSize(t *testing.T) {
	if n := unsafe.Sizeof(Object{}); n != 32 {
		t.Fatalf("Object is %d bytes, want 32", n)
	}
}

// TestFrozenObjectIsOneAllocation checks that freezing allocates once: the
// Object, the metadata, the key, the metadata's bytes and an inline body
// share the allocation, whose size is the one charged.
func TestFrozenObjectIsOneAllocation(t *testing.T) {
	orig := fzObject("HEAD", strings.Repeat("b", 100))
	freeze("key", orig) // makes the type once
	var f *Object
	if n := testing.AllocsPerRun(20, func() { f = freeze("key", orig) }); n != 1 {
		t.Fatalf("freezing took %v allocations, want 1", n)
	}
	// fzMeta refers to 8 bytes outside the allocation: their count ends it.
	need := int(unsafe.Sizeof(Object{})) + int(unsafe.Sizeof(fzMeta{})) + len("key") + len("HEAD") + 100 + extraLen
	if int(f.boff) != need-len("key")-len("HEAD")-100-extraLen || allocSize(need) != cap(slices.Grow([]byte(nil), need)) {
		t.Fatalf("boff %d, allocation %d for %d bytes", f.boff, allocSize(need), need)
	}
	if f.cost() != int64(allocSize(need))+8+frozenOverhead {
		t.Fatalf("cost %d, want the allocation %d, the metadata outside it (8) and %d", f.cost(), allocSize(need), frozenOverhead)
	}
	if f.Meta().(*fzMeta).b != "HEAD" || f.Key() != "key" || readObject(t, f) != strings.Repeat("b", 100) {
		t.Fatalf("frozen copy: meta %q, key %q", f.Meta().(*fzMeta).b, f.Key())
	}
}

// lateMeta is a metadata type the store has not seen before its test.
type lateMeta struct{ fzMeta }

func (m *lateMeta) FreezeInto(dst any, b string) int {
	*dst.(*lateMeta) = lateMeta{fzMeta{b: b, view: true}}
	return 8
}

// TestFreezeMakesItsType stores an object whose metadata type has no frozen
// types yet: its type is made on the way, and the object is frozen.
func TestFreezeMakesItsType(t *testing.T) {
	m := NewMemory(1<<20, 0)
	o := NewObject(&lateMeta{fzMeta{b: "HEAD"}}, 12)
	o.Body().Write([]byte("body"))
	o.Body().Close(nil)
	m.Put("k", o)
	got := m.Get([]byte("k"))
	if got == nil || !got.Frozen() || readObject(t, got) != "body" {
		t.Fatalf("Get = %p, want a frozen copy", got)
	}
	if fm := got.Meta().(*lateMeta); fm.b != "HEAD" || !fm.view {
		t.Fatalf("frozen meta %+v", fm)
	}
}

// TestSizeClasses checks the size classes frozen objects are laid out for
// against the allocator of the Go that runs the tests: each is what a
// byte slice of that size is given, and one byte more is given the next;
// and the lookup tables against a search of the list.
func TestSizeClasses(t *testing.T) {
	for n := 1; n <= maxSmallSize-mallocHeaderSize; n++ {
		want := 0
		for sizeClasses[want] < n {
			want++
		}
		if got := classOf(n); got != want {
			t.Fatalf("classOf(%d) = %d (%d bytes), want %d (%d bytes)", n, got, sizeClasses[got], want, sizeClasses[want])
		}
	}
	if classOf(maxSmallSize-mallocHeaderSize+1) != -1 {
		t.Fatal("a large allocation was given a size class")
	}
	for i, c := range sizeClasses {
		if got := cap(slices.Grow([]byte(nil), c)); got != c {
			t.Errorf("a %d-byte slice gets %d bytes: not a size class", c, got)
		}
		if i+1 < len(sizeClasses) {
			if got := cap(slices.Grow([]byte(nil), c+1)); got != sizeClasses[i+1] {
				t.Errorf("a %d-byte slice gets %d bytes, want the next class %d", c+1, got, sizeClasses[i+1])
			}
		}
	}
}
