package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
)

// InvalidationRecord is an invalidation as the API shows it.
type InvalidationRecord struct {
	ID              string    `json:"id"`
	DistributionID  string    `json:"distributionId"`
	Paths           []string  `json:"paths"`
	CallerReference string    `json:"callerReference,omitempty"`
	CreateTime      time.Time `json:"createTime"`
	Sequence        uint64    `json:"sequence"`
	Status          string    `json:"status"`
}

// Invalidations creates invalidations and reports their progress.
type Invalidations struct {
	svc     *Service
	bus     *bus.Bus
	records *bus.ConfigStore
	// Applied returns the lowest invalidation sequence live edges have
	// applied (false: no edge holds one back).
	Applied func() (uint64, bool)
}

// NewInvalidations returns the invalidation service of svc over b.
func NewInvalidations(svc *Service, b *bus.Bus) *Invalidations {
	return &Invalidations{svc: svc, bus: b, records: b.InvalidationRecords()}
}

// ErrNoSuchInvalidation is returned for an unknown invalidation id.
var ErrNoSuchInvalidation = errors.New("no such invalidation")

// ValidatePaths applies CloudFront's rules to invalidation paths.
func ValidatePaths(paths []string) error {
	v := &model.ValidationError{}
	if len(paths) == 0 {
		*v = append(*v, &model.FieldError{Field: "paths", Message: "at least one path is required"})
	}
	for i, p := range paths {
		f := fmt.Sprintf("paths[%d]", i)
		switch {
		case !strings.HasPrefix(p, "/"):
			*v = append(*v, &model.FieldError{Field: f, Message: fmt.Sprintf("%q must start with /", p)})
		case strings.Contains(strings.TrimSuffix(p, "*"), "*"):
			*v = append(*v, &model.FieldError{Field: f, Message: fmt.Sprintf("%q: * is allowed only as the last character", p)})
		case len(p) > 4096 || strings.ContainsAny(p, " \r\n\x00"):
			*v = append(*v, &model.FieldError{Field: f, Message: fmt.Sprintf("%q is not a valid path", p)})
		}
	}
	if len(*v) > 0 {
		return *v
	}
	return nil
}

// Create invalidates paths of distribution distID on every edge. A repeated
// callerReference returns the invalidation it created first (CloudFront's
// idempotency).
func (iv *Invalidations) Create(ctx context.Context, distID string, paths []string, callerRef string) (InvalidationRecord, error) {
	if _, err := iv.svc.Get(ctx, distID); err != nil {
		return InvalidationRecord{}, err
	}
	if err := ValidatePaths(paths); err != nil {
		return InvalidationRecord{}, err
	}
	for i, p := range paths {
		paths[i], _, _ = strings.Cut(p, "?") // query strings are ignored
	}
	if callerRef != "" {
		all, err := iv.List(ctx, distID)
		if err != nil {
			return InvalidationRecord{}, err
		}
		for _, r := range all {
			if r.CallerReference == callerRef {
				return r, nil
			}
		}
	}
	rec := InvalidationRecord{ID: model.NewInvalidationID(), DistributionID: distID, Paths: paths,
		CallerReference: callerRef, CreateTime: time.Now().UTC()}
	seq, err := iv.bus.PublishInvalidation(ctx, bus.Invalidation{ID: rec.ID, DistributionID: distID, Paths: paths, Created: rec.CreateTime})
	if err != nil {
		return InvalidationRecord{}, err
	}
	rec.Sequence = seq
	b, _ := json.Marshal(rec)
	if _, err := iv.records.Put(ctx, invalKey(distID, rec.ID), b); err != nil {
		return InvalidationRecord{}, fmt.Errorf("control: record invalidation: %w", err)
	}
	return iv.withStatus(rec), nil
}

func invalKey(distID, id string) string { return "inval." + distID + "." + id }

// Get returns one invalidation with its status.
func (iv *Invalidations) Get(ctx context.Context, distID, id string) (InvalidationRecord, error) {
	b, _, err := iv.records.Get(ctx, invalKey(distID, id))
	if errors.Is(err, bus.ErrNotFound) {
		return InvalidationRecord{}, ErrNoSuchInvalidation
	}
	if err != nil {
		return InvalidationRecord{}, fmt.Errorf("control: get invalidation: %w", err)
	}
	var rec InvalidationRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return InvalidationRecord{}, fmt.Errorf("control: invalidation %s is damaged: %w", id, err)
	}
	return iv.withStatus(rec), nil
}

// List returns a distribution's invalidations, newest first.
func (iv *Invalidations) List(ctx context.Context, distID string) ([]InvalidationRecord, error) {
	entries, err := iv.records.List(ctx, "inval."+distID+".")
	if err != nil {
		return nil, fmt.Errorf("control: list invalidations: %w", err)
	}
	out := make([]InvalidationRecord, 0, len(entries))
	for _, e := range entries {
		var rec InvalidationRecord
		if json.Unmarshal(e.Value, &rec) == nil {
			out = append(out, iv.withStatus(rec))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sequence > out[j].Sequence })
	return out, nil
}

// withStatus sets Completed once every live edge has applied the record.
func (iv *Invalidations) withStatus(rec InvalidationRecord) InvalidationRecord {
	rec.Status = "InProgress"
	if iv.Applied != nil {
		if seq, ok := iv.Applied(); !ok || seq >= rec.Sequence {
			rec.Status = "Completed"
		}
	}
	return rec
}
