package cfapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// accountID is the AWS account id Pharos answers with in ARNs
// (arn:aws:cloudfront::000000000000:distribution/<id>): there is one
// account per installation.
const accountID = "000000000000"

// timeLayout is how CloudFront writes timestamps in XML.
const timeLayout = "2006-01-02T15:04:05.000Z"

func (s *Server) registerDistributions() {
	s.handle("POST", "/distribution", s.createDistribution)
	s.handle("GET", "/distribution", s.listDistributions)
	s.handle("GET", "/distribution/{Id}", s.getDistribution)
	s.handle("GET", "/distribution/{Id}/config", s.getDistributionConfig)
	s.handle("PUT", "/distribution/{Id}/config", s.updateDistribution)
	s.handle("DELETE", "/distribution/{Id}", s.deleteDistribution)
}

// readConfig decodes and maps a DistributionConfig body (or, with tags,
// DistributionConfigWithTags).
func readConfig(r *http.Request, withTags bool) (model.Distribution, []model.Tag, error) {
	var c *distributionConfigXML
	var tags []model.Tag
	if withTags {
		var wt distributionConfigWithTagsXML
		if err := decodeXML(r, &wt); err != nil {
			return model.Distribution{}, nil, err
		}
		if err := checkUnknown(&wt, "DistributionConfigWithTags"); err != nil {
			return model.Distribution{}, nil, err
		}
		if wt.DistributionConfig == nil {
			return model.Distribution{}, nil, errInvalidArgument("DistributionConfigWithTags.DistributionConfig: required")
		}
		c = wt.DistributionConfig
		if wt.Tags != nil {
			for _, t := range wt.Tags.Items {
				tag := model.Tag{Key: t.Key}
				if t.Value != nil {
					tag.Value = *t.Value
				}
				tags = append(tags, tag)
			}
		}
	} else {
		c = &distributionConfigXML{}
		if err := decodeXML(r, c); err != nil {
			return model.Distribution{}, nil, err
		}
		if err := checkUnknown(c, "DistributionConfig"); err != nil {
			return model.Distribution{}, nil, err
		}
	}
	d, err := toModel(c)
	return d, tags, err
}

func (s *Server) createDistribution(w http.ResponseWriter, r *http.Request) error {
	_, withTags := r.URL.Query()["WithTags"]
	d, tags, err := readConfig(r, withTags)
	if err != nil {
		return err
	}
	if len(tags) > 0 {
		if err := model.ValidateTags(tags); err != nil {
			return newError(http.StatusBadRequest, "InvalidTagging", "%v", err)
		}
	}
	st, existed, err := s.createOnce(r.Context(), d)
	if err != nil {
		return err
	}
	if len(tags) > 0 && !existed {
		arn := control.DistributionARN(accountID, st.Distribution.ID)
		if err := s.svc.TagResource(r.Context(), arn, tags); err != nil {
			return s.controlErr(err, st.Distribution.ID)
		}
	}
	st = s.awaitDeployed(r.Context(), st)
	w.Header().Set("Location", s.location(r, "/distribution/"+st.Distribution.ID))
	w.Header().Set("ETag", st.ETag)
	writeXML(w, http.StatusCreated, s.distributionXML(r.Context(), st))
	return nil
}

// createOnce creates d unless a distribution with the same CallerReference
// exists: with the same configuration that one is the answer (CloudFront's
// idempotency), with another it is DistributionAlreadyExists.
func (s *Server) createOnce(ctx context.Context, d model.Distribution) (control.Stored, bool, error) {
	all, err := s.svc.List(ctx)
	if err != nil {
		return control.Stored{}, false, err
	}
	for _, st := range all {
		if st.Distribution.CallerReference != d.CallerReference {
			continue
		}
		if sameConfig(d, st.Distribution) {
			return st, true, nil
		}
		return control.Stored{}, false, errDistributionAlreadyExists(st.Distribution.ID)
	}
	st, err := s.svc.Create(ctx, d)
	if err != nil {
		return control.Stored{}, false, s.controlErr(err, "")
	}
	return st, false, nil
}

// sameConfig compares a requested configuration with a stored one as the
// XML shows them.
func sameConfig(req, stored model.Distribution) bool {
	req.ID, req.DomainName = stored.ID, stored.DomainName
	req.ApplyDefaults()
	a, _ := json.Marshal(toConfigXML(&req))
	b, _ := json.Marshal(toConfigXML(&stored))
	return string(a) == string(b)
}

func (s *Server) getDistribution(w http.ResponseWriter, r *http.Request) error {
	st, err := s.get(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	w.Header().Set("ETag", st.ETag)
	writeXML(w, http.StatusOK, s.distributionXML(r.Context(), st))
	return nil
}

func (s *Server) getDistributionConfig(w http.ResponseWriter, r *http.Request) error {
	st, err := s.get(r.Context(), r.PathValue("Id"))
	if err != nil {
		return err
	}
	c := toConfigXML(&st.Distribution)
	c.Xmlns = Namespace
	w.Header().Set("ETag", st.ETag)
	writeXML(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateDistribution(w http.ResponseWriter, r *http.Request) error {
	id, ifMatch := r.PathValue("Id"), r.Header.Get("If-Match")
	if ifMatch == "" {
		return errInvalidIfMatchVersion()
	}
	cur, err := s.get(r.Context(), id)
	if err != nil {
		return err
	}
	d, _, err := readConfig(r, false)
	if err != nil {
		return err
	}
	if ifMatch != cur.ETag {
		return errPreconditionFailed()
	}
	old := cur.Distribution
	if d.CallerReference != old.CallerReference && !(old.CallerReference == "" && d.CallerReference == old.ID) {
		return errIllegalUpdate("DistributionConfig.CallerReference cannot be changed (it is %q)", toConfigXML(&old).CallerReference)
	}
	d.CallerReference = old.CallerReference
	keepUnexpressed(&d, &old)
	st, err := s.svc.Update(r.Context(), id, ifMatch, d)
	if err != nil {
		return s.controlErr(err, id)
	}
	st = s.awaitDeployed(r.Context(), st)
	w.Header().Set("ETag", st.ETag)
	writeXML(w, http.StatusOK, s.distributionXML(r.Context(), st))
	return nil
}

func (s *Server) deleteDistribution(w http.ResponseWriter, r *http.Request) error {
	id, ifMatch := r.PathValue("Id"), r.Header.Get("If-Match")
	if ifMatch == "" {
		return errInvalidIfMatchVersion()
	}
	cur, err := s.get(r.Context(), id)
	if err != nil {
		return err
	}
	if ifMatch != cur.ETag {
		return errPreconditionFailed()
	}
	if cur.Distribution.Enabled {
		return errDistributionNotDisabled(id)
	}
	if s.status(cur) != "Deployed" {
		return newError(http.StatusConflict, "DistributionNotDisabled",
			"The distribution %s is disabled but the change is not deployed to every edge yet.", id)
	}
	if err := s.svc.Delete(r.Context(), id, ifMatch); err != nil {
		return s.controlErr(err, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listDistributions(w http.ResponseWriter, r *http.Request) error {
	marker, maxItems, err := pageParams(r)
	if err != nil {
		return err
	}
	all, err := s.svc.List(r.Context())
	if err != nil {
		return err
	}
	out := distributionListXML{Xmlns: Namespace, Marker: marker, MaxItems: maxItems, Items: []distributionSummaryXML{}}
	for _, st := range all { // ordered by id
		if marker != "" && st.Distribution.ID <= marker {
			continue
		}
		if len(out.Items) == maxItems {
			out.IsTruncated = true
			out.NextMarker = out.Items[len(out.Items)-1].Id
			break
		}
		out.Items = append(out.Items, s.summaryXML(st))
	}
	out.Quantity = len(out.Items)
	writeXML(w, http.StatusOK, out)
	return nil
}

// pageParams reads Marker and MaxItems (default 100, at most 1000).
func pageParams(r *http.Request) (string, int, error) {
	q := r.URL.Query()
	n := 100
	if v := q.Get("MaxItems"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 1000 {
			return "", 0, errInvalidArgument("MaxItems %q: must be a number from 1 to 1000", v)
		}
	}
	return q.Get("Marker"), n, nil
}

func (s *Server) get(ctx context.Context, id string) (control.Stored, error) {
	if !model.ValidID(id, 'E') {
		// Not a key the engine could hold (and "*", ">" or "." would be
		// read as a pattern by it).
		return control.Stored{}, errNoSuchDistribution(id)
	}
	st, err := s.svc.Get(ctx, id)
	if err != nil {
		return st, s.controlErr(err, id)
	}
	return st, nil
}

// status is Deployed once the edges have applied the distribution's
// revision, as the native API computes it.
func (s *Server) status(st control.Stored) string {
	if rev, _ := control.ParseETag(st.ETag); s.Applied != nil && s.Applied() < rev {
		return "InProgress"
	}
	return "Deployed"
}

// deployWait bounds how long a create or update waits for the edges to
// apply it before answering (Server.deployWait; tests shorten it).
const deployWait = 5 * time.Second

// awaitDeployed waits, briefly, until every live edge has applied st. On a
// healthy local setup that takes milliseconds, so the answer (and the first
// poll of the SDK's distribution-deployed waiter, which would otherwise
// sleep 60 s) already says Deployed; past the bound it answers InProgress.
func (s *Server) awaitDeployed(ctx context.Context, st control.Stored) control.Stored {
	deadline := time.Now().Add(s.deployWait)
	for s.status(st) != "Deployed" && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return st
		case <-time.After(20 * time.Millisecond):
		}
	}
	return st
}

func (s *Server) distributionXML(ctx context.Context, st control.Stored) distributionXML {
	d := &st.Distribution
	x := distributionXML{Xmlns: Namespace, Id: d.ID, ARN: control.DistributionARN(accountID, d.ID),
		Status: s.status(st), LastModifiedTime: d.LastModified.UTC().Format(timeLayout), DomainName: d.DomainName,
		InProgressInvalidationBatches: s.invalidationsInProgress(ctx, d.ID),
		ActiveTrustedKeyGroups:        activeKeyGroups(d), DistributionConfig: toConfigXML(d)}
	return x
}

func activeKeyGroups(d *model.Distribution) activeTrustedXML {
	var a activeTrustedXML
	seen := map[string]bool{}
	for _, b := range append([]model.Behavior{d.DefaultBehavior}, d.Behaviors...) {
		for _, g := range b.TrustedKeyGroups {
			if !seen[g] {
				seen[g] = true
				a.Items = append(a.Items, activeGroupXML{KeyGroupId: g})
			}
		}
	}
	a.Quantity, a.Enabled = len(a.Items), len(a.Items) > 0
	return a
}

func (s *Server) summaryXML(st control.Stored) distributionSummaryXML {
	d := &st.Distribution
	c := toConfigXML(d)
	return distributionSummaryXML{Id: d.ID, ARN: control.DistributionARN(accountID, d.ID), ETag: st.ETag,
		Status: s.status(st), LastModifiedTime: d.LastModified.UTC().Format(timeLayout), DomainName: d.DomainName,
		Aliases: c.Aliases, Origins: c.Origins, OriginGroups: c.OriginGroups, DefaultCacheBehavior: c.DefaultCacheBehavior,
		CacheBehaviors: c.CacheBehaviors, CustomErrorResponses: c.CustomErrorResponses, Comment: d.Comment,
		PriceClass: *c.PriceClass, Enabled: d.Enabled, ViewerCertificate: c.ViewerCertificate, Restrictions: c.Restrictions,
		WebACLId: "", HttpVersion: *c.HttpVersion, IsIPV6Enabled: true, Staging: false}
}

// location is the absolute URL of a created resource.
func (s *Server) location(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + Prefix + path
}

// controlErr maps the control plane's errors onto CloudFront's codes.
func (s *Server) controlErr(err error, id string) error {
	var ve model.ValidationError
	var re *control.ResourceError
	switch {
	case errors.As(err, &re):
		return newError(re.Status, re.Code, "%s", re.Message)
	case errors.As(err, &ve):
		return errInvalidArgument("DistributionConfig: %s", ve.Error())
	case errors.Is(err, control.ErrNotFound):
		return errNoSuchDistribution(id)
	case errors.Is(err, control.ErrNoSuchInvalidation):
		return errNoSuchInvalidation(id)
	case errors.Is(err, control.ErrPrecondition):
		return errPreconditionFailed()
	case errors.Is(err, control.ErrAliasInUse), errors.Is(err, control.ErrDefaultConflict):
		return errCNAMEAlreadyExists(err.Error())
	}
	return err
}
