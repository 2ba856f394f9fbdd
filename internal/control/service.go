package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
)

// distPrefix is the key prefix of distribution documents in the engine.
const distPrefix = "dist."

// Service is the control plane's logic, shared by every API.
type Service struct {
	cfg  *bus.ConfigStore
	zone string
	now  func() time.Time
}

// NewService returns a service keeping configuration in cfg; distribution
// domain names are made under zone.
func NewService(cfg *bus.ConfigStore, zone string) *Service {
	return &Service{cfg: cfg, zone: zone, now: time.Now}
}

// Errors the API maps onto statuses.
var (
	ErrNotFound        = errors.New("no such distribution")
	ErrPrecondition    = errors.New("the If-Match version does not match the current one")
	ErrAliasInUse      = errors.New("an alias is already used by another distribution")
	ErrDefaultConflict = errors.New("another distribution is already the default")
)

// Stored is a distribution with its version (the engine's revision).
type Stored struct {
	Distribution model.Distribution
	ETag         string
}

func etag(rev uint64) string { return "E" + strconv.FormatUint(rev, 10) }

// ParseETag turns an ETag back into a revision.
func ParseETag(s string) (uint64, bool) {
	if len(s) < 2 || s[0] != 'E' {
		return 0, false
	}
	n, err := strconv.ParseUint(s[1:], 10, 64)
	return n, err == nil
}

// Create validates d, gives it an id and domain name, and stores it.
func (s *Service) Create(ctx context.Context, d model.Distribution) (Stored, error) {
	d.ID = model.NewDistributionID()
	d.DomainName = model.NewDomainName(s.zone)
	b, err := s.prepare(ctx, &d)
	if err != nil {
		return Stored{}, err
	}
	rev, err := s.cfg.Update(ctx, distPrefix+d.ID, b, 0)
	if err != nil {
		return Stored{}, fmt.Errorf("control: store distribution: %w", err)
	}
	return Stored{Distribution: d, ETag: etag(rev)}, nil
}

// Get returns a distribution.
func (s *Service) Get(ctx context.Context, id string) (Stored, error) {
	b, rev, err := s.cfg.Get(ctx, distPrefix+id)
	if errors.Is(err, bus.ErrNotFound) {
		return Stored{}, ErrNotFound
	}
	if err != nil {
		return Stored{}, fmt.Errorf("control: get distribution: %w", err)
	}
	var d model.Distribution
	if err := json.Unmarshal(b, &d); err != nil {
		return Stored{}, fmt.Errorf("control: distribution %s is damaged: %w", id, err)
	}
	return Stored{Distribution: d, ETag: etag(rev)}, nil
}

// List returns every distribution, ordered by id.
func (s *Service) List(ctx context.Context) ([]Stored, error) {
	entries, err := s.cfg.List(ctx, distPrefix)
	if err != nil {
		return nil, fmt.Errorf("control: list distributions: %w", err)
	}
	out := make([]Stored, 0, len(entries))
	for k, e := range entries {
		var d model.Distribution
		if err := json.Unmarshal(e.Value, &d); err != nil {
			return nil, fmt.Errorf("control: distribution %s is damaged: %w", k, err)
		}
		out = append(out, Stored{Distribution: d, ETag: etag(e.Revision)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Distribution.ID < out[j].Distribution.ID })
	return out, nil
}

// Update replaces distribution id's configuration when ifMatch is its
// current ETag ("" skips the check). The id and domain name are kept.
func (s *Service) Update(ctx context.Context, id, ifMatch string, d model.Distribution) (Stored, error) {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return Stored{}, err
	}
	rev, _ := ParseETag(cur.ETag)
	if ifMatch != "" && ifMatch != cur.ETag {
		return Stored{}, ErrPrecondition
	}
	d.ID, d.DomainName = id, cur.Distribution.DomainName
	b, err := s.prepare(ctx, &d)
	if err != nil {
		return Stored{}, err
	}
	nrev, err := s.cfg.Update(ctx, distPrefix+id, b, rev)
	if errors.Is(err, bus.ErrConflict) {
		return Stored{}, ErrPrecondition
	}
	if err != nil {
		return Stored{}, fmt.Errorf("control: store distribution: %w", err)
	}
	return Stored{Distribution: d, ETag: etag(nrev)}, nil
}

// Delete removes a distribution when ifMatch is its current ETag ("" skips
// the check).
func (s *Service) Delete(ctx context.Context, id, ifMatch string) error {
	cur, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if ifMatch != "" && ifMatch != cur.ETag {
		return ErrPrecondition
	}
	if err := s.cfg.Delete(ctx, distPrefix+id); err != nil {
		return fmt.Errorf("control: delete distribution: %w", err)
	}
	return s.dropTags(ctx, id) // tags.go
}

// prepare stamps, completes and checks d, and returns the document to store.
func (s *Service) prepare(ctx context.Context, d *model.Distribution) ([]byte, error) {
	d.LastModified = s.now().UTC()
	d.ApplyDefaults()
	if err := s.resolve(ctx, d); err != nil { // policy ids and key groups: resolve.go
		return nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkConflicts(ctx, d); err != nil {
		return nil, err
	}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("control: encode distribution: %w", err)
	}
	return b, nil
}

// checkConflicts refuses an alias another distribution has, and a second
// default distribution (CloudFront's CNAMEAlreadyExists).
func (s *Service) checkConflicts(ctx context.Context, d *model.Distribution) error {
	all, err := s.List(ctx)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.Distribution.ID == d.ID {
			continue
		}
		if d.Default && o.Distribution.Default {
			return fmt.Errorf("%w: %s", ErrDefaultConflict, o.Distribution.ID)
		}
		for _, a := range d.Aliases {
			for _, b := range o.Distribution.Aliases {
				if a == b {
					return fmt.Errorf("%w: %s is used by %s", ErrAliasInUse, a, o.Distribution.ID)
				}
			}
		}
	}
	return nil
}

// StoredRevision is the highest revision among the stored distributions (0
// when there are none): a reader that has applied it has them all.
func (s *Service) StoredRevision(ctx context.Context) (uint64, error) {
	entries, err := s.cfg.List(ctx, distPrefix)
	if err != nil {
		return 0, fmt.Errorf("control: list distributions: %w", err)
	}
	var rev uint64
	for _, e := range entries {
		rev = max(rev, e.Revision)
	}
	return rev, nil
}

// UpsertDefault creates the quick-start distribution in front of o, or
// points the existing one at it. It returns the distribution and the
// engine revision at which it was stored.
func (s *Service) UpsertDefault(ctx context.Context, o model.Origin) (Stored, uint64, error) {
	all, err := s.List(ctx)
	if err != nil {
		return Stored{}, 0, err
	}
	for _, cur := range all {
		if !cur.Distribution.Default {
			continue
		}
		d := cur.Distribution
		d.Origins = []model.Origin{o}
		d.DefaultBehavior.TargetOriginID = o.ID
		d.Enabled = true
		st, err := s.Update(ctx, d.ID, cur.ETag, d)
		if err != nil {
			return Stored{}, 0, err
		}
		rev, _ := ParseETag(st.ETag)
		return st, rev, nil
	}
	d := model.Distribution{
		Comment: "quick start: pharos up --origin", Enabled: true, Default: true,
		Origins:         []model.Origin{o},
		DefaultBehavior: model.Behavior{TargetOriginID: o.ID},
	}
	st, err := s.Create(ctx, d)
	if err != nil {
		return Stored{}, 0, err
	}
	rev, _ := ParseETag(st.ETag)
	return st, rev, nil
}
