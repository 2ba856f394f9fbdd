package cfapi

import (
	"context"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/control"
)

// The create/list/get/get-config/update/delete operations every policy,
// public key and key group has, registered from one crudSpec per kind.

// crudOps is the control plane's store of one kind (control.Policies,
// control.PublicKeys, control.KeyGroups). List is the spec's own, as only
// policies take a Type.
type crudOps[M any] interface {
	Create(ctx context.Context, item M) (control.Versioned[M], error)
	Get(ctx context.Context, id string) (control.Versioned[M], error)
	Update(ctx context.Context, id, ifMatch string, item M) (control.Versioned[M], error)
	Delete(ctx context.Context, id, ifMatch string) error
}

type crudSpec[M any] struct {
	path   string // the collection, e.g. "/cache-policy"
	update string // the PUT pattern under path: "/{Id}", or "/{Id}/config"
	field  string // the config's root element, named in validation errors
	ops    crudOps[M]
	// list lists the kind; typ is ?Type= (managed or custom), read only
	// when typed (and "" otherwise).
	list  func(ctx context.Context, typ string) ([]control.Versioned[M], error)
	typed bool
	id    func(control.Versioned[M]) string
	read  func(*http.Request) (M, error)
	// one and config are the resource and its config as top-level
	// elements (with xmlns); page is the list's element for one page.
	one    func(control.Versioned[M]) any
	config func(*M) any
	page   func(items []control.Versioned[M], maxItems int, next string) any
}

// registerCRUD registers POST and GET path, GET path/{Id} and
// path/{Id}/config, PUT path+update and DELETE path/{Id}. Create answers
// 201 with Location; every answer with a resource carries its ETag; update
// and delete require If-Match; delete answers 204.
func registerCRUD[M any](s *Server, c crudSpec[M]) {
	s.handle("POST", c.path, func(w http.ResponseWriter, r *http.Request) error {
		item, err := c.read(r)
		if err != nil {
			return err
		}
		v, err := c.ops.Create(r.Context(), item)
		if err != nil {
			return s.resourceErr(err, c.field)
		}
		w.Header().Set("Location", s.location(r, c.path+"/"+c.id(v)))
		w.Header().Set("ETag", v.ETag)
		writeXML(w, http.StatusCreated, c.one(v))
		return nil
	})
	s.handle("GET", c.path, func(w http.ResponseWriter, r *http.Request) error {
		var typ string
		if c.typed {
			typ = r.URL.Query().Get("Type")
			if typ != "" && typ != "managed" && typ != "custom" {
				return errInvalidArgument("Type %q: must be managed or custom", typ)
			}
		}
		all, err := c.list(r.Context(), typ)
		if err != nil {
			return err
		}
		items, _, maxItems, next, err := resPage(all, c.id, r)
		if err != nil {
			return err
		}
		writeXML(w, http.StatusOK, c.page(items, maxItems, next))
		return nil
	})
	s.handle("GET", c.path+"/{Id}", func(w http.ResponseWriter, r *http.Request) error {
		v, err := c.ops.Get(r.Context(), r.PathValue("Id"))
		if err != nil {
			return s.resourceErr(err, "")
		}
		w.Header().Set("ETag", v.ETag)
		writeXML(w, http.StatusOK, c.one(v))
		return nil
	})
	s.handle("GET", c.path+"/{Id}/config", func(w http.ResponseWriter, r *http.Request) error {
		v, err := c.ops.Get(r.Context(), r.PathValue("Id"))
		if err != nil {
			return s.resourceErr(err, "")
		}
		w.Header().Set("ETag", v.ETag)
		writeXML(w, http.StatusOK, c.config(&v.Item))
		return nil
	})
	s.handle("PUT", c.path+c.update, func(w http.ResponseWriter, r *http.Request) error {
		im, err := requireIfMatch(r)
		if err != nil {
			return err
		}
		item, err := c.read(r)
		if err != nil {
			return err
		}
		v, err := c.ops.Update(r.Context(), r.PathValue("Id"), im, item)
		if err != nil {
			return s.resourceErr(err, c.field)
		}
		w.Header().Set("ETag", v.ETag)
		writeXML(w, http.StatusOK, c.one(v))
		return nil
	})
	s.handle("DELETE", c.path+"/{Id}", func(w http.ResponseWriter, r *http.Request) error {
		im, err := requireIfMatch(r)
		if err != nil {
			return err
		}
		if err := c.ops.Delete(r.Context(), r.PathValue("Id"), im); err != nil {
			return s.resourceErr(err, "")
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
