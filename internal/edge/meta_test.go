package edge

import (
	"net/http"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/store"
)

// sameMeta compares what a stored response's meta says, field by field.
func sameMeta(t *testing.T, what string, got, want *meta) {
	t.Helper()
	if got.status != want.status || got.marker != want.marker || got.initialAge != want.initialAge ||
		!got.requestTime().Equal(want.requestTime()) || !got.responseTime().Equal(want.responseTime()) ||
		!reflect.DeepEqual(got.decision(), want.decision()) ||
		!reflect.DeepEqual(got.header(), want.header()) ||
		!reflect.DeepEqual(got.varyFields(), want.varyFields()) || got.varyKey() != want.varyKey() ||
		!reflect.DeepEqual(got.sliceSet(), want.sliceSet()) || got.softPurged.Load() != want.softPurged.Load() {
		t.Fatalf("%s: got %+v (decision %+v, header %v), want %+v (decision %+v, header %v)",
			what, got, got.decision(), got.header(), want, want.decision(), want.header())
	}
}

// TestMetaKeepsWhatItIsGiven builds metas the ways the edge does and checks
// that the compact form, the frozen copy and the disk codec all give back
// the same response: header, times, decision (stale windows in seconds),
// Vary and slice details.
func TestMetaKeepsWhatItIsGiven(t *testing.T) {
	req := time.Date(2030, 1, 2, 3, 4, 5, 250_000_000, time.UTC)
	resp := req.Add(1500 * time.Millisecond)
	plain := newMeta(200, http.Header{"Cache-Control": {"max-age=60"}, "Etag": {`"a"`}}, req, resp)
	plain.setDecision(httpcache.Decision{Store: true, TTL: 60 * time.Second, SWR: 30 * time.Second, SIE: time.Hour,
		HasSIE: true, MustRevalidate: true})
	variant := newMeta(200, http.Header{"Vary": {"Accept-Encoding"}}, req, resp)
	variant.setDecision(httpcache.Decision{Store: true, TTL: time.Minute, NoCacheRevalidate: true})
	variant.more = &metaMore{varies: true, vary: variance{fields: []string{"Accept-Encoding"}, key: "\x01gzip"}}
	slices := newMeta(200, http.Header{"Etag": {`"s"`}}, req, resp)
	slices.setDecision(httpcache.Decision{Store: true, TTL: time.Hour})
	slices.more = &metaMore{sliced: true, slices: sliceSet{sliceSize: 4 << 20, totalSize: 10 << 20, generation: "abc123"}}
	purged := newMeta(404, http.Header{}, req, resp)
	purged.softPurged.Store(true)

	if d := plain.decision(); d.SWR != 30*time.Second || d.SIE != time.Hour || !d.HasSIE || !d.MustRevalidate || d.NoCacheRevalidate {
		t.Fatalf("decision %+v", d)
	}
	if plain.initialAge.duration() != 1500*time.Millisecond {
		t.Fatalf("initial age %v, want the response delay", plain.initialAge.duration())
	}
	mem := store.NewMemory(1<<20, 0)
	for name, m := range map[string]*meta{"plain": plain, "variant": variant, "slice marker": slices, "soft-purged": purged} {
		obj := store.NewObject(m, m.size())
		obj.Body().Write([]byte("body of " + name))
		obj.Body().Close(nil)
		mem.Put(name, obj)
		fo := mem.Get([]byte(name))
		if fo == nil || !fo.Frozen() || fo.Meta() == any(m) {
			t.Fatalf("%s: stored %+v, want a frozen copy", name, fo)
		}
		if want := m.outside(); fo.MetaSize() != want {
			t.Errorf("%s: frozen MetaSize %d, want %d (what the meta holds outside the object)", name, fo.MetaSize(), want)
		}
		fm := fo.Meta().(*meta)
		sameMeta(t, name+", frozen", fm, m)
		if fm.block.via>>30 != blockFrozen || fm.lines() != m.lines() || fm.fields().hit() != m.fields().hit() || fm.fields().via() != m.fields().via() {
			t.Fatalf("%s: the frozen copy's block %+v gives %q, want %q", name, fm.block, fm.lines(), m.lines())
		}

		b, err := metaCodec{}.EncodeMeta(m)
		if err != nil {
			t.Fatal(err)
		}
		dm, _, err := metaCodec{}.DecodeMeta(b)
		if err != nil {
			t.Fatal(err)
		}
		m.softPurged.Store(false) // not kept on disk
		sameMeta(t, name+", from disk", dm.(*meta), m)
	}

	// Stale windows beyond RFC 9111's 2^31 seconds are capped there.
	m := &meta{}
	m.setDecision(httpcache.Decision{SWR: 1 << 33 * time.Second})
	if m.decision().SWR != 1<<31*time.Second {
		t.Fatalf("SWR %v", m.decision().SWR)
	}
}

// TestMetaSize keeps the meta at 48 bytes: every cached object has one,
// inside its frozen allocation (store/frozen.go).
func TestMetaSize(t *testing.T) {
	if n := unsafe.Sizeof(meta{}); n != 48 {
		t.Fatalf("meta is %d bytes, want 48", n)
	}
}
