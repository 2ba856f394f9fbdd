package store

import (
	"io"
	"os"
)

// Tiered is the memory tier in front of an optional disk tier. Fills are
// written through to disk as they stream in (so a restart, even after
// kill -9, keeps them); objects read from disk again are promoted into
// memory; memory evictions leave the disk copy in place. Objects too large
// for memory live on disk alone.
type Tiered struct {
	*Memory
	disk      *Disk
	promoting chan struct{} // bounds concurrent promotions
}

// NewTiered puts mem in front of disk (nil for memory only).
func NewTiered(mem *Memory, disk *Disk) *Tiered {
	return &Tiered{Memory: mem, disk: disk, promoting: make(chan struct{}, 2)}
}

// Disk returns the disk tier, or nil.
func (t *Tiered) Disk() *Disk { return t.disk }

// Get returns key's object from memory, else from disk (whose Body() is nil:
// read it with Open). A disk object read again is promoted into memory in
// the background when it fits there.
func (t *Tiered) Get(key []byte) *Object {
	if o := t.Memory.Get(key); o != nil {
		return o
	}
	if t.disk == nil {
		return nil
	}
	o := t.disk.Get(key)
	if o != nil && o.freq.Load() >= 2 && o.file().bodyLen <= t.maxObj {
		select {
		case t.promoting <- struct{}{}:
			go func() {
				defer func() { <-t.promoting }()
				t.promote(o)
			}()
		default: // promotions are an optimisation: skip when busy
		}
	}
	return o
}

func (t *Tiered) promote(o *Object) {
	f, err := t.disk.Open(o)
	if err != nil {
		return
	}
	defer f.Close()
	buf := make([]byte, o.file().bodyLen)
	if _, err := io.ReadFull(f, buf); err != nil {
		return
	}
	m := newExt(o.Meta(), o.MetaSize(), CompleteBody(buf))
	// Only if nothing newer arrived in memory meanwhile.
	if key := o.Key(); t.Memory.Get([]byte(key)) == nil && t.disk.Get([]byte(key)) == o {
		t.Memory.Put(key, m)
	}
}

// Put stores obj under key: an object with a body goes to memory; a disk
// object given new metadata (a 304 refresh) replaces its index entry.
func (t *Tiered) Put(key string, obj *Object) bool {
	if obj.OnDisk() {
		if t.disk == nil {
			return false
		}
		x := obj.ext()
		x.key = key
		x.cost = x.file.bodyOff + x.file.bodyLen
		t.disk.insert(obj)
		return true
	}
	return t.Memory.Put(key, obj)
}

// Remove drops key's object. A disk object given as obj is removed from
// disk only if it is still the one there; otherwise memory drops key (only
// if it is obj, when obj is given) and disk drops its copy of the same
// content.
func (t *Tiered) Remove(key string, obj *Object) bool {
	if obj != nil && obj.OnDisk() {
		return t.disk != nil && t.disk.removeIf(key, obj)
	}
	removed := t.Memory.Remove(key, obj)
	if t.disk != nil {
		removed = t.disk.Remove(key) || removed
	}
	return removed
}

// Open returns a disk object's file positioned at its body.
func (t *Tiered) Open(o *Object) (*os.File, error) { return t.disk.Open(o) }

// NewDiskWriter starts writing key's fill to disk; nil without a disk tier.
func (t *Tiered) NewDiskWriter(key string, meta any, metaSize int) (*DiskWriter, error) {
	if t.disk == nil {
		return nil, nil
	}
	return t.disk.NewWriter(key, meta, metaSize)
}

// Range calls fn for every object in memory, then every object on disk.
func (t *Tiered) Range(fn func(key string, o *Object) bool) {
	cont := true
	t.Memory.Range(func(k string, o *Object) bool { cont = fn(k, o); return cont })
	if cont && t.disk != nil {
		t.disk.Range(fn)
	}
}
