// Package store holds cached objects: opaque metadata plus a body of bytes.
//
// It knows bytes, not HTTP. Freshness, Vary and validators live in httpcache
// and the edge, above the store (STYLE.md §3). The store offers three things:
//
//   - Body: an append-only chunk list that readers can follow while it is
//     still being written, so every viewer waiting on one origin fetch gets
//     bytes as they arrive (Varnish streams; nginx's cache lock polls).
//   - Fill: one origin fetch per key at a time (request collapsing).
//   - Memory: a size-bounded index with S3-FIFO eviction, which beats LRU on
//     skewed traffic and needs no lock on a hit (a hit only bumps a counter).
package store
