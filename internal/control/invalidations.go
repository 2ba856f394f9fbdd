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
	Paths           []string  `json:"paths,omitempty"`
	Tags            []string  `json:"tags,omitempty"`
	Soft            bool      `json:"soft,omitempty"`
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

// validateRequest applies CloudFront's rules to invalidation paths, and
// asks tags to be plain tokens.
func validateRequest(paths, tags []string) error {
	v := &model.ValidationError{}
	if len(paths) == 0 && len(tags) == 0 {
		*v = append(*v, &model.FieldError{Field: "paths", Message: "at least one path or tag is required"})
	}
	for i, t := range tags {
		if t == "" || strings.ContainsAny(t, " ,\t\r\n\x00") {
			*v = append(*v, &model.FieldError{Field: fmt.Sprintf("tags[%d]", i), Message: fmt.Sprintf("%q is not a valid tag", t)})
		}
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

// Request is what an invalidation asks for. A path starting with "#" is a
// tag, as in CloudFront's tag invalidations.
type Request struct {
	Paths           []string `json:"paths"`
	Tags            []string `json:"tags"`
	Soft            bool     `json:"soft"`
	CallerReference string   `json:"callerReference"`
}

// Create invalidates paths and tags of distribution distID on every edge.
// A repeated callerReference returns the invalidation it created first
// (CloudFront's idempotency).
func (iv *Invalidations) Create(ctx context.Context, distID string, req Request) (InvalidationRecord, error) {
	if _, err := iv.svc.Get(ctx, distID); err != nil {
		return InvalidationRecord{}, err
	}
	var paths []string
	tags := append([]string(nil), req.Tags...)
	for _, p := range req.Paths {
		if t, ok := strings.CutPrefix(p, "#"); ok {
			tags = append(tags, t)
			continue
		}
		p, _, _ = strings.Cut(p, "?") // query strings are ignored
		paths = append(paths, p)
	}
	if err := validateRequest(paths, tags); err != nil {
		return InvalidationRecord{}, err
	}
	callerRef := req.CallerReference
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
	rec := InvalidationRecord{ID: model.NewInvalidationID(), DistributionID: distID, Paths: paths, Tags: tags,
		Soft: req.Soft, CallerReference: callerRef, CreateTime: time.Now().UTC()}
	seq, err := iv.bus.PublishInvalidation(ctx, bus.Invalidation{ID: rec.ID, DistributionID: distID, Paths: paths,
		Tags: tags, Soft: req.Soft, Created: rec.CreateTime})
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
