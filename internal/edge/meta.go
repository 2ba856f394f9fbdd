package edge

import (
	"net/http"
	"time"
	"unsafe"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/store"
)

// meta is what the edge keeps with a stored response besides its body.
// It is immutable once stored: a revalidation makes a new one. It is kept
// small (48 bytes) because every cached object has one: its header is an
// encoded field block (fieldblock.go), which the memory tier moves, with
// the meta itself, into the object's single allocation with the key and the
// body once the object is complete (store.Freezer below), where the meta
// finds it without a string of its own (block); times are compact
// (metatime.go); what only Vary variants and slice markers need hangs off a
// pointer that is nil otherwise.
type meta struct {
	block blockAt // where the field block's bytes are, and its layout
	// responseAt is when the response arrived (RFC 9111 §4.2.3), as a
	// clockBase offset.
	responseAt int64
	more       *metaMore // Vary and slice details; nil for most responses
	rule       cacheRule
	// initialAge is RFC 9111 §4.2.3's corrected_initial_age, computed once
	// when the response arrives so that a hit does not parse Date and Age.
	initialAge age32
	status     int16
	ruleFlags  uint8 // the rest of the decision: the rule* flags
	marker     bool  // a Vary marker: no response, only its Vary fields
	// softPurged marks a response a soft purge made stale; it also holds
	// how long before responseAt the request was sent (metatime.go).
	softPurged purgeWord
}

// ownedMeta is a meta with its field block's bytes: every meta but the
// frozen copies, which find theirs in their object's allocation. Make it
// with newOwned.
type ownedMeta struct {
	meta
	lines string
}

// blockAt says where a meta's field block is and how it is laid out.
type blockAt struct {
	hitEnd uint32
	// via is the block's viaStart in its low 30 bits (encodeFields keeps
	// blocks below maxBlock) and, in the top two, where its bytes are.
	via uint32
}

const (
	blockNone   = 0 // no field block (a zero meta)
	blockOwn    = 1 // the meta is the head of an ownedMeta
	blockFrozen = 2 // the meta is a frozen object's copy (store.FrozenMetaBytes)
	viaMask     = 1<<30 - 1
)

// newOwned returns a zero meta that owns the field block fb.
func newOwned(fb fieldBlock) *meta {
	o := &ownedMeta{lines: fb.lines}
	o.block = blockAt{hitEnd: fb.hitEnd, via: fb.viaStart | blockOwn<<30}
	return &o.meta
}

// fields is the stored header, as sent to viewers before the edge's own
// fields. It does not allocate.
func (m *meta) fields() fieldBlock {
	return fieldBlock{lines: m.lines(), hitEnd: m.block.hitEnd, viaStart: m.block.via & viaMask}
}

// lines are the field block's bytes.
func (m *meta) lines() string {
	switch m.block.via >> 30 {
	case blockOwn:
		// newOwned made m as the first field of an ownedMeta.
		return (*ownedMeta)(unsafe.Pointer(m)).lines
	case blockFrozen:
		return store.FrozenMetaBytes(unsafe.Pointer(m))
	}
	return ""
}

// metaMore is what only some responses need.
type metaMore struct {
	vary   variance // set for a Vary marker and the variants it leads to
	slices sliceSet // set for a slice marker (slice.go)
	varies bool
	sliced bool
}

// variance is a varying response's Vary fields (normalised) and the
// secondary key its variant answers.
type variance struct {
	fields []string
	key    string
}

// sliceSet describes an object cached in slices.
type sliceSet struct {
	sliceSize, totalSize int64
	generation           string // names this set of slices; a new set gets a new one
}

// cacheRule and ruleFlags are the part of an httpcache.Decision a stored
// response needs. The TTL is kept to the millisecond (whole seconds past
// 24.8 days, metatime.go), the stale windows in whole seconds
// (delta-seconds, RFC 9111 §1.2.2, which also caps them at 2^31).
type cacheRule struct {
	ttl      ttl32
	swr, sie uint32 // seconds
}

func toSeconds(d time.Duration) uint32 { return uint32(min(max(d/time.Second, 0), 1<<31)) }

const (
	ruleStore uint8 = 1 << iota
	ruleMustRevalidate
	ruleNoCacheRevalidate
	ruleHasSIE
)

// newMeta describes a response that arrived at responseTime with header
// (which it encodes; later changes to header do not reach it).
func newMeta(status int, header http.Header, requestTime, responseTime time.Time) *meta {
	if _, ok := header["Date"]; !ok && status != 0 {
		// RFC 9110 §6.6.1: a cache that receives a response without Date
		// records when it arrived and adds it.
		header["Date"] = []string{responseTime.UTC().Format(http.TimeFormat)}
	}
	m := newOwned(encodeFields(status, header))
	m.status, m.responseAt = int16(status), toClock(responseTime)
	m.initialAge = toAge32(httpcache.CurrentAge(header, requestTime, responseTime, responseTime))
	m.softPurged.setDelay(requestTime, responseTime)
	return m
}

func (m *meta) requestTime() time.Time  { return m.softPurged.requestTime(m.responseAt) }
func (m *meta) responseTime() time.Time { return fromClock(m.responseAt) }

// decision is the stored response's caching decision.
func (m *meta) decision() httpcache.Decision {
	r, f := m.rule, m.ruleFlags
	return httpcache.Decision{
		Store: f&ruleStore != 0, TTL: r.ttl.duration(), SWR: time.Duration(r.swr) * time.Second, SIE: time.Duration(r.sie) * time.Second,
		MustRevalidate: f&ruleMustRevalidate != 0, NoCacheRevalidate: f&ruleNoCacheRevalidate != 0,
		HasSIE: f&ruleHasSIE != 0,
	}
}

// setDecision keeps what a stored response needs of d (not its reason
// for not storing, nor the fields it stripped, which are gone already).
func (m *meta) setDecision(d httpcache.Decision) {
	m.rule, m.ruleFlags = cacheRule{ttl: toTTL32(d.TTL), swr: toSeconds(d.SWR), sie: toSeconds(d.SIE)}, 0
	for _, f := range [...]struct {
		on   bool
		flag uint8
	}{{d.Store, ruleStore}, {d.MustRevalidate, ruleMustRevalidate}, {d.NoCacheRevalidate, ruleNoCacheRevalidate}, {d.HasSIE, ruleHasSIE}} {
		if f.on {
			m.ruleFlags |= f.flag
		}
	}
}

func (m *meta) noCacheRevalidate() bool { return m.ruleFlags&ruleNoCacheRevalidate != 0 }

// variance is the response's Vary details, or nil when it does not vary.
func (m *meta) variance() *variance {
	if m.more == nil || !m.more.varies {
		return nil
	}
	return &m.more.vary
}

// sliceSet is the slice marker's details, or nil for anything else.
func (m *meta) sliceSet() *sliceSet {
	if m.more == nil || !m.more.sliced {
		return nil
	}
	return &m.more.slices
}

// varyFields is the response's Vary, normalised; nil without one.
func (m *meta) varyFields() []string {
	if v := m.variance(); v != nil {
		return v.fields
	}
	return nil
}

// varyKey is the secondary key this variant answers.
func (m *meta) varyKey() string {
	if v := m.variance(); v != nil {
		return v.key
	}
	return ""
}

func (m *meta) sliced() bool { return m.sliceSet() != nil }

// withFields returns a copy of m with another field block.
func (m *meta) withFields(fb fieldBlock) *meta {
	n := newOwned(fb)
	m.copyTo(n)
	return n
}

// copyTo makes n, a zero meta but for its block, a copy of m.
func (m *meta) copyTo(n *meta) {
	n.status, n.responseAt = m.status, m.responseAt
	n.initialAge, n.rule, n.ruleFlags, n.more, n.marker = m.initialAge, m.rule, m.ruleFlags, m.more, m.marker
	n.softPurged.copyFrom(&m.softPurged)
}

// withHeader returns a copy of m with another header.
func (m *meta) withHeader(h http.Header) *meta { return m.withFields(encodeFields(int(m.status), h)) }

// header decodes the stored header into a map of its own.
func (m *meta) header() http.Header { return m.fields().header() }

// age is the response's current_age: its initial age plus the time it has
// been resident in the cache.
func (m *meta) age(now time.Time) time.Duration {
	age := m.initialAge.duration() + max(now.Sub(m.responseTime()), 0)
	if m.softPurged.Load() && age <= m.rule.ttl.duration() {
		// A soft purge ages the response just past its freshness: the
		// next request revalidates it, while its stale-while-revalidate
		// and stale-if-error windows still apply.
		age = m.rule.ttl.duration() + time.Second
	}
	return age
}

// outside is what a meta refers to besides itself and its field block:
// its Vary and slice details.
func (m *meta) outside() int {
	n := 0
	if mm := m.more; mm != nil {
		n += int(unsafe.Sizeof(metaMore{})) + len(mm.vary.key) + len(mm.slices.generation)
		for _, f := range mm.vary.fields {
			n += len(f) + 16
		}
	}
	return n
}

// size estimates the bytes an owned meta holds, for the store's
// accounting.
func (m *meta) size() int { return int(unsafe.Sizeof(ownedMeta{})) + m.outside() + len(m.lines()) }

// FrozenBytes and FreezeInto let the memory tier keep the meta and its
// field block in the frozen object's own allocation (store.Freezer); the
// copy finds b as store.FrozenMetaBytes of itself.
func (m *meta) FrozenBytes() string { return m.lines() }

func (m *meta) FreezeInto(dst any, b string) int {
	n := dst.(*meta)
	m.copyTo(n)
	n.block = blockAt{hitEnd: m.block.hitEnd, via: m.block.via&viaMask | blockFrozen<<30}
	return n.outside()
}

// storedHeader returns the header to keep from an origin response: no
// hop-by-hop fields and no Set-Cookie (one viewer's cookie must never be
// served to another; CloudFront strips it from cached responses too).
func storedHeader(h http.Header) http.Header {
	out := h.Clone()
	removeHopByHop(out)
	delete(out, "Set-Cookie")
	delete(out, "Pharos-Cdn-Cache-Control") // addressed to us alone (RFC 9213 §2)
	return out
}

// sharableWithAuthorization says whether a stored response may answer a
// request that carries Authorization (RFC 9111 §3.5): only when it said
// public, s-maxage or must-revalidate.
func (m *meta) sharableWithAuthorization() bool {
	d, _ := httpcache.EffectiveDirectives(m.header())
	return d.Public || d.HasSMaxAge || d.MustRevalidate
}

// The memory tier makes a type per size class for frozen metas
// (store/frozentype.go); making them all as the process starts (about
// 0.3 ms) keeps that work off the first fills.
func init() { store.PrepareFreezer((*meta)(nil)) }

var _ store.Freezer = (*meta)(nil)
