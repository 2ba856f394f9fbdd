package cfapi

import (
	"errors"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// Helpers shared by the policy, key and tagging operations.

func init() {
	extraRoutes = append(extraRoutes,
		(*Server).registerCachePolicies,
		(*Server).registerOriginRequestPolicies,
		(*Server).registerResponseHeadersPolicies,
		(*Server).registerKeys,
		(*Server).registerTags,
	)
}

// policyNamesXML is a Quantity/Items list of names. Items is a pointer so
// that an empty list has no Items element (encoding/xml writes an empty
// parent for an "Items>Name" path), as CloudFront answers.
type policyNamesXML struct {
	Quantity *int          `xml:"Quantity"`
	Items    *nameItemsXML `xml:"Items"`
	Unknown  []unknownXML  `xml:",any"`
}

type nameItemsXML struct {
	Name    []string     `xml:"Name"`
	Unknown []unknownXML `xml:",any"`
}

// nameItems reads a Quantity/Items list of names, checking its Quantity.
func nameItems(n *policyNamesXML, field string) ([]string, error) {
	if n == nil {
		return nil, nil
	}
	var items []string
	if n.Items != nil {
		items = n.Items.Name
	}
	if err := checkQuantity(field, n.Quantity, len(items)); err != nil {
		return nil, err
	}
	return items, nil
}

// nameList is items as a Quantity/Items list (Quantity 0 when empty).
func nameList(items []string) *policyNamesXML {
	q := len(items)
	n := &policyNamesXML{Quantity: &q}
	if q > 0 {
		n.Items = &nameItemsXML{Name: items}
	}
	return n
}

// resourceErr maps the control plane's errors for a resource: validation
// failures become InvalidArgument naming root and the fields.
func (s *Server) resourceErr(err error, root string) error {
	var ve model.ValidationError
	if errors.As(err, &ve) {
		return errInvalidArgument("%s: %s", root, ve.Error())
	}
	if errors.Is(err, control.ErrPrecondition) {
		return errPreconditionFailed()
	}
	return s.controlErr(err, "")
}

// ifMatch reads If-Match, which every update and delete requires.
func requireIfMatch(r *http.Request) (string, error) {
	v := r.Header.Get("If-Match")
	if v == "" {
		return "", errInvalidIfMatchVersion()
	}
	return v, nil
}

// resPage applies Marker (the last id of the previous page) and MaxItems to
// items in a stable order; it returns the page and the next marker.
func resPage[T any](items []T, id func(T) string, r *http.Request) ([]T, string, int, string, error) {
	marker, maxItems, err := pageParams(r)
	if err != nil {
		return nil, "", 0, "", err
	}
	start := 0
	if marker != "" {
		start = len(items)
		for i, it := range items {
			if id(it) == marker {
				start = i + 1
				break
			}
		}
	}
	out := items[start:]
	next := ""
	if len(out) > maxItems {
		out = out[:maxItems]
		next = id(out[len(out)-1])
	}
	return out, marker, maxItems, next, nil
}

// valueOf is *p, or the zero value when p is nil.
func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
