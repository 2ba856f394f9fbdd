package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
)

// resolve replaces, in every behaviour of d, each policy id with the
// policy's content (kept next to the id), and the trusted key groups with
// their public keys: an edge reads nothing but the distribution document.
// An id that names nothing is a validation error naming the field.
func (s *Service) resolve(ctx context.Context, d *model.Distribution) error {
	var errs model.ValidationError
	r := resolver{s: s, ctx: ctx, keys: map[string]model.TrustedKey{}}
	errs = append(errs, r.behavior(&d.DefaultBehavior, "defaultBehavior")...)
	for i := range d.Behaviors {
		errs = append(errs, r.behavior(&d.Behaviors[i], fmt.Sprintf("behaviors[%d]", i))...)
	}
	if id := d.ViewerCertificate.CertificateID; id != "" {
		// A distribution may only name a certificate that was imported.
		if _, err := s.Certificate(ctx, id); errors.Is(err, ErrNoSuchCertificate) {
			errs = append(errs, &model.FieldError{Field: "viewerCertificate.certificateId",
				Message: fmt.Sprintf("no imported certificate %q (pharos cert list)", id)})
		} else if err != nil {
			return err
		}
	}
	if r.err != nil {
		return r.err
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

type resolver struct {
	s    *Service
	ctx  context.Context
	err  error // a failure of the engine, not of the input
	keys map[string]model.TrustedKey
}

func (r *resolver) behavior(b *model.Behavior, f string) model.ValidationError {
	var errs model.ValidationError
	fail := func(field, format string, args ...any) {
		errs = append(errs, &model.FieldError{Field: f + "." + field, Message: fmt.Sprintf(format, args...)})
	}
	// An inline policy with another id (or none) is the user's own: leave
	// it, and Validate says whether id and inline policy may go together.
	if id := b.CachePolicyID; id != "" && (b.CachePolicy == nil || b.CachePolicy.ID == id) {
		v, err := r.s.CachePolicies().Get(r.ctx, id)
		if r.check(err) {
			fail("cachePolicyId", "%q is not a known cache policy", id)
		} else if err == nil {
			b.CachePolicy = &v.Item
		}
	}
	if id := b.OriginRequestPolicyID; id != "" && (b.OriginRequest == nil || b.OriginRequest.ID == id) {
		v, err := r.s.OriginRequestPolicies().Get(r.ctx, id)
		if r.check(err) {
			fail("originRequestPolicyId", "%q is not a known origin request policy", id)
		} else if err == nil {
			b.OriginRequest = &v.Item
		}
	}
	if id := b.ResponseHeadersPolicyID; id != "" && (b.ResponseHeaders == nil || b.ResponseHeaders.ID == id) {
		v, err := r.s.ResponseHeadersPolicies().Get(r.ctx, id)
		if r.check(err) {
			fail("responseHeadersPolicyId", "%q is not a known response headers policy", id)
		} else if err == nil {
			b.ResponseHeaders = &v.Item
		}
	}
	b.TrustedKeys = nil
	for i, gid := range b.TrustedKeyGroups {
		keys, err := r.groupKeys(gid)
		if r.check(err) {
			fail(fmt.Sprintf("trustedKeyGroups[%d]", i), "%q is not a known key group", gid)
			continue
		}
		for _, k := range keys {
			if !containsKey(b.TrustedKeys, k.ID) {
				b.TrustedKeys = append(b.TrustedKeys, k)
			}
		}
	}
	return errs
}

// check reports whether err says "no such resource"; any other error is
// kept as the resolver's failure.
func (r *resolver) check(err error) bool {
	var re *ResourceError
	if errors.As(err, &re) && re.Status == 404 {
		return true
	}
	if err != nil && r.err == nil {
		r.err = err
	}
	return false
}

func (r *resolver) groupKeys(id string) ([]model.TrustedKey, error) {
	g, err := r.s.KeyGroups().Get(r.ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]model.TrustedKey, 0, len(g.Item.Items))
	for _, kid := range g.Item.Items {
		k, ok := r.keys[kid]
		if !ok {
			pk, err := r.s.PublicKeys().Get(r.ctx, kid)
			if err != nil {
				return nil, fmt.Errorf("control: key group %s: public key %s: %w", id, kid, err)
			}
			k = model.TrustedKey{ID: kid, PEM: pk.Item.EncodedKey}
			r.keys[kid] = k
		}
		out = append(out, k)
	}
	return out, nil
}

func containsKey(keys []model.TrustedKey, id string) bool {
	for _, k := range keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

// usesAny reports whether a behaviour of d satisfies uses.
func usesAny(d *model.Distribution, uses func(b *model.Behavior) bool) bool {
	if uses(&d.DefaultBehavior) {
		return true
	}
	for i := range d.Behaviors {
		if uses(&d.Behaviors[i]) {
			return true
		}
	}
	return false
}

// distributionsUsing returns the ids of the distributions with a behaviour
// that satisfies uses.
func (s *Service) distributionsUsing(ctx context.Context, uses func(b *model.Behavior) bool) ([]string, error) {
	all, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, st := range all {
		if usesAny(&st.Distribution, uses) {
			ids = append(ids, st.Distribution.ID)
		}
	}
	return ids, nil
}

// restoreReferencing stores again, freshly resolved, every distribution
// with a behaviour that satisfies uses: a changed policy or key reaches the
// edges as a new revision of each distribution (InProgress, then Deployed).
func (s *Service) restoreReferencing(ctx context.Context, uses func(b *model.Behavior) bool) error {
	ids, err := s.distributionsUsing(ctx, uses)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.restore(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// restore re-resolves and stores one distribution, retrying when another
// write wins the race for its revision.
func (s *Service) restore(ctx context.Context, id string) error {
	for attempt := 0; ; attempt++ {
		cur, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		_, err = s.Update(ctx, id, cur.ETag, cur.Distribution)
		if errors.Is(err, ErrPrecondition) && attempt < 5 {
			continue
		}
		if err != nil && !errors.Is(err, bus.ErrConflict) {
			return fmt.Errorf("control: re-store distribution %s: %w", id, err)
		}
		return nil
	}
}
