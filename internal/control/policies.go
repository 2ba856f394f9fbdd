package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
)

// Key prefixes of the stored resources in the engine's config bucket.
const (
	cachePolicyPrefix           = "cachepolicy."
	originRequestPolicyPrefix   = "originrequestpolicy."
	responseHeadersPolicyPrefix = "responseheaderspolicy."
)

// ResourceError is a failure with CloudFront's error code and HTTP status
// (NoSuchCachePolicy 404, CachePolicyInUse 409, ...): both APIs answer
// with them as they are.
type ResourceError struct {
	Status  int
	Code    string
	Message string
}

func (e *ResourceError) Error() string { return e.Code + ": " + e.Message }

func resErr(status int, code, format string, args ...any) *ResourceError {
	return &ResourceError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Versioned is a stored resource with its ETag; Managed marks CloudFront's
// managed policies, which are read-only.
type Versioned[T any] struct {
	Item    T
	ETag    string
	Managed bool
}

// managedETag is the version of every managed policy: they never change.
const managedETag = "E1"

// store keeps one kind of JSON document under a key prefix.
type store[T any] struct {
	cfg    *bus.ConfigStore
	prefix string
}

func (s store[T]) get(ctx context.Context, id string) (T, uint64, error) {
	var v T
	if !validKeyToken(id) {
		// Not an id we could have made, and not a safe engine key.
		return v, 0, fmt.Errorf("control: get %s%q: %w", s.prefix, id, bus.ErrNotFound)
	}
	b, rev, err := s.cfg.Get(ctx, s.prefix+id)
	if err != nil {
		return v, 0, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, 0, fmt.Errorf("control: %s%s is damaged: %w", s.prefix, id, err)
	}
	return v, rev, nil
}

func (s store[T]) list(ctx context.Context) ([]Versioned[T], error) {
	entries, err := s.cfg.List(ctx, s.prefix)
	if err != nil {
		return nil, fmt.Errorf("control: list %s: %w", s.prefix, err)
	}
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]Versioned[T], 0, len(keys))
	for _, k := range keys {
		var v T
		if err := json.Unmarshal(entries[k].Value, &v); err != nil {
			return nil, fmt.Errorf("control: %s is damaged: %w", k, err)
		}
		out = append(out, Versioned[T]{Item: v, ETag: etag(entries[k].Revision)})
	}
	return out, nil
}

// put stores v under id at revision rev (0: only if absent).
func (s store[T]) put(ctx context.Context, id string, v T, rev uint64) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("control: encode %s%s: %w", s.prefix, id, err)
	}
	nrev, err := s.cfg.Update(ctx, s.prefix+id, b, rev)
	if errors.Is(err, bus.ErrConflict) {
		return "", ErrPrecondition
	}
	if err != nil {
		return "", fmt.Errorf("control: store %s%s: %w", s.prefix, id, err)
	}
	return etag(nrev), nil
}

// policyKind describes one kind of policy: where it is stored, its error
// codes, its managed ones, and which behaviours use it.
type policyKind[T any] struct {
	prefix, noun                 string // noun: "cache policy"
	noSuch, alreadyExists, inUse string // CloudFront's error codes
	managed                      func(id string) (T, bool)
	managedAll                   func() []T
	prepare                      func(p *T) error // defaults and validation
	name                         func(p *T) string
	usedBy                       func(b *model.Behavior, id string) bool
}

var cachePolicies = policyKind[model.CachePolicy]{
	prefix: cachePolicyPrefix, noun: "cache policy",
	noSuch: "NoSuchCachePolicy", alreadyExists: "CachePolicyAlreadyExists", inUse: "CachePolicyInUse",
	managed: model.ManagedCachePolicy, managedAll: model.ManagedCachePolicies,
	prepare: func(p *model.CachePolicy) error { p.ApplyDefaults(); return p.ValidateStored() },
	name:    func(p *model.CachePolicy) string { return p.Name },
	usedBy:  func(b *model.Behavior, id string) bool { return b.CachePolicyID == id },
}

var originRequestPolicies = policyKind[model.OriginRequestPolicy]{
	prefix: originRequestPolicyPrefix, noun: "origin request policy",
	noSuch: "NoSuchOriginRequestPolicy", alreadyExists: "OriginRequestPolicyAlreadyExists", inUse: "OriginRequestPolicyInUse",
	managed: model.ManagedOriginRequestPolicy, managedAll: model.ManagedOriginRequestPolicies,
	prepare: func(p *model.OriginRequestPolicy) error { p.ApplyDefaults(); return p.ValidateStored() },
	name:    func(p *model.OriginRequestPolicy) string { return p.Name },
	usedBy:  func(b *model.Behavior, id string) bool { return b.OriginRequestPolicyID == id },
}

var responseHeadersPolicies = policyKind[model.ResponseHeadersPolicy]{
	prefix: responseHeadersPolicyPrefix, noun: "response headers policy",
	noSuch: "NoSuchResponseHeadersPolicy", alreadyExists: "ResponseHeadersPolicyAlreadyExists", inUse: "ResponseHeadersPolicyInUse",
	managed: model.ManagedResponseHeadersPolicy, managedAll: model.ManagedResponseHeadersPolicies,
	prepare: func(p *model.ResponseHeadersPolicy) error { return p.ValidateStored() },
	name:    func(p *model.ResponseHeadersPolicy) string { return p.Name },
	usedBy:  func(b *model.Behavior, id string) bool { return b.ResponseHeadersPolicyID == id },
}

// Policies serves one kind of policy: T is model.CachePolicy,
// model.OriginRequestPolicy or model.ResponseHeadersPolicy.
type Policies[T any] struct {
	svc   *Service
	kind  policyKind[T]
	store store[T]
	setID func(p *T, id string)
	stamp func(p *T)
}

// CachePolicies serves the cache policies.
func (s *Service) CachePolicies() *Policies[model.CachePolicy] {
	return &Policies[model.CachePolicy]{svc: s, kind: cachePolicies, store: store[model.CachePolicy]{s.cfg, cachePolicyPrefix},
		setID: func(p *model.CachePolicy, id string) { p.ID = id },
		stamp: func(p *model.CachePolicy) { p.LastModified = s.now().UTC() }}
}

// OriginRequestPolicies serves the origin request policies.
func (s *Service) OriginRequestPolicies() *Policies[model.OriginRequestPolicy] {
	return &Policies[model.OriginRequestPolicy]{svc: s, kind: originRequestPolicies,
		store: store[model.OriginRequestPolicy]{s.cfg, originRequestPolicyPrefix},
		setID: func(p *model.OriginRequestPolicy, id string) { p.ID = id },
		stamp: func(p *model.OriginRequestPolicy) { p.LastModified = s.now().UTC() }}
}

// ResponseHeadersPolicies serves the response headers policies.
func (s *Service) ResponseHeadersPolicies() *Policies[model.ResponseHeadersPolicy] {
	return &Policies[model.ResponseHeadersPolicy]{svc: s, kind: responseHeadersPolicies,
		store: store[model.ResponseHeadersPolicy]{s.cfg, responseHeadersPolicyPrefix},
		setID: func(p *model.ResponseHeadersPolicy, id string) { p.ID = id },
		stamp: func(p *model.ResponseHeadersPolicy) { p.LastModified = s.now().UTC() }}
}

func (p *Policies[T]) noSuch(id string) error {
	return resErr(http.StatusNotFound, p.kind.noSuch, "the %s %s does not exist", p.kind.noun, id)
}

// Get returns a policy, managed or stored.
func (p *Policies[T]) Get(ctx context.Context, id string) (Versioned[T], error) {
	if m, ok := p.kind.managed(id); ok {
		return Versioned[T]{Item: m, ETag: managedETag, Managed: true}, nil
	}
	v, rev, err := p.store.get(ctx, id)
	if errors.Is(err, bus.ErrNotFound) {
		return Versioned[T]{}, p.noSuch(id)
	}
	if err != nil {
		return Versioned[T]{}, err
	}
	return Versioned[T]{Item: v, ETag: etag(rev)}, nil
}

// List returns the managed policies ("managed"), the stored ones
// ("custom"), or both (""), managed first.
func (p *Policies[T]) List(ctx context.Context, typ string) ([]Versioned[T], error) {
	var out []Versioned[T]
	if typ == "" || typ == "managed" {
		for _, m := range p.kind.managedAll() {
			out = append(out, Versioned[T]{Item: m, ETag: managedETag, Managed: true})
		}
	}
	if typ == "" || typ == "custom" {
		stored, err := p.store.list(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, stored...)
	}
	return out, nil
}

// Create validates and stores a new policy under a new id.
func (p *Policies[T]) Create(ctx context.Context, item T) (Versioned[T], error) {
	id := model.NewPolicyID()
	p.setID(&item, id)
	p.stamp(&item)
	if err := p.kind.prepare(&item); err != nil {
		return Versioned[T]{}, err
	}
	if err := p.checkName(ctx, id, p.kind.name(&item)); err != nil {
		return Versioned[T]{}, err
	}
	tag, err := p.store.put(ctx, id, item, 0)
	if err != nil {
		return Versioned[T]{}, err
	}
	return Versioned[T]{Item: item, ETag: tag}, nil
}

// Update replaces a stored policy when ifMatch is its ETag ("" skips the
// check), then re-stores every distribution that uses it so the edges get
// the new content.
func (p *Policies[T]) Update(ctx context.Context, id, ifMatch string, item T) (Versioned[T], error) {
	if _, ok := p.kind.managed(id); ok {
		return Versioned[T]{}, resErr(http.StatusBadRequest, "IllegalUpdate", "the managed %s %s cannot be changed", p.kind.noun, id)
	}
	cur, err := p.Get(ctx, id)
	if err != nil {
		return Versioned[T]{}, err
	}
	if ifMatch != "" && ifMatch != cur.ETag {
		return Versioned[T]{}, ErrPrecondition
	}
	p.setID(&item, id)
	p.stamp(&item)
	if err := p.kind.prepare(&item); err != nil {
		return Versioned[T]{}, err
	}
	if err := p.checkName(ctx, id, p.kind.name(&item)); err != nil {
		return Versioned[T]{}, err
	}
	rev, _ := ParseETag(cur.ETag)
	tag, err := p.store.put(ctx, id, item, rev)
	if err != nil {
		return Versioned[T]{}, err
	}
	if err := p.svc.restoreReferencing(ctx, func(b *model.Behavior) bool { return p.kind.usedBy(b, id) }); err != nil {
		return Versioned[T]{}, err
	}
	return Versioned[T]{Item: item, ETag: tag}, nil
}

// Delete removes a stored policy that no distribution uses.
func (p *Policies[T]) Delete(ctx context.Context, id, ifMatch string) error {
	if _, ok := p.kind.managed(id); ok {
		return resErr(http.StatusBadRequest, "IllegalDelete", "the managed %s %s cannot be deleted", p.kind.noun, id)
	}
	cur, err := p.Get(ctx, id)
	if err != nil {
		return err
	}
	if ifMatch != "" && ifMatch != cur.ETag {
		return ErrPrecondition
	}
	users, err := p.svc.distributionsUsing(ctx, func(b *model.Behavior) bool { return p.kind.usedBy(b, id) })
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return resErr(http.StatusConflict, p.kind.inUse, "the %s %s is used by distribution %s", p.kind.noun, id, strings.Join(users, ", "))
	}
	if err := p.svc.cfg.Delete(ctx, p.kind.prefix+id); err != nil {
		return fmt.Errorf("control: delete %s: %w", p.kind.noun, err)
	}
	return nil
}

// checkName refuses a name another policy of the kind (managed or
// stored) already has (CloudFront's *AlreadyExists).
func (p *Policies[T]) checkName(ctx context.Context, id, name string) error {
	all, err := p.List(ctx, "")
	if err != nil {
		return err
	}
	for _, o := range all {
		if p.kind.name(&o.Item) == name && p.idOf(o.Item) != id {
			return resErr(http.StatusConflict, p.kind.alreadyExists, "a %s named %q already exists", p.kind.noun, name)
		}
	}
	return nil
}

func (p *Policies[T]) idOf(item T) string {
	switch v := any(item).(type) {
	case model.CachePolicy:
		return v.ID
	case model.OriginRequestPolicy:
		return v.ID
	case model.ResponseHeadersPolicy:
		return v.ID
	}
	return ""
}

// validKeyToken reports whether id is 1-64 of letters, digits, '-' and '_':
// every id Pharos makes, and always a valid engine key token.
func validKeyToken(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
