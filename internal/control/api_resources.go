package control

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/model"
)

// registerResources adds the native endpoints of policies, public keys,
// key groups and tags. Request bodies are the model types; answers are the
// model types plus "etag" (and "type": managed or custom for policies), with
// the ETag header as for distributions.
func (a *API) registerResources() {
	routePolicies(a, "/v1/cache-policies", a.svc.CachePolicies())
	routePolicies(a, "/v1/origin-request-policies", a.svc.OriginRequestPolicies())
	routePolicies(a, "/v1/response-headers-policies", a.svc.ResponseHeadersPolicies())
	pk, kg := a.svc.PublicKeys(), a.svc.KeyGroups()
	routeCRUD(a, "/v1/public-keys", crud[model.PublicKey]{
		list: func(ctx context.Context, _ string) ([]Versioned[model.PublicKey], error) { return pk.List(ctx) },
		get:  pk.Get, create: pk.Create, update: pk.Update, del: pk.Delete,
	})
	routeCRUD(a, "/v1/key-groups", crud[model.KeyGroup]{
		list: func(ctx context.Context, _ string) ([]Versioned[model.KeyGroup], error) { return kg.List(ctx) },
		get:  kg.Get, create: kg.Create, update: kg.Update, del: kg.Delete,
	})
	a.mux.HandleFunc("GET /v1/tags", a.auth(a.listTags))
	a.mux.HandleFunc("POST /v1/tags", a.auth(a.tagResource))
	a.mux.HandleFunc("DELETE /v1/tags", a.auth(a.untagResource))
}

// crud is one resource kind's operations.
type crud[T any] struct {
	list   func(ctx context.Context, typ string) ([]Versioned[T], error)
	get    func(ctx context.Context, id string) (Versioned[T], error)
	create func(ctx context.Context, v T) (Versioned[T], error)
	update func(ctx context.Context, id, ifMatch string, v T) (Versioned[T], error)
	del    func(ctx context.Context, id, ifMatch string) error
	typed  bool // answers carry "type"
}

func routePolicies[T any](a *API, path string, p *Policies[T]) {
	routeCRUD(a, path, crud[T]{list: p.List, get: p.Get, create: p.Create, update: p.Update, del: p.Delete, typed: true})
}

func routeCRUD[T any](a *API, path string, c crud[T]) {
	a.mux.HandleFunc("GET "+path, a.auth(func(w http.ResponseWriter, r *http.Request) {
		typ := r.URL.Query().Get("type")
		if typ != "" && typ != "managed" && typ != "custom" {
			writeError(w, http.StatusBadRequest, "InvalidArgument", "type must be managed or custom", "type")
			return
		}
		all, err := c.list(r.Context(), typ)
		if err != nil {
			a.failResource(w, err)
			return
		}
		items := make([]map[string]any, 0, len(all))
		for _, v := range all {
			items = append(items, withMeta(v, c.typed))
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
	}))
	a.mux.HandleFunc("POST "+path, a.auth(func(w http.ResponseWriter, r *http.Request) {
		var v T
		if !decode(w, r, &v) {
			return
		}
		st, err := c.create(r.Context(), v)
		if err != nil {
			a.failResource(w, err)
			return
		}
		body := withMeta(st, c.typed)
		w.Header().Set("ETag", st.ETag)
		w.Header().Set("Location", path+"/"+body["id"].(string))
		writeJSON(w, http.StatusCreated, body)
	}))
	a.mux.HandleFunc("GET "+path+"/{id}", a.auth(func(w http.ResponseWriter, r *http.Request) {
		st, err := c.get(r.Context(), r.PathValue("id"))
		if err != nil {
			a.failResource(w, err)
			return
		}
		w.Header().Set("ETag", st.ETag)
		writeJSON(w, http.StatusOK, withMeta(st, c.typed))
	}))
	a.mux.HandleFunc("PUT "+path+"/{id}", a.auth(func(w http.ResponseWriter, r *http.Request) {
		var v T
		if !decode(w, r, &v) {
			return
		}
		st, err := c.update(r.Context(), r.PathValue("id"), r.Header.Get("If-Match"), v)
		if err != nil {
			a.failResource(w, err)
			return
		}
		w.Header().Set("ETag", st.ETag)
		writeJSON(w, http.StatusOK, withMeta(st, c.typed))
	}))
	a.mux.HandleFunc("DELETE "+path+"/{id}", a.auth(func(w http.ResponseWriter, r *http.Request) {
		if err := c.del(r.Context(), r.PathValue("id"), r.Header.Get("If-Match")); err != nil {
			a.failResource(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
}

// withMeta is v's item as a JSON object plus its etag (and type).
func withMeta[T any](v Versioned[T], typed bool) map[string]any {
	b, _ := json.Marshal(v.Item) // model types always marshal
	m := map[string]any{}
	json.Unmarshal(b, &m)
	m["etag"] = v.ETag
	if typed {
		m["type"] = "custom"
		if v.Managed {
			m["type"] = "managed"
		}
	}
	return m
}

// failResource answers a ResourceError with its own code and status, and
// anything else as the distribution endpoints do.
func (a *API) failResource(w http.ResponseWriter, err error) {
	var re *ResourceError
	if errors.As(err, &re) {
		writeError(w, re.Status, re.Code, re.Message, "")
		return
	}
	a.fail(w, err)
}

// tagsBody is the body of POST /v1/tags.
type tagsBody struct {
	Tags []model.Tag `json:"tags"`
}

func (a *API) listTags(w http.ResponseWriter, r *http.Request) {
	tags, err := a.svc.ListTags(r.Context(), r.URL.Query().Get("resource"))
	if err != nil {
		a.failResource(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tagsBody{Tags: tags})
}

func (a *API) tagResource(w http.ResponseWriter, r *http.Request) {
	var body tagsBody
	if !decode(w, r, &body) {
		return
	}
	if err := a.svc.TagResource(r.Context(), r.URL.Query().Get("resource"), body.Tags); err != nil {
		a.failResource(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) untagResource(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.UntagResource(r.Context(), r.URL.Query().Get("resource"), r.URL.Query()["key"]); err != nil {
		a.failResource(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
