package cfapi

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"

	"github.com/pharos-cdn/pharos/internal/model"
)

// Tagging: TagResource (POST /tagging?Operation=Tag&Resource=ARN),
// UntagResource (POST /tagging?Operation=Untag&Resource=ARN) and
// ListTagsForResource (GET /tagging?Resource=ARN). Distributions carry tags.

// tagsRootXML is Tags as a request or response root (tagXML is shared with
// DistributionConfigWithTags).
type tagsRootXML struct {
	XMLName xml.Name     `xml:"Tags"`
	Xmlns   string       `xml:"xmlns,attr,omitempty"`
	Items   *tagItemsXML `xml:"Items"`
	Unknown []unknownXML `xml:",any"`
}

// tagItemsXML is a pointer in tagsRootXML so that no tags means no Items.
type tagItemsXML struct {
	Tag     []tagXML     `xml:"Tag"`
	Unknown []unknownXML `xml:",any"`
}

type tagKeysXML struct {
	XMLName xml.Name        `xml:"TagKeys"`
	Items   *tagKeyItemsXML `xml:"Items"`
	Unknown []unknownXML    `xml:",any"`
}

func (t *tagsRootXML) toModel() []model.Tag {
	var items []tagXML
	if t.Items != nil {
		items = t.Items.Tag
	}
	out := make([]model.Tag, 0, len(items))
	for _, it := range items {
		out = append(out, model.Tag{Key: it.Key, Value: valueOf(it.Value)})
	}
	return out
}

type tagKeyItemsXML struct {
	Key     []string     `xml:"Key"`
	Unknown []unknownXML `xml:",any"`
}

func (k *tagKeysXML) keys() []string {
	if k.Items == nil {
		return nil
	}
	return k.Items.Key
}

func (s *Server) registerTags() {
	s.handle("GET", "/tagging", func(w http.ResponseWriter, r *http.Request) error {
		tags, err := s.svc.ListTags(r.Context(), r.URL.Query().Get("Resource"))
		if err != nil {
			return s.resourceErr(err, "Tags")
		}
		out := tagsRootXML{Xmlns: Namespace}
		if len(tags) > 0 {
			out.Items = &tagItemsXML{}
		}
		for _, t := range tags {
			out.Items.Tag = append(out.Items.Tag, tagXML{Key: t.Key, Value: ptr(t.Value)})
		}
		writeXML(w, http.StatusOK, out)
		return nil
	})
	s.handle("POST", "/tagging", func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		arn := q.Get("Resource")
		switch q.Get("Operation") {
		case "Tag":
			var t tagsRootXML
			if err := decodeXML(r, &t); err != nil {
				return err
			}
			if err := checkUnknown(&t, "Tags"); err != nil {
				return err
			}
			if err := s.svc.TagResource(r.Context(), arn, t.toModel()); err != nil {
				return taggingErr(s.resourceErr(err, "Tags"))
			}
		case "Untag":
			var k tagKeysXML
			if err := decodeXML(r, &k); err != nil {
				return err
			}
			if err := checkUnknown(&k, "TagKeys"); err != nil {
				return err
			}
			if err := s.svc.UntagResource(r.Context(), arn, k.keys()); err != nil {
				return taggingErr(s.resourceErr(err, "TagKeys"))
			}
		default:
			return errInvalidArgument("Operation must be Tag or Untag")
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// taggingErr reports a bad tag key or value as CloudFront does:
// InvalidTagging rather than InvalidArgument.
func taggingErr(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == "InvalidArgument" && strings.HasPrefix(ae.Message, "Tag") {
		return newError(ae.Status, "InvalidTagging", "%s", ae.Message)
	}
	return err
}
