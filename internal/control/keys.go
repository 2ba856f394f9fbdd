package control

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
)

// Key prefixes of public keys and key groups in the config bucket.
const (
	publicKeyPrefix = "publickey."
	keyGroupPrefix  = "keygroup."
)

// PublicKeys serves the public keys that verify signed URLs and cookies.
type PublicKeys struct {
	svc   *Service
	store store[model.PublicKey]
}

// KeyGroups serves the key groups behaviours trust.
type KeyGroups struct {
	svc   *Service
	store store[model.KeyGroup]
}

// PublicKeys returns the public key service.
func (s *Service) PublicKeys() *PublicKeys {
	return &PublicKeys{svc: s, store: store[model.PublicKey]{s.cfg, publicKeyPrefix}}
}

// KeyGroups returns the key group service.
func (s *Service) KeyGroups() *KeyGroups {
	return &KeyGroups{svc: s, store: store[model.KeyGroup]{s.cfg, keyGroupPrefix}}
}

func noSuchPublicKey(id string) error {
	return resErr(http.StatusNotFound, "NoSuchPublicKey", "the public key %s does not exist", id)
}

func noSuchKeyGroup(id string) error {
	return resErr(http.StatusNotFound, "NoSuchResource", "the key group %s does not exist", id)
}

// Get returns a public key.
func (p *PublicKeys) Get(ctx context.Context, id string) (Versioned[model.PublicKey], error) {
	k, rev, err := p.store.get(ctx, id)
	if errors.Is(err, bus.ErrNotFound) {
		return Versioned[model.PublicKey]{}, noSuchPublicKey(id)
	}
	if err != nil {
		return Versioned[model.PublicKey]{}, err
	}
	return Versioned[model.PublicKey]{Item: k, ETag: etag(rev)}, nil
}

// List returns every public key, by id.
func (p *PublicKeys) List(ctx context.Context) ([]Versioned[model.PublicKey], error) {
	return p.store.list(ctx)
}

// Create stores a new public key. A caller reference already used by
// another key is PublicKeyAlreadyExists.
func (p *PublicKeys) Create(ctx context.Context, k model.PublicKey) (Versioned[model.PublicKey], error) {
	if err := k.Validate(); err != nil {
		return Versioned[model.PublicKey]{}, err
	}
	all, err := p.List(ctx)
	if err != nil {
		return Versioned[model.PublicKey]{}, err
	}
	for _, o := range all {
		if o.Item.CallerReference == k.CallerReference {
			return Versioned[model.PublicKey]{}, resErr(http.StatusConflict, "PublicKeyAlreadyExists",
				"the caller reference %q is already used by public key %s", k.CallerReference, o.Item.ID)
		}
	}
	k.ID = model.NewPublicKeyID()
	k.CreatedTime = p.svc.now().UTC()
	tag, err := p.store.put(ctx, k.ID, k, 0)
	if err != nil {
		return Versioned[model.PublicKey]{}, err
	}
	return Versioned[model.PublicKey]{Item: k, ETag: tag}, nil
}

// Update changes a public key's comment, the only field CloudFront lets
// change (else CannotChangeImmutablePublicKeyFields).
func (p *PublicKeys) Update(ctx context.Context, id, ifMatch string, k model.PublicKey) (Versioned[model.PublicKey], error) {
	cur, err := p.Get(ctx, id)
	if err != nil {
		return cur, err
	}
	if ifMatch != "" && ifMatch != cur.ETag {
		return Versioned[model.PublicKey]{}, ErrPrecondition
	}
	if k.EncodedKey != cur.Item.EncodedKey || k.CallerReference != cur.Item.CallerReference || k.Name != cur.Item.Name {
		return Versioned[model.PublicKey]{}, resErr(http.StatusBadRequest, "CannotChangeImmutablePublicKeyFields",
			"only the comment of a public key can change")
	}
	k.ID, k.CreatedTime = id, cur.Item.CreatedTime
	if err := k.Validate(); err != nil {
		return Versioned[model.PublicKey]{}, err
	}
	rev, _ := ParseETag(cur.ETag)
	tag, err := p.store.put(ctx, id, k, rev)
	if err != nil {
		return Versioned[model.PublicKey]{}, err
	}
	return Versioned[model.PublicKey]{Item: k, ETag: tag}, nil
}

// Delete removes a public key no key group holds (else PublicKeyInUse).
func (p *PublicKeys) Delete(ctx context.Context, id, ifMatch string) error {
	cur, err := p.Get(ctx, id)
	if err != nil {
		return err
	}
	if ifMatch != "" && ifMatch != cur.ETag {
		return ErrPrecondition
	}
	groups, err := p.svc.KeyGroups().List(ctx)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if slices.Contains(g.Item.Items, id) {
			return resErr(http.StatusConflict, "PublicKeyInUse", "the public key %s is in key group %s", id, g.Item.ID)
		}
	}
	if err := p.svc.cfg.Delete(ctx, publicKeyPrefix+id); err != nil {
		return fmt.Errorf("control: delete public key: %w", err)
	}
	return nil
}

// Get returns a key group.
func (g *KeyGroups) Get(ctx context.Context, id string) (Versioned[model.KeyGroup], error) {
	kg, rev, err := g.store.get(ctx, id)
	if errors.Is(err, bus.ErrNotFound) {
		return Versioned[model.KeyGroup]{}, noSuchKeyGroup(id)
	}
	if err != nil {
		return Versioned[model.KeyGroup]{}, err
	}
	return Versioned[model.KeyGroup]{Item: kg, ETag: etag(rev)}, nil
}

// List returns every key group, by id.
func (g *KeyGroups) List(ctx context.Context) ([]Versioned[model.KeyGroup], error) {
	return g.store.list(ctx)
}

// Create stores a new key group whose keys all exist.
func (g *KeyGroups) Create(ctx context.Context, kg model.KeyGroup) (Versioned[model.KeyGroup], error) {
	kg.ID = model.NewPolicyID()
	if err := g.check(ctx, &kg); err != nil {
		return Versioned[model.KeyGroup]{}, err
	}
	tag, err := g.store.put(ctx, kg.ID, kg, 0)
	if err != nil {
		return Versioned[model.KeyGroup]{}, err
	}
	return Versioned[model.KeyGroup]{Item: kg, ETag: tag}, nil
}

// Update replaces a key group and re-stores every distribution that trusts
// it, so the edges get its new keys.
func (g *KeyGroups) Update(ctx context.Context, id, ifMatch string, kg model.KeyGroup) (Versioned[model.KeyGroup], error) {
	cur, err := g.Get(ctx, id)
	if err != nil {
		return cur, err
	}
	if ifMatch != "" && ifMatch != cur.ETag {
		return Versioned[model.KeyGroup]{}, ErrPrecondition
	}
	kg.ID = id
	if err := g.check(ctx, &kg); err != nil {
		return Versioned[model.KeyGroup]{}, err
	}
	rev, _ := ParseETag(cur.ETag)
	tag, err := g.store.put(ctx, id, kg, rev)
	if err != nil {
		return Versioned[model.KeyGroup]{}, err
	}
	if err := g.svc.restoreReferencing(ctx, trustsGroup(id)); err != nil {
		return Versioned[model.KeyGroup]{}, err
	}
	return Versioned[model.KeyGroup]{Item: kg, ETag: tag}, nil
}

// Delete removes a key group no distribution trusts (else ResourceInUse).
func (g *KeyGroups) Delete(ctx context.Context, id, ifMatch string) error {
	cur, err := g.Get(ctx, id)
	if err != nil {
		return err
	}
	if ifMatch != "" && ifMatch != cur.ETag {
		return ErrPrecondition
	}
	users, err := g.svc.distributionsUsing(ctx, trustsGroup(id))
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return resErr(http.StatusConflict, "ResourceInUse", "the key group %s is trusted by distribution %s", id, users[0])
	}
	if err := g.svc.cfg.Delete(ctx, keyGroupPrefix+id); err != nil {
		return fmt.Errorf("control: delete key group: %w", err)
	}
	return nil
}

// check validates kg, stamps it, and refuses a key that does not exist
// (a validation error on items[i]) or a name another group has.
func (g *KeyGroups) check(ctx context.Context, kg *model.KeyGroup) error {
	kg.LastModified = g.svc.now().UTC()
	if err := kg.Validate(); err != nil {
		return err
	}
	var errs model.ValidationError
	for i, kid := range kg.Items {
		_, err := g.svc.PublicKeys().Get(ctx, kid)
		var re *ResourceError
		if errors.As(err, &re) {
			errs = append(errs, &model.FieldError{Field: fmt.Sprintf("items[%d]", i), Message: fmt.Sprintf("%q is not a known public key", kid)})
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return errs
	}
	all, err := g.List(ctx)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Item.Name == kg.Name && o.Item.ID != kg.ID {
			return resErr(http.StatusConflict, "KeyGroupAlreadyExists", "a key group named %q already exists", kg.Name)
		}
	}
	return nil
}

func trustsGroup(id string) func(b *model.Behavior) bool {
	return func(b *model.Behavior) bool { return slices.Contains(b.TrustedKeyGroups, id) }
}
