package store

// index maps keys to objects within one shard of the memory tier: open
// addressing with linear probing over a table of pointers, with one byte of
// each key's hash beside each pointer so that a probe compares a key only
// when that byte matches. A slot costs 9 bytes (a map[uint64]*Object slot
// costs 17), about 14 per object at the table's load; the key itself is not
// kept here but in the object, which every match is checked against, so
// keys whose hashes collide, even in all 64 bits, are told apart.
//
// It is not safe for concurrent use: the shard's lock guards it.
type index struct {
	tags []uint8 // tagEmpty, tagDeleted, or the tag of the key in objs[i]
	objs []*Object
	live int // objects held
	used int // slots not empty: live plus deleted
}

const (
	tagEmpty   = 0
	tagDeleted = 1
	minIndex   = 8
)

// tagOf is a key's tag: its hash's top byte, kept clear of the two marks.
func tagOf(h uint64) uint8 {
	t := uint8(h >> 56)
	if t <= tagDeleted {
		t += 2
	}
	return t
}

// slot is where a key with hash h starts probing: the bits above the
// shard's (memory.go takes the low ones).
func (x *index) slot(h uint64) int { return int(h>>8) & (len(x.tags) - 1) }

// get returns the object stored under key, or nil.
func (x *index) get(h uint64, key string) *Object {
	if i := x.find(h, key); i >= 0 {
		return x.objs[i]
	}
	return nil
}

// find returns the slot holding key, or -1.
func (x *index) find(h uint64, key string) int {
	if len(x.tags) == 0 {
		return -1
	}
	tag, mask := tagOf(h), len(x.tags)-1
	for i, n := x.slot(h), 0; n < len(x.tags); i, n = (i+1)&mask, n+1 {
		switch x.tags[i] {
		case tagEmpty:
			return -1
		case tag:
			if x.objs[i].Key() == key {
				return i
			}
		}
	}
	return -1
}

// set stores o under key (o's key, hashing to h), replacing what was
// there. hash rehashes keys when the table grows.
func (x *index) set(h uint64, key string, o *Object, hash func(string) uint64) {
	if i := x.find(h, key); i >= 0 {
		x.objs[i] = o
		return
	}
	if (x.used+1)*8 > len(x.tags)*7 {
		x.resize(x.live+1, hash)
	}
	mask := len(x.tags) - 1
	i := x.slot(h)
	for x.tags[i] > tagDeleted {
		i = (i + 1) & mask
	}
	if x.tags[i] == tagEmpty {
		x.used++
	}
	x.tags[i], x.objs[i] = tagOf(h), o
	x.live++
}

// del empties slot i.
func (x *index) del(i int, hash func(string) uint64) {
	mask := len(x.tags) - 1
	x.objs[i] = nil
	x.live--
	if x.tags[(i+1)&mask] != tagEmpty {
		x.tags[i] = tagDeleted // a probe for a later key must go on past it
	} else {
		// Nothing probes past here: this slot, and the deleted run
		// before it, are empty again.
		x.tags[i] = tagEmpty
		x.used--
		for i = (i - 1) & mask; x.tags[i] == tagDeleted; i = (i - 1) & mask {
			x.tags[i] = tagEmpty
			x.used--
		}
	}
	if len(x.tags) > 1024 && x.live*8 < len(x.tags) {
		x.resize(x.live, hash) // most of it went: give the memory back
	}
}

// resize rebuilds the table for n objects at most 7/16 full, dropping the
// deleted marks.
func (x *index) resize(n int, hash func(string) uint64) {
	size := minIndex
	for size*7 < n*16 {
		size *= 2
	}
	old := x.objs
	x.tags, x.objs, x.live, x.used = make([]uint8, size), make([]*Object, size), 0, 0
	mask := size - 1
	for _, o := range old {
		if o == nil {
			continue
		}
		h := hash(o.Key())
		i := x.slot(h)
		for x.tags[i] != tagEmpty {
			i = (i + 1) & mask
		}
		x.tags[i], x.objs[i] = tagOf(h), o
		x.live++
		x.used++
	}
}

// each calls fn for every object held.
func (x *index) each(fn func(*Object)) {
	for _, o := range x.objs {
		if o != nil {
			fn(o)
		}
	}
}
