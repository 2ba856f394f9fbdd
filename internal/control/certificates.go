package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/model"
)

// CertificateImport is the body of POST /v1/certificates.
type CertificateImport struct {
	Certificate string `json:"certificate"` // PEM chain, leaf first
	PrivateKey  string `json:"privateKey"`  // PEM key of the leaf
	Comment     string `json:"comment,omitempty"`
}

// ErrNoSuchCertificate says that no certificate has the id.
var ErrNoSuchCertificate = errors.New("no such certificate")

// ImportCertificate validates a certificate and its key and stores them;
// every edge serves it for its names from its next handshake on.
func (s *Service) ImportCertificate(ctx context.Context, in CertificateImport) (model.Certificate, error) {
	c, err := certs.Import(in.Certificate, in.PrivateKey, s.now())
	var fe *certs.FieldError
	if errors.As(err, &fe) {
		return c, model.ValidationError{{Field: fe.Field, Message: fe.Err.Error()}}
	}
	if err != nil {
		return c, err
	}
	c.ID, c.Comment, c.Uploaded = model.NewCertificateID(), in.Comment, s.now().UTC()
	b, err := json.Marshal(c)
	if err != nil {
		return c, fmt.Errorf("control: encode certificate: %w", err)
	}
	if _, err := s.cfg.Update(ctx, certs.CertPrefix+c.ID, b, 0); err != nil {
		return c, fmt.Errorf("control: store certificate: %w", err)
	}
	return c.Public(), nil
}

// Certificates lists the imported certificates, without private keys,
// ordered by id.
func (s *Service) Certificates(ctx context.Context) ([]model.Certificate, error) {
	entries, err := s.cfg.List(ctx, certs.CertPrefix)
	if err != nil {
		return nil, fmt.Errorf("control: list certificates: %w", err)
	}
	out := make([]model.Certificate, 0, len(entries))
	for k, e := range entries {
		var c model.Certificate
		if err := json.Unmarshal(e.Value, &c); err != nil {
			return nil, fmt.Errorf("control: certificate %s is damaged: %w", k, err)
		}
		out = append(out, c.Public())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Certificate returns one imported certificate, without its private key.
func (s *Service) Certificate(ctx context.Context, id string) (model.Certificate, error) {
	var c model.Certificate
	if !model.ValidCertificateID(id) {
		return c, fmt.Errorf("%w %q", ErrNoSuchCertificate, id)
	}
	v, _, err := s.cfg.Get(ctx, certs.CertPrefix+id)
	if errors.Is(err, bus.ErrNotFound) {
		return c, fmt.Errorf("%w %q", ErrNoSuchCertificate, id)
	}
	if err != nil {
		return c, fmt.Errorf("control: get certificate: %w", err)
	}
	if err := json.Unmarshal(v, &c); err != nil {
		return c, fmt.Errorf("control: certificate %s is damaged: %w", id, err)
	}
	return c.Public(), nil
}

// DeleteCertificate removes an imported certificate that no distribution
// names in its ViewerCertificate; edges stop presenting it at once.
func (s *Service) DeleteCertificate(ctx context.Context, id string) error {
	if _, err := s.Certificate(ctx, id); err != nil {
		return err
	}
	dists, err := s.List(ctx)
	if err != nil {
		return err
	}
	var users []string
	for _, d := range dists {
		if d.Distribution.ViewerCertificate.CertificateID == id {
			users = append(users, d.Distribution.ID)
		}
	}
	if len(users) > 0 {
		return resErr(http.StatusConflict, "CertificateInUse", "certificate %s is the viewer certificate of %s", id, strings.Join(users, ", "))
	}
	if err := s.cfg.Delete(ctx, certs.CertPrefix+id); err != nil {
		return fmt.Errorf("control: delete certificate: %w", err)
	}
	return nil
}

// registerCertificates adds /v1/certificates: POST imports, GET lists, GET
// and DELETE /v1/certificates/{id}. No answer carries a private key.
func (a *API) registerCertificates() {
	a.mux.HandleFunc("POST /v1/certificates", a.auth(func(w http.ResponseWriter, r *http.Request) {
		var in CertificateImport
		if !decode(w, r, &in) {
			return
		}
		c, err := a.svc.ImportCertificate(r.Context(), in)
		if err != nil {
			a.failCertificate(w, err)
			return
		}
		w.Header().Set("Location", "/v1/certificates/"+c.ID)
		writeJSON(w, http.StatusCreated, c)
	}))
	a.mux.HandleFunc("GET /v1/certificates", a.auth(func(w http.ResponseWriter, r *http.Request) {
		all, err := a.svc.Certificates(r.Context())
		if err != nil {
			a.failCertificate(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": all})
	}))
	a.mux.HandleFunc("GET /v1/certificates/{id}", a.auth(func(w http.ResponseWriter, r *http.Request) {
		c, err := a.svc.Certificate(r.Context(), r.PathValue("id"))
		if err != nil {
			a.failCertificate(w, err)
			return
		}
		writeJSON(w, http.StatusOK, c)
	}))
	a.mux.HandleFunc("DELETE /v1/certificates/{id}", a.auth(func(w http.ResponseWriter, r *http.Request) {
		if err := a.svc.DeleteCertificate(r.Context(), r.PathValue("id")); err != nil {
			a.failCertificate(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
}

func (a *API) failCertificate(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNoSuchCertificate) {
		writeError(w, http.StatusNotFound, "NoSuchCertificate", err.Error(), "")
		return
	}
	a.failResource(w, err)
}
