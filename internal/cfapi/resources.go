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

// nameItems reads a Quantity/Items list of names, checking its Quantity.
func nameItems(n *namesXML, field string) ([]string, error) {
	if n == nil {
		return nil, nil
	}
	if err := checkQuantity(field, n.Quantity, len(n.Items)); err != nil {
		return nil, err
	}
	return n.Items, nil
}

// nameList is items as a Quantity/Items list (Quantity 0 when empty).
func nameList(items []string) *namesXML {
	q := len(items)
	return &namesXML{Quantity: &q, Items: items}
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
