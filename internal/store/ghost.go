package store

// ghost is S3-FIFO's ghost queue: the hashes of keys recently evicted from
// the small queue unread, oldest first, up to a limit that follows the
// main queue's length. A ring holds the hashes in order; an open-addressing
// table finds a hash's latest entry (a tag byte and the entry's sequence
// number, 5 bytes a slot), so a remembered key costs about 8 + 8 bytes where
// a map and a ring of (hash, sequence) pairs cost about 45.
//
// It is not safe for concurrent use: the eviction lock guards it.
type ghost struct {
	// ring[seq & (len(ring)-1)] is the hash added with sequence number seq,
	// for seq in [head, head+n).
	ring []uint64
	head uint64
	n    int
	// tags and seqs: for each remembered hash, the low 32 bits of the
	// sequence number of its latest entry, which hold its ring slot while
	// the ring is at most 2^32 long.
	tags       []uint8
	seqs       []uint32
	live, used int
}

// add remembers h as the newest key, first forgetting the oldest ones so
// that at most limit are remembered. A hash added again is remembered from
// its latest add: its earlier entry must not forget it.
func (g *ghost) add(h uint64, limit int) {
	for ; g.n > 0 && g.n >= limit; g.n-- {
		seq := g.head
		if i := g.find(g.ring[seq&uint64(len(g.ring)-1)]); i >= 0 && g.seqs[i] == uint32(seq) {
			g.del(i)
		}
		g.head++
	}
	if g.n == len(g.ring) { // full but allowed more: grow, in order
		g.growRing(max(2*len(g.ring), 1024))
	}
	seq := g.head + uint64(g.n)
	g.ring[seq&uint64(len(g.ring)-1)] = h
	g.n++
	if i := g.find(h); i >= 0 {
		g.seqs[i] = uint32(seq)
		return
	}
	if (g.used+1)*8 > len(g.tags)*7 {
		g.resize(g.live + 1)
	}
	g.put(h, uint32(seq))
}

// has reports whether h is remembered, and forgets it.
func (g *ghost) has(h uint64) bool {
	i := g.find(h)
	if i >= 0 {
		g.del(i)
	}
	return i >= 0
}

func (g *ghost) find(h uint64) int {
	if len(g.tags) == 0 {
		return -1
	}
	tag, mask, rmask := tagOf(h), len(g.tags)-1, uint32(len(g.ring)-1)
	for i, n := int(h>>8)&mask, 0; n < len(g.tags); i, n = (i+1)&mask, n+1 {
		switch g.tags[i] {
		case tagEmpty:
			return -1
		case tag:
			if g.ring[g.seqs[i]&rmask] == h {
				return i
			}
		}
	}
	return -1
}

// put adds h, known not to be in the table, with the sequence number seq.
func (g *ghost) put(h uint64, seq uint32) {
	mask := len(g.tags) - 1
	i := int(h>>8) & mask
	for g.tags[i] > tagDeleted {
		i = (i + 1) & mask
	}
	if g.tags[i] == tagEmpty {
		g.used++
	}
	g.tags[i], g.seqs[i] = tagOf(h), seq
	g.live++
}

func (g *ghost) del(i int) {
	mask := len(g.tags) - 1
	g.live--
	if g.tags[(i+1)&mask] != tagEmpty {
		g.tags[i] = tagDeleted
	} else {
		g.tags[i] = tagEmpty
		g.used--
		for i = (i - 1) & mask; g.tags[i] == tagDeleted; i = (i - 1) & mask {
			g.tags[i] = tagEmpty
			g.used--
		}
	}
	if len(g.tags) > 1024 && g.live*8 < len(g.tags) {
		g.resize(g.live) // the main queue shrank: give the memory back
	}
}

// resize rebuilds the table for n hashes at most 7/16 full.
func (g *ghost) resize(n int) {
	size := minIndex
	for size*7 < n*16 {
		size *= 2
	}
	tags, seqs := g.tags, g.seqs
	g.tags, g.seqs, g.live, g.used = make([]uint8, size), make([]uint32, size), 0, 0
	rmask := uint32(len(g.ring) - 1)
	for i, t := range tags {
		if t > tagDeleted {
			g.put(g.ring[seqs[i]&rmask], seqs[i])
		}
	}
}

// growRing moves the live entries into a ring of size slots (a power of
// two), each to its sequence number's slot there.
func (g *ghost) growRing(size int) {
	ring := make([]uint64, size)
	for k := range g.n {
		seq := g.head + uint64(k)
		ring[seq&uint64(size-1)] = g.ring[seq&uint64(len(g.ring)-1)]
	}
	g.ring = ring
}
