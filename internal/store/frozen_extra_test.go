package store

import (
	"strings"
	"testing"
)

// TestFrozenExtraAtClassEdge freezes an object whose bytes fill its size
// class to the last byte while its metadata refers to bytes outside the
// allocation: the count of those needs 4 bytes more, so the object takes
// the next class, and keeps its key, metadata, body and accounting.
func TestFrozenExtraAtClassEdge(t *testing.T) {
	ts := typesFor(&fzMeta{})
	ft := ts.forBytes(200)
	body := strings.Repeat("b", ft.n-len("key")-len("HEAD")) // fills the class
	f := freeze("key", fzObject("HEAD", body))
	if f == nil || f.flags&flagExtra == 0 || f.MetaSize() != 8 {
		t.Fatalf("freeze = %+v, MetaSize %d: want a frozen object recording 8 bytes outside", f, f.MetaSize())
	}
	need := int(ts.boff) + len("key") + len("HEAD") + len(body) + extraLen
	if allocSize(need) <= allocSize(need-extraLen) {
		t.Fatalf("the test's object does not fill its class: %d and %d bytes both take %d", need-extraLen, need, allocSize(need))
	}
	if f.cost() != int64(allocSize(need))+8+frozenOverhead {
		t.Fatalf("cost %d, want the next class %d, 8 and %d", f.cost(), allocSize(need), frozenOverhead)
	}
	if f.Key() != "key" || f.Meta().(*fzMeta).b != "HEAD" || readObject(t, f) != body {
		t.Fatalf("frozen at the class edge: key %q, meta %q", f.Key(), f.Meta().(*fzMeta).b)
	}
}

// TestFrozenObjectMovesToALongerKey puts a stored frozen object whose
// bytes nearly reach the inline bound under a longer key: they no longer
// fit beside it, so the object is kept in its other form, sharing the
// frozen bytes, and charged for them.
func TestFrozenObjectMovesToALongerKey(t *testing.T) {
	m := NewMemory(1<<20, 0)
	body := strings.Repeat("b", largestFrozen(len("a"), len("HEAD")))
	m.Put("a", fzObject("HEAD", body))
	o := m.Get([]byte("a"))
	if o == nil || !o.Frozen() {
		t.Fatal("the object at the bound was not frozen")
	}
	long := strings.Repeat("k", 100)
	if !m.Put(long, o) {
		t.Fatal("Put under the longer key refused")
	}
	got := m.Get([]byte(long))
	if got == nil || got.Frozen() || got.Key() != long || m.Get([]byte("a")) != nil || m.Len() != 1 {
		t.Fatalf("under the longer key: %+v (frozen %v), Len %d", got, got != nil && got.Frozen(), m.Len())
	}
	if fm := got.Meta().(*fzMeta); fm.b != "HEAD" || readObject(t, got) != body {
		t.Fatalf("meta %q or body lost", fm.b)
	}
	if m.Used() != got.cost() || got.cost() < int64(allocSize(int(o.boff)+o.frozenLen())) {
		t.Fatalf("Used %d, cost %d: less than the frozen allocation it keeps", m.Used(), got.cost())
	}
	checkAccountingAny(t, m)
}

// largestFrozen is the largest body an object with fzMeta, a key of keyLen
// bytes and metaLen bytes of metadata is frozen with: its allocation is
// the largest small one, with room for the count of its 8 bytes outside.
func largestFrozen(keyLen, metaLen int) int {
	ts := typesFor(&fzMeta{})
	body := inlineMax - keyLen - metaLen
	for ts.forBytes(keyLen+metaLen+body+extraLen) == nil {
		body--
	}
	return body
}

// checkAccountingAny checks that Used and Len add up to the stored objects'
// own costs, whatever their forms.
func checkAccountingAny(t *testing.T, m *Memory) {
	t.Helper()
	var n, used int64
	m.Range(func(key string, o *Object) bool {
		n++
		used += o.cost()
		return true
	})
	if m.Len() != n || m.Used() != used {
		t.Fatalf("Len, Used = %d, %d; the stored objects add up to %d, %d", m.Len(), m.Used(), n, used)
	}
}
