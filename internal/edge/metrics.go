package edge

import "sync/atomic"

// metrics counts what the edge did. Counters are atomic so a hit never
// takes a lock for them; they are exported by the metrics endpoint.
type metrics struct {
	hits, refreshHits, misses, staleHits, errors atomic.Int64
	collapsed, originFetches, originErrors       atomic.Int64
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
}

// Stats returns the edge's counters.
func (s *Server) Stats() Stats {
	m := &s.metrics
	st := Stats{
		Hits: m.hits.Load(), RefreshHits: m.refreshHits.Load(), Misses: m.misses.Load(),
		StaleHits: m.staleHits.Load(), Errors: m.errors.Load(), Collapsed: m.collapsed.Load(),
		OriginFetches: m.originFetches.Load(), OriginErrors: m.originErrors.Load(),
		CacheObjects: s.store.Len(), CacheBytes: s.store.Used(),
	}
	if d := s.store.Disk(); d != nil {
		st.DiskObjects, st.DiskBytes = d.Len(), d.Used()
	}
	return st
}
