package edge

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/pharos-cdn/pharos/internal/store"
)

// TestMetaFindsItsFieldBlock checks each place a meta's field block can be:
// in the ownedMeta it heads (a new meta, a copy with another block, one
// read from disk), in its frozen object's allocation (the very bytes the
// store copied, not a copy of them), or nowhere (a zero meta); and that
// reading a frozen one does not allocate.
func TestMetaFindsItsFieldBlock(t *testing.T) {
	now := time.Now()
	h := http.Header{"Content-Type": {"text/plain"}, "Etag": {`"x"`}, "Via": {"1.1 up"}, "X-Cache": {"from upstream"}}
	m := newMeta(200, h, now, now)
	want := encodeFields(200, h)
	if m.lines() != want.lines || m.fields() != want || m.block.via>>30 != blockOwn {
		t.Fatalf("new meta: block %+v gives %+v, want %+v", m.block, m.fields(), want)
	}
	// newMeta added Date; X-Cache is the edge's own, not repeated on a hit.
	if hit := m.fields().hit(); !strings.HasPrefix(hit, "Content-Type: text/plain\r\nDate: ") || !strings.HasSuffix(hit, "GMT\r\nEtag: \"x\"\r\n") ||
		m.fields().via() != "Via: 1.1 up\r\n" {
		t.Fatalf("hit part %q, Via part %q", m.fields().hit(), m.fields().via())
	}
	other := encodeFields(200, http.Header{"Etag": {`"y"`}})
	if n := m.withFields(other); n.fields() != other || n.status != 200 || m.fields() != want {
		t.Fatalf("withFields: %+v, and the original now %+v", n.fields(), m.fields())
	}
	b, err := metaCodec{}.EncodeMeta(m)
	if err != nil {
		t.Fatal(err)
	}
	if dm, _, err := (metaCodec{}).DecodeMeta(b); err != nil || dm.(*meta).fields() != want {
		t.Fatalf("from disk: %v, %v", dm, err)
	}

	mem := store.NewMemory(1<<20, 0)
	obj := store.NewObject(m, m.size())
	obj.Body().Write([]byte("body"))
	obj.Body().Close(nil)
	mem.Put("d.test/x", obj)
	fo := mem.Get([]byte("d.test/x"))
	fm := fo.Meta().(*meta)
	if !fo.Frozen() || fm.block.via>>30 != blockFrozen || fm.fields() != want {
		t.Fatalf("frozen: block %+v gives %+v", fm.block, fm.fields())
	}
	start, end := uintptr(unsafe.Pointer(fo)), uintptr(unsafe.Pointer(fo))+uintptr(fo.BodyLen())+512
	if p := uintptr(unsafe.Pointer(unsafe.StringData(fm.lines()))); p < start || p >= end {
		t.Fatalf("the frozen meta's lines are at %#x, outside its object's allocation at %#x", p, start)
	}
	if n := testing.AllocsPerRun(100, func() {
		if !strings.HasPrefix(fo.Meta().(*meta).fields().hit(), "Content-Type") {
			t.Fatal("lost the block")
		}
	}); n != 0 {
		t.Fatalf("reading a frozen meta's block allocates %v times", n)
	}

	if z := (&meta{}); z.lines() != "" || z.fields() != (fieldBlock{}) || z.header() == nil || len(z.header()) != 0 {
		t.Fatalf("a zero meta has a block: %+v", z.fields())
	}
}
