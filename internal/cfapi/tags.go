package cfapi

import (
	"encoding/xml"
	"net/http"

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
	Items   []tagXML     `xml:"Items>Tag"`
	Unknown []unknownXML `xml:",any"`
}

type tagKeysXML struct {
	XMLName xml.Name     `xml:"TagKeys"`
	Items   []string     `xml:"Items>Key"`
	Unknown []unknownXML `xml:",any"`
}

func (t *tagsRootXML) toModel() []model.Tag {
	out := make([]model.Tag, 0, len(t.Items))
	for _, it := range t.Items {
		out = append(out, model.Tag{Key: it.Key, Value: valueOf(it.Value)})
	}
	return out
}

func (s *Server) registerTags() {
	s.handle("GET", "/tagging", func(w http.ResponseWriter, r *http.Request) error {
		tags, err := s.svc.ListTags(r.Context(), r.URL.Query().Get("Resource"))
		if err != nil {
			return s.resourceErr(err, "Tags")
		}
		out := tagsRootXML{Xmlns: Namespace}
		for _, t := range tags {
			out.Items = append(out.Items, tagXML{Key: t.Key, Value: ptr(t.Value)})
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
				return s.resourceErr(err, "Tags")
			}
		case "Untag":
			var k tagKeysXML
			if err := decodeXML(r, &k); err != nil {
				return err
			}
			if err := checkUnknown(&k, "TagKeys"); err != nil {
				return err
			}
			if err := s.svc.UntagResource(r.Context(), arn, k.Items); err != nil {
				return s.resourceErr(err, "TagKeys")
			}
		default:
			return errInvalidArgument("Operation must be Tag or Untag")
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
