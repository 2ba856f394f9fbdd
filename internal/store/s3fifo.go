package store

// S3-FIFO (Yang et al., SOSP 2023): a small FIFO queue takes new objects and
// filters out one-hit wonders; objects read again while in it move to the
// main FIFO, which reinserts an object it would evict if it was read since
// its last pass. A ghost FIFO remembers keys recently evicted from the small
// queue so that their return goes straight to main. Hits only bump a counter,
// which is what lets lookups skip the eviction lock entirely.

const (
	queueNone uint8 = iota
	queueSmall
	queueMain
)

type fifo struct {
	head, tail *Object // insert at head, evict at tail
	bytes      int64
	n          int
}

func (q *fifo) pushHead(o *Object) {
	o.prev, o.next = nil, q.head
	if q.head != nil {
		q.head.prev = o
	}
	q.head = o
	if q.tail == nil {
		q.tail = o
	}
	q.bytes += o.cost()
	q.n++
}

func (q *fifo) unlink(o *Object) {
	if o.prev != nil {
		o.prev.next = o.next
	} else {
		q.head = o.next
	}
	if o.next != nil {
		o.next.prev = o.prev
	} else {
		q.tail = o.prev
	}
	o.prev, o.next = nil, nil
	q.bytes -= o.cost()
	q.n--
}

type evictor struct {
	maxBytes int64
	small    fifo
	main     fifo
	ghost    ghost // ghost.go
}

func (e *evictor) init(maxBytes int64) { e.maxBytes = maxBytes }

func (e *evictor) insert(o *Object, ghost bool) {
	o.freq.Store(0)
	if ghost {
		o.queue = queueMain
		e.main.pushHead(o)
		return
	}
	o.queue = queueSmall
	e.small.pushHead(o)
}

// remove takes o out of whichever queue holds it; false if none did.
func (e *evictor) remove(o *Object) bool {
	switch o.queue {
	case queueSmall:
		e.small.unlink(o)
	case queueMain:
		e.main.unlink(o)
	default:
		return false
	}
	o.queue = queueNone
	return true
}

// victim picks the next object to evict and unlinks it. toGhost says whether
// its key should be remembered (it left the small queue unread).
func (e *evictor) victim() (o *Object, toGhost bool) {
	for {
		if e.small.tail != nil && (e.small.bytes > e.maxBytes/10 || e.main.tail == nil) {
			t := e.small.tail
			e.small.unlink(t)
			if t.freq.Load() > 0 {
				t.freq.Store(0)
				t.queue = queueMain
				e.main.pushHead(t)
				continue
			}
			t.queue = queueNone
			return t, true
		}
		t := e.main.tail
		if t == nil {
			return nil, false
		}
		e.main.unlink(t)
		if f := t.freq.Load(); f > 0 {
			t.freq.Store(f - 1)
			e.main.pushHead(t)
			continue
		}
		t.queue = queueNone
		return t, false
	}
}

// ghostHas reports whether h is remembered, and forgets it.
func (e *evictor) ghostHas(h uint64) bool { return e.ghost.has(h) }

// ghostAdd remembers h, forgetting the oldest keys once the ghost has
// remembered more keys than the main queue holds objects (the paper's
// sizing), and at least 1024.
func (e *evictor) ghostAdd(h uint64) { e.ghost.add(h, max(e.main.n, 1024)) }
