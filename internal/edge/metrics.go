package edge

import "sync/atomic"

// metrics counts what the edge did. Counters are atomic so a hit never
// takes a lock for them; they are exported by the metrics endpoint.
type metrics struct {
	hits, refreshHits, misses, staleHits, errors atomic.Int64
	collapsed, originFetches, originErrors       atomic.Int64
	// loopConns are the connections in event loops now; loopMoves counts
	// those that moved from a loop to a goroutine (eventloop_linux.go).
	loopConns, loopMoves atomic.Int64
}

func (m *metrics) count(r result) {
	switch r {
	case resultHit:
		m.hits.Add(1)
	case resultRefreshHit:
		m.refreshHits.Add(1)
	case resultMiss:
		m.misses.Add(1)
	case resultStaleHit:
		m.staleHits.Add(1)
	case resultError:
		m.errors.Add(1)
	}
}

// Stats is a snapshot of the edge's counters.
type Stats struct {
	Hits, RefreshHits, Misses, StaleHits, Errors int64
	Collapsed, OriginFetches, OriginErrors       int64
	CacheObjects, CacheBytes                     int64
	DiskObjects, DiskBytes                       int64
	// LoopConns is how many HTTP/1.1 connections the event loops hold now;
	// LoopMoves how many have moved from a loop to a goroutine (for a miss,
	// a disk hit, a slow reader...).
	LoopConns, LoopMoves int64
}

// Stats returns the edge's counters.
func (s *Server) Stats() Stats {
	m := &s.metrics
	st := Stats{
		Hits: m.hits.Load(), RefreshHits: m.refreshHits.Load(), Misses: m.misses.Load(),
		StaleHits: m.staleHits.Load(), Errors: m.errors.Load(), Collapsed: m.collapsed.Load(),
		OriginFetches: m.originFetches.Load(), OriginErrors: m.originErrors.Load(),
		CacheObjects: s.store.Len(), CacheBytes: s.store.Used(),
		LoopConns: m.loopConns.Load(), LoopMoves: m.loopMoves.Load(),
	}
	if d := s.store.Disk(); d != nil {
		st.DiskObjects, st.DiskBytes = d.Len(), d.Used()
	}
	return st
}
