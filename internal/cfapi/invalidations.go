package cfapi

import (
	"context"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// CloudFront's limits on invalidations in progress per distribution
// (CLOUDFRONT.md §6): individual paths and wildcard paths have separate
// budgets; a tag counts as an individual path.
const (
	maxPathsInProgress     = 3000
	maxWildcardsInProgress = 15
)

type invalidationBatchXML struct {
	XMLName         xml.Name     `xml:"InvalidationBatch"`
	Paths           *pathsXML    `xml:"Paths"`
	CallerReference string       `xml:"CallerReference"`
	Unknown         []unknownXML `xml:",any"`
}

type pathsXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>Path"`
	Unknown  []unknownXML `xml:",any"`
}

type invalidationXML struct {
	XMLName           xml.Name             `xml:"Invalidation"`
	Xmlns             string               `xml:"xmlns,attr"`
	Id                string               `xml:"Id"`
	Status            string               `xml:"Status"`
	CreateTime        string               `xml:"CreateTime"`
	InvalidationBatch invalidationBatchXML `xml:"InvalidationBatch"`
}

type invalidationListXML struct {
	XMLName     xml.Name                 `xml:"InvalidationList"`
	Xmlns       string                   `xml:"xmlns,attr"`
	Marker      string                   `xml:"Marker"`
	NextMarker  string                   `xml:"NextMarker,omitempty"`
	MaxItems    int                      `xml:"MaxItems"`
	IsTruncated bool                     `xml:"IsTruncated"`
	Quantity    int                      `xml:"Quantity"`
	Items       []invalidationSummaryXML `xml:"Items>InvalidationSummary"`
}

type invalidationSummaryXML struct {
	Id         string `xml:"Id"`
	CreateTime string `xml:"CreateTime"`
	Status     string `xml:"Status"`
}

func (s *Server) registerInvalidations() {
	s.handle("POST", "/distribution/{DistributionId}/invalidation", s.createInvalidation)
	s.handle("GET", "/distribution/{DistributionId}/invalidation", s.listInvalidations)
	s.handle("GET", "/distribution/{DistributionId}/invalidation/{Id}", s.getInvalidation)
}

func (s *Server) createInvalidation(w http.ResponseWriter, r *http.Request) error {
	if s.inv == nil {
		return errNotImplemented("CreateInvalidation")
	}
	distID := r.PathValue("DistributionId")
	if _, err := s.get(r.Context(), distID); err != nil {
		return err
	}
	var b invalidationBatchXML
	if err := decodeXML(r, &b); err != nil {
		return err
	}
	if err := checkUnknown(&b, "InvalidationBatch"); err != nil {
		return err
	}
	if b.Paths == nil {
		return errInvalidArgument("InvalidationBatch.Paths: required")
	}
	if err := checkQuantity("InvalidationBatch.Paths", b.Paths.Quantity, len(b.Paths.Items)); err != nil {
		return err
	}
	if b.CallerReference == "" {
		return errInvalidArgument("InvalidationBatch.CallerReference: required")
	}
	if len(b.Paths.Items) == 0 {
		return errInvalidArgument("InvalidationBatch.Paths: at least one path is required")
	}
	if len(b.Paths.Items) > maxPathsInProgress {
		return errBatchTooLarge("an invalidation batch holds at most 3000 paths")
	}
	all, err := s.inv.List(r.Context(), distID)
	if err != nil {
		return err
	}
	for _, rec := range all {
		if rec.CallerReference != b.CallerReference {
			continue
		}
		if !samePaths(batchPaths(rec), b.Paths.Items) {
			return errInvalidArgument("InvalidationBatch.CallerReference %q was used by invalidation %s for other paths", b.CallerReference, rec.ID)
		}
		return s.writeInvalidation(w, r, http.StatusCreated, rec)
	}
	if err := checkInProgress(all, b.Paths.Items); err != nil {
		return err
	}
	rec, err := s.inv.Create(r.Context(), distID, control.Request{Paths: b.Paths.Items, CallerReference: b.CallerReference})
	if err != nil {
		return s.controlErr(err, distID)
	}
	return s.writeInvalidation(w, r, http.StatusCreated, rec)
}

// checkInProgress applies CloudFront's limits on paths being invalidated.
func checkInProgress(all []control.InvalidationRecord, add []string) error {
	paths, wild := count(add)
	for _, rec := range all {
		if rec.Status == "InProgress" {
			p, w := count(batchPaths(rec))
			paths, wild = paths+p, wild+w
		}
	}
	if paths > maxPathsInProgress || wild > maxWildcardsInProgress {
		return errTooManyInvalidationsInProgress("at most 3000 paths and 15 wildcard paths may be in progress per distribution; wait for invalidations to complete")
	}
	return nil
}

func count(paths []string) (individual, wildcard int) {
	for _, p := range paths {
		if strings.HasSuffix(p, "*") {
			wildcard++
		} else {
			individual++
		}
	}
	return individual, wildcard
}

// batchPaths is an invalidation's paths as the batch gave them: tags as
// "#tag" paths.
func batchPaths(rec control.InvalidationRecord) []string {
	out := append([]string(nil), rec.Paths...)
	for _, t := range rec.Tags {
		out = append(out, "#"+t)
	}
	return out
}

// samePaths compares a recorded batch with a request, as sets, ignoring
// query strings (the record keeps none).
func samePaths(recorded, req []string) bool {
	norm := func(ps []string) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			if !strings.HasPrefix(p, "#") {
				p, _, _ = strings.Cut(p, "?")
			}
			out[i] = p
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(recorded), norm(req))
}

func (s *Server) writeInvalidation(w http.ResponseWriter, r *http.Request, status int, rec control.InvalidationRecord) error {
	paths := batchPaths(rec)
	x := invalidationXML{Xmlns: Namespace, Id: rec.ID, Status: rec.Status, CreateTime: rec.CreateTime.UTC().Format(timeLayout),
		InvalidationBatch: invalidationBatchXML{Paths: &pathsXML{Quantity: ptr(len(paths)), Items: paths}, CallerReference: rec.CallerReference}}
	if status == http.StatusCreated {
		w.Header().Set("Location", s.location(r, "/distribution/"+rec.DistributionID+"/invalidation/"+rec.ID))
	}
	writeXML(w, status, x)
	return nil
}

func (s *Server) getInvalidation(w http.ResponseWriter, r *http.Request) error {
	if s.inv == nil {
		return errNotImplemented("GetInvalidation")
	}
	distID, id := r.PathValue("DistributionId"), r.PathValue("Id")
	if _, err := s.get(r.Context(), distID); err != nil {
		return err
	}
	if !model.ValidID(id, 'I') {
		return errNoSuchInvalidation(id)
	}
	rec, err := s.inv.Get(r.Context(), distID, id)
	if err != nil {
		return s.controlErr(err, id)
	}
	return s.writeInvalidation(w, r, http.StatusOK, rec)
}

func (s *Server) listInvalidations(w http.ResponseWriter, r *http.Request) error {
	if s.inv == nil {
		return errNotImplemented("ListInvalidations")
	}
	distID := r.PathValue("DistributionId")
	marker, maxItems, err := pageParams(r)
	if err != nil {
		return err
	}
	if _, err := s.get(r.Context(), distID); err != nil {
		return err
	}
	all, err := s.inv.List(r.Context(), distID) // newest first
	if err != nil {
		return err
	}
	out := invalidationListXML{Xmlns: Namespace, Marker: marker, MaxItems: maxItems}
	skipping := marker != ""
	for _, rec := range all {
		if skipping {
			skipping = rec.ID != marker
			continue
		}
		if len(out.Items) == maxItems {
			out.IsTruncated, out.NextMarker = true, out.Items[len(out.Items)-1].Id
			break
		}
		out.Items = append(out.Items, invalidationSummaryXML{Id: rec.ID, CreateTime: rec.CreateTime.UTC().Format(timeLayout), Status: rec.Status})
	}
	out.Quantity = len(out.Items)
	writeXML(w, http.StatusOK, out)
	return nil
}

// invalidationsInProgress counts a distribution's invalidations not yet
// completed (Distribution.InProgressInvalidationBatches).
func (s *Server) invalidationsInProgress(ctx context.Context, distID string) int {
	if s.inv == nil {
		return 0
	}
	all, err := s.inv.List(ctx, distID)
	if err != nil {
		return 0
	}
	n := 0
	for _, rec := range all {
		if rec.Status == "InProgress" {
			n++
		}
	}
	return n
}
