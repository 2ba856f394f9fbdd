package control

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
	"github.com/pharos-cdn/pharos/internal/sigv4"
)

// API serves the native JSON management API under /v1/.
type API struct {
	svc   *Service
	creds Credentials
	log   *slog.Logger
	mux   *http.ServeMux
	// Applied reports the configuration revision the edges have applied;
	// a distribution is Deployed once it is at or past the distribution's.
	Applied func() uint64
	// Edges lists the edges that heartbeat (nil: GET /v1/edges is empty).
	Edges *bus.Edges
	// Invalidations serves the invalidation endpoints (nil: 501).
	Invalidations *Invalidations
}

// NewAPI returns the API handler.
func NewAPI(svc *Service, creds Credentials, log *slog.Logger) *API {
	a := &API{svc: svc, creds: creds, log: log, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	a.mux.HandleFunc("GET /v1/distributions", a.auth(a.listDistributions))
	a.mux.HandleFunc("POST /v1/distributions", a.auth(a.createDistribution))
	a.mux.HandleFunc("GET /v1/distributions/{id}", a.auth(a.getDistribution))
	a.mux.HandleFunc("PUT /v1/distributions/{id}", a.auth(a.updateDistribution))
	a.mux.HandleFunc("DELETE /v1/distributions/{id}", a.auth(a.deleteDistribution))
	a.mux.HandleFunc("GET /v1/edges", a.auth(a.listEdges))
	a.mux.HandleFunc("POST /v1/distributions/{id}/invalidations", a.auth(a.createInvalidation))
	a.mux.HandleFunc("GET /v1/distributions/{id}/invalidations", a.auth(a.listInvalidations))
	a.mux.HandleFunc("GET /v1/distributions/{id}/invalidations/{iid}", a.auth(a.getInvalidation))
	a.registerResources()    // api_resources.go
	a.registerCertificates() // certificates.go
	return a
}

// Service is the distribution service the API serves.
func (a *API) Service() *Service { return a.svc }

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// auth accepts `Authorization: Bearer <secret>` or an AWS Signature
// Version 4 made with the access key pair for service "cloudfront" (any
// region), as the CloudFront-compatible API does.
func (a *API) auth(next http.HandlerFunc) http.HandlerFunc {
	v := &sigv4.Verifier{Service: "cloudfront", AccessKeyID: a.creds.AccessKeyID, SecretAccessKey: a.creds.SecretAccessKey}
	return func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			if subtle.ConstantTimeCompare([]byte(tok), []byte(a.creds.SecretAccessKey)) == 1 {
				next(w, r)
				return
			}
		} else if strings.HasPrefix(h, sigv4.Algorithm+" ") {
			err := v.Verify(r)
			if err == nil {
				next(w, r)
				return
			}
			writeError(w, http.StatusUnauthorized, "AccessDenied", "signature refused: "+err.Error(), "")
			return
		}
		writeError(w, http.StatusUnauthorized, "AccessDenied", "missing or wrong credentials", "")
	}
}

// distributionJSON is the wire form: the model plus its version and status.
type distributionJSON struct {
	model.Distribution
	ETag   string `json:"etag"`
	Status string `json:"status"`
}

func (a *API) toJSON(s Stored) distributionJSON {
	status := "Deployed"
	if rev, _ := ParseETag(s.ETag); a.Applied != nil && a.Applied() < rev {
		status = "InProgress"
	}
	return distributionJSON{Distribution: s.Distribution, ETag: s.ETag, Status: status}
}

func (a *API) listDistributions(w http.ResponseWriter, r *http.Request) {
	all, err := a.svc.List(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]distributionJSON, 0, len(all))
	for _, s := range all {
		out = append(out, a.toJSON(s))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

func (a *API) createInvalidation(w http.ResponseWriter, r *http.Request) {
	var req Request
	if !decode(w, r, &req) {
		return
	}
	rec, err := a.Invalidations.Create(r.Context(), r.PathValue("id"), req)
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("Location", "/v1/distributions/"+rec.DistributionID+"/invalidations/"+rec.ID)
	writeJSON(w, http.StatusCreated, rec)
}

func (a *API) getInvalidation(w http.ResponseWriter, r *http.Request) {
	rec, err := a.Invalidations.Get(r.Context(), r.PathValue("id"), r.PathValue("iid"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (a *API) listInvalidations(w http.ResponseWriter, r *http.Request) {
	if _, err := a.svc.Get(r.Context(), r.PathValue("id")); err != nil {
		a.fail(w, err)
		return
	}
	all, err := a.Invalidations.List(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": all})
}

// edgeJSON is an edge with how far its configuration trails the newest.
type edgeJSON struct {
	bus.EdgeStatus
	Lag uint64 `json:"lag"` // configuration revisions behind the newest stored
}

func (a *API) listEdges(w http.ResponseWriter, r *http.Request) {
	items := []edgeJSON{}
	if a.Edges != nil {
		latest, err := a.svc.StoredRevision(r.Context())
		if err != nil {
			a.fail(w, err)
			return
		}
		for _, e := range a.Edges.List() {
			j := edgeJSON{EdgeStatus: e}
			if latest > e.Revision {
				j.Lag = latest - e.Revision
			}
			items = append(items, j)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *API) createDistribution(w http.ResponseWriter, r *http.Request) {
	var d model.Distribution
	if !decode(w, r, &d) {
		return
	}
	st, err := a.svc.Create(r.Context(), d)
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("ETag", st.ETag)
	w.Header().Set("Location", "/v1/distributions/"+st.Distribution.ID)
	writeJSON(w, http.StatusCreated, a.toJSON(st))
}

func (a *API) getDistribution(w http.ResponseWriter, r *http.Request) {
	st, err := a.svc.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("ETag", st.ETag)
	writeJSON(w, http.StatusOK, a.toJSON(st))
}

func (a *API) updateDistribution(w http.ResponseWriter, r *http.Request) {
	var d model.Distribution
	if !decode(w, r, &d) {
		return
	}
	st, err := a.svc.Update(r.Context(), r.PathValue("id"), r.Header.Get("If-Match"), d)
	if err != nil {
		a.fail(w, err)
		return
	}
	w.Header().Set("ETag", st.ETag)
	writeJSON(w, http.StatusOK, a.toJSON(st))
}

func (a *API) deleteDistribution(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.Delete(r.Context(), r.PathValue("id"), r.Header.Get("If-Match")); err != nil {
		a.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decode reads a JSON body strictly: unknown fields are an error that names
// them, so a typo is not silently ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "MalformedInput", "request body: "+err.Error(), "")
		return false
	}
	return true
}

func (a *API) fail(w http.ResponseWriter, err error) {
	var ve model.ValidationError
	switch {
	case errors.As(err, &ve):
		writeError(w, http.StatusBadRequest, "InvalidArgument", ve.Error(), ve[0].Field)
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "NoSuchDistribution", err.Error(), "")
	case errors.Is(err, ErrNoSuchInvalidation):
		writeError(w, http.StatusNotFound, "NoSuchInvalidation", err.Error(), "")
	case errors.Is(err, ErrPrecondition):
		writeError(w, http.StatusPreconditionFailed, "PreconditionFailed", err.Error(), "")
	case errors.Is(err, ErrAliasInUse), errors.Is(err, ErrDefaultConflict):
		writeError(w, http.StatusConflict, "CNAMEAlreadyExists", err.Error(), "")
	default:
		a.log.Error("api request failed", "err", err)
		writeError(w, http.StatusInternalServerError, "InternalError", "internal error", "")
	}
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	writeJSON(w, status, map[string]apiError{"error": {Code: code, Message: msg, Field: field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
