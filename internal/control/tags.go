package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
)

// tagsPrefix keys each resource's tags: tags.<kind>.<id>.
const tagsPrefix = "tags."

// errNoSuchResource is CloudFront's answer for an ARN that names nothing.
func errNoSuchResource(arn string) error {
	return resErr(http.StatusNotFound, "NoSuchResource", "the resource %s does not exist", arn)
}

// tagKey checks that arn names an existing resource that can carry tags
// (a distribution) and returns where its tags are kept.
func (s *Service) tagKey(ctx context.Context, arn string) (string, error) {
	kind, id, ok := model.ParseARN(arn)
	if !ok {
		return "", resErr(http.StatusBadRequest, "InvalidArgument", "%q is not a CloudFront ARN", arn)
	}
	if kind != "distribution" || !validKeyToken(id) {
		return "", errNoSuchResource(arn)
	}
	if _, err := s.Get(ctx, id); errors.Is(err, ErrNotFound) {
		return "", errNoSuchResource(arn)
	} else if err != nil {
		return "", err
	}
	return tagsPrefix + kind + "." + id, nil
}

// ListTags returns the tags of the resource arn names.
func (s *Service) ListTags(ctx context.Context, arn string) ([]model.Tag, error) {
	key, err := s.tagKey(ctx, arn)
	if err != nil {
		return nil, err
	}
	tags, _, err := s.readTags(ctx, key)
	return tags, err
}

func (s *Service) readTags(ctx context.Context, key string) ([]model.Tag, uint64, error) {
	b, rev, err := s.cfg.Get(ctx, key)
	if errors.Is(err, bus.ErrNotFound) {
		return []model.Tag{}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("control: read tags: %w", err)
	}
	var tags []model.Tag
	if err := json.Unmarshal(b, &tags); err != nil {
		return nil, 0, fmt.Errorf("control: tags %s are damaged: %w", key, err)
	}
	return tags, rev, nil
}

// TagResource adds tags to (or changes them on) the resource arn names.
// CreateDistributionWithTags calls it right after the create.
func (s *Service) TagResource(ctx context.Context, arn string, tags []model.Tag) error {
	if err := model.ValidateTags(tags); err != nil {
		return err
	}
	return s.changeTags(ctx, arn, func(cur []model.Tag) []model.Tag { return model.MergeTags(cur, tags) })
}

// UntagResource removes the tags with the given keys.
func (s *Service) UntagResource(ctx context.Context, arn string, keys []string) error {
	for _, k := range keys {
		if err := model.ValidateTagKey(k); err != nil {
			return err
		}
	}
	return s.changeTags(ctx, arn, func(cur []model.Tag) []model.Tag { return model.RemoveTags(cur, keys) })
}

func (s *Service) changeTags(ctx context.Context, arn string, change func([]model.Tag) []model.Tag) error {
	key, err := s.tagKey(ctx, arn)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		cur, rev, err := s.readTags(ctx, key)
		if err != nil {
			return err
		}
		next := change(cur)
		if len(next) > model.MaxTags {
			return resErr(http.StatusBadRequest, "InvalidTagging", "a resource has at most %d tags", model.MaxTags)
		}
		b, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("control: encode tags: %w", err)
		}
		_, err = s.cfg.Update(ctx, key, b, rev)
		if errors.Is(err, bus.ErrConflict) && attempt < 5 {
			continue // a concurrent change: apply ours to theirs
		}
		if err != nil {
			return fmt.Errorf("control: store tags: %w", err)
		}
		return nil
	}
}

// dropTags forgets a deleted distribution's tags.
func (s *Service) dropTags(ctx context.Context, id string) error {
	return s.cfg.Delete(ctx, tagsPrefix+"distribution."+id)
}

// DistributionARN is the ARN of distribution id, under the account id
// Pharos answers with.
func DistributionARN(account, id string) string {
	return "arn:aws:cloudfront::" + account + ":distribution/" + id
}
