package edge

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/model"
	"github.com/pharos-cdn/pharos/internal/origin"
)

// Table is a compiled, immutable configuration: which distribution answers
// a Host, and which behaviour a path.
type Table struct {
	Revision uint64
	hosts    map[string]*Dist
	wild     []wildcard // "*.example.com" aliases, longest suffix first
	fallback *Dist      // the default (quick-start) distribution, if any
	dists    []*Dist
}

type wildcard struct {
	suffix string // ".example.com"
	dist   *Dist
}

// Dist is a compiled distribution.
type Dist struct {
	Model      *model.Distribution
	behaviors  []*Behavior       // in order, the default behaviour last
	errorPages map[int]errorPage // custom error pages by status (errorpages.go)
}

// Behavior is a compiled cache behaviour: everything a request needs,
// resolved once at compile time.
type Behavior struct {
	dist      *Dist
	pattern   model.Pattern
	origin    *origin.Client
	allowed   methodSet
	cached    methodSet
	keyPolicy httpcache.KeyPolicy
	ttl       httpcache.Policy
	forward   forwardRules
	sliceSize int64
	handler   Handler
	src       *model.Behavior // as configured, for stages compiled from it
	// fast says the HTTP/1.1 fast path may answer this behaviour's hits:
	// its key needs only host, path and query, and no stage before the
	// cache would act on a plain GET or HEAD.
	fast bool

	// respHeaders is the response headers policy (respheaders.go), or nil.
	respHeaders *respHeaders
}

// Lookup returns the distribution for a Host (without port, any case).
func (t *Table) Lookup(host string) *Dist {
	if d := t.hosts[host]; d != nil {
		return d
	}
	// "example.com." is the same name as "example.com" (absolute form).
	host = strings.TrimSuffix(host, ".")
	if d := t.hosts[host]; d != nil {
		return d
	}
	if hasUpper(host) {
		host = strings.ToLower(host)
		if d := t.hosts[host]; d != nil {
			return d
		}
	}
	for _, w := range t.wild {
		if strings.HasSuffix(host, w.suffix) {
			return w.dist
		}
	}
	return t.fallback
}

// Match returns the first behaviour whose pattern matches path (the default
// behaviour matches everything, so there is always one).
func (d *Dist) Match(path string) *Behavior {
	for _, b := range d.behaviors {
		if b.pattern.Match(path) {
			return b
		}
	}
	return d.behaviors[len(d.behaviors)-1]
}

// Dists returns the compiled distributions.
func (t *Table) Dists() []*Dist { return t.dists }

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// compile builds a Table from distribution documents. Origin clients are
// taken from pool when their settings did not change, so a configuration
// change does not drop pooled origin connections.
func compile(s *Server, rev uint64, docs map[string][]byte, pool *originPool) (*Table, error) {
	t := &Table{Revision: rev, hosts: map[string]*Dist{}}
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic when two distributions claim a host
	for _, k := range keys {
		var m model.Distribution
		if err := json.Unmarshal(docs[k], &m); err != nil {
			return nil, fmt.Errorf("edge: compile %s: %w", k, err)
		}
		m.ApplyDefaults()
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("edge: compile %s: %w", k, err)
		}
		if !m.Enabled {
			continue
		}
		d, err := compileDist(s, &m, pool)
		if err != nil {
			return nil, fmt.Errorf("edge: compile %s: %w", k, err)
		}
		t.dists = append(t.dists, d)
		names := append([]string{m.DomainName}, m.Aliases...)
		if m.DomainName != "" {
			// e-<edge>.<domain name>: the router's redirect mode names
			// one edge under the distribution's domain.
			names = append(names, "*."+m.DomainName)
		}
		for _, n := range names {
			n = strings.ToLower(strings.TrimSuffix(n, "."))
			if n == "" {
				continue
			}
			if strings.HasPrefix(n, "*.") {
				t.wild = append(t.wild, wildcard{suffix: n[1:], dist: d})
			} else if t.hosts[n] == nil {
				t.hosts[n] = d
			}
		}
		if m.Default && t.fallback == nil {
			t.fallback = d
		}
	}
	slices.SortFunc(t.wild, func(a, b wildcard) int { return len(b.suffix) - len(a.suffix) })
	return t, nil
}

func compileDist(s *Server, m *model.Distribution, pool *originPool) (*Dist, error) {
	d := &Dist{Model: m, errorPages: compileErrorPages(m)}
	all := append(slices.Clone(m.Behaviors), m.DefaultBehavior)
	for i := range all {
		mb := &all[i]
		var o *model.Origin
		for j := range m.Origins {
			if m.Origins[j].ID == mb.TargetOriginID {
				o = &m.Origins[j]
			}
		}
		cp, ok := mb.EffectiveCachePolicy()
		if o == nil || !ok {
			return nil, fmt.Errorf("behavior %q: unresolved origin or cache policy", mb.PathPattern)
		}
		b := &Behavior{
			dist:      d,
			pattern:   model.CompilePattern(mb.PathPattern),
			origin:    pool.get(*o),
			allowed:   newMethodSet(mb.AllowedMethods),
			cached:    newMethodSet(mb.CachedMethods),
			keyPolicy: keyPolicy(cp),
			ttl: httpcache.Policy{
				MinTTL:     time.Duration(cp.MinTTL) * time.Second,
				DefaultTTL: time.Duration(cp.DefaultTTL) * time.Second,
				MaxTTL:     time.Duration(cp.MaxTTL) * time.Second,
				// CachedMethods GET,HEAD,OPTIONS: OPTIONS answers are stored.
				CacheOPTIONS: newMethodSet(mb.CachedMethods).has(http.MethodOptions),
			},
			forward:   newForwardRules(cp, mb.OriginRequest),
			sliceSize: mb.SliceSize,
			src:       mb,
		}
		b.handler = buildChain(s, b)
		b.respHeaders = compileRespHeaders(mb.ResponseHeaders)
		kp := &b.keyPolicy
		b.fast = len(kp.Headers) == 0 && kp.Cookies == httpcache.ListNone &&
			!kp.AcceptEncodingGzip && !kp.AcceptEncodingBrotli && !checksViewer(b)
		// The fast path writes cached answers, errors included, itself:
		// custom error pages need the full path.
		b.fast = b.fast && b.respHeaders.fastCompatible() && d.errorPages == nil
		d.behaviors = append(d.behaviors, b)
	}
	return d, nil
}

func keyPolicy(cp model.CachePolicy) httpcache.KeyPolicy {
	return httpcache.KeyPolicy{
		QueryStrings:         listBehavior(cp.QueryStrings.Behavior),
		QueryStringNames:     cp.QueryStrings.Items,
		Headers:              cp.Headers.Items,
		Cookies:              listBehavior(cp.Cookies.Behavior),
		CookieNames:          cp.Cookies.Items,
		AcceptEncodingGzip:   cp.EnableAcceptEncoding.Gzip,
		AcceptEncodingBrotli: cp.EnableAcceptEncoding.Brotli,
	}
}

func listBehavior(s string) httpcache.ListBehavior {
	switch s {
	case "whitelist":
		return httpcache.ListWhitelist
	case "allExcept":
		return httpcache.ListAllExcept
	case "all":
		return httpcache.ListAll
	}
	return httpcache.ListNone
}

// errorTTL is how long an origin error status is cached in this behaviour.
func (b *Behavior) policyFor(status int) httpcache.Policy {
	p := b.ttl
	p.ErrorCachingMinTTL = time.Duration(b.dist.Model.ErrorCachingMinTTL(status)) * time.Second
	return p
}

// methodSet is a bit set of HTTP methods.
type methodSet uint16

var methodBits = map[string]methodSet{
	http.MethodGet: 1, http.MethodHead: 2, http.MethodOptions: 4, http.MethodPut: 8,
	http.MethodPost: 16, http.MethodPatch: 32, http.MethodDelete: 64,
}

func newMethodSet(ms []string) methodSet {
	var s methodSet
	for _, m := range ms {
		s |= methodBits[strings.ToUpper(m)]
	}
	return s
}

func (s methodSet) has(method string) bool {
	switch method { // the common cases without a map lookup
	case http.MethodGet:
		return s&1 != 0
	case http.MethodHead:
		return s&2 != 0
	}
	return s&methodBits[method] != 0
}
