package control

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/model"
)

// startService runs a real embedded engine in-process for one test.
func startService(t *testing.T) (*Service, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	b, err := bus.Start(ctx, bus.Options{DataDir: t.TempDir(), Name: "control-test"})
	if err != nil {
		t.Fatalf("bus.Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return NewService(b.Config(), "pharos.test"), ctx
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var re *ResourceError
	if !errors.As(err, &re) || re.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve model.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want a validation error on %s", err, field)
	}
	for _, fe := range ve {
		if fe.Field == field {
			return
		}
	}
	t.Fatalf("validation error %v does not name %s", err, field)
}

func testDist(b model.Behavior) model.Distribution {
	b.TargetOriginID = "o"
	return model.Distribution{Enabled: true, Origins: []model.Origin{{ID: "o", DomainName: "origin.test"}}, DefaultBehavior: b}
}

func TestCachePolicyLifecycleAndResolution(t *testing.T) {
	s, ctx := startService(t)
	cp := s.CachePolicies()

	managed, err := cp.List(ctx, "managed")
	if err != nil || len(managed) == 0 || !managed[0].Managed {
		t.Fatalf("managed list = %v, %v", managed, err)
	}
	_, err = cp.Create(ctx, model.CachePolicy{Name: "Managed-CachingOptimized", DefaultTTL: 1, MaxTTL: 2})
	wantCode(t, err, "CachePolicyAlreadyExists")
	_, err = cp.Create(ctx, model.CachePolicy{Name: "bad", MinTTL: 5, DefaultTTL: 1, MaxTTL: 2})
	wantField(t, err, "cachePolicy.defaultTTL")

	p, err := cp.Create(ctx, model.CachePolicy{Name: "short", DefaultTTL: 5, MaxTTL: 60})
	if err != nil {
		t.Fatal(err)
	}
	id := p.Item.ID
	if custom, _ := cp.List(ctx, "custom"); len(custom) != 1 || custom[0].Item.ID != id {
		t.Fatalf("custom list = %+v", custom)
	}

	// A distribution naming it gets the policy's content inline.
	d, err := s.Create(ctx, testDist(model.Behavior{CachePolicyID: id}))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Distribution.DefaultBehavior.CachePolicy; got == nil || got.DefaultTTL != 5 || got.ID != id {
		t.Fatalf("resolved cache policy = %+v", got)
	}
	// An unknown id names the field.
	_, err = s.Create(ctx, testDist(model.Behavior{CachePolicyID: model.NewPolicyID()}))
	wantField(t, err, "defaultBehavior.cachePolicyId")

	// Update: If-Match checked, then the distribution is stored again with
	// the new content (a new revision for the edges).
	_, err = cp.Update(ctx, id, "E999999", model.CachePolicy{Name: "short", DefaultTTL: 7, MaxTTL: 60})
	if !errors.Is(err, ErrPrecondition) {
		t.Fatalf("stale If-Match: %v", err)
	}
	if _, err := cp.Update(ctx, id, p.ETag, model.CachePolicy{Name: "short", DefaultTTL: 7, MaxTTL: 60}); err != nil {
		t.Fatal(err)
	}
	d2, err := s.Get(ctx, d.Distribution.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d2.ETag == d.ETag || d2.Distribution.DefaultBehavior.CachePolicy.DefaultTTL != 7 {
		t.Fatalf("distribution not re-stored: etag %s -> %s, ttl %d", d.ETag, d2.ETag, d2.Distribution.DefaultBehavior.CachePolicy.DefaultTTL)
	}

	// In use: refused; managed: IllegalDelete; unused: gone.
	wantCode(t, cp.Delete(ctx, id, ""), "CachePolicyInUse")
	wantCode(t, cp.Delete(ctx, "658327ea-f89d-4fab-a63d-7e88639e58f6", ""), "IllegalDelete")
	if err := s.Delete(ctx, d.Distribution.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := cp.Delete(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	_, err = cp.Get(ctx, id)
	wantCode(t, err, "NoSuchCachePolicy")
	_, err = cp.Get(ctx, "../x")
	wantCode(t, err, "NoSuchCachePolicy")
}

func TestOriginRequestAndResponseHeadersPolicies(t *testing.T) {
	s, ctx := startService(t)
	orp, err := s.OriginRequestPolicies().Create(ctx, model.OriginRequestPolicy{Name: "fwd",
		Headers: model.ListConfig{Behavior: "whitelist", Items: []string{"X-Tenant"}}})
	if err != nil {
		t.Fatal(err)
	}
	rhp, err := s.ResponseHeadersPolicies().Create(ctx, model.ResponseHeadersPolicy{Name: "rh",
		CustomHeadersConfig: []model.ResponseHeader{{Header: "X-Team", Value: "edge"}}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Create(ctx, testDist(model.Behavior{OriginRequestPolicyID: orp.Item.ID, ResponseHeadersPolicyID: rhp.Item.ID}))
	if err != nil {
		t.Fatal(err)
	}
	b := d.Distribution.DefaultBehavior
	if b.OriginRequest == nil || b.OriginRequest.Headers.Items[0] != "X-Tenant" || b.ResponseHeaders == nil || b.ResponseHeaders.CustomHeadersConfig[0].Value != "edge" {
		t.Fatalf("not resolved: %+v %+v", b.OriginRequest, b.ResponseHeaders)
	}
	// A managed response headers policy resolves as well.
	d2, err := s.Create(ctx, testDist(model.Behavior{ResponseHeadersPolicyID: "67f7725c-6f97-4210-82d7-5512b31e9d03"}))
	if err != nil || d2.Distribution.DefaultBehavior.ResponseHeaders.SecurityHeadersConfig == nil {
		t.Fatalf("managed: %v", err)
	}
	if _, err := s.ResponseHeadersPolicies().Update(ctx, rhp.Item.ID, rhp.ETag, model.ResponseHeadersPolicy{Name: "rh",
		CustomHeadersConfig: []model.ResponseHeader{{Header: "X-Team", Value: "cdn"}}}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, d.Distribution.ID)
	if v := got.Distribution.DefaultBehavior.ResponseHeaders.CustomHeadersConfig[0].Value; v != "cdn" {
		t.Fatalf("after update the distribution carries %q", v)
	}
	wantCode(t, s.OriginRequestPolicies().Delete(ctx, orp.Item.ID, ""), "OriginRequestPolicyInUse")
	wantCode(t, s.ResponseHeadersPolicies().Delete(ctx, rhp.Item.ID, ""), "ResponseHeadersPolicyInUse")
	_, err = s.ResponseHeadersPolicies().Update(ctx, "60669652-455b-4ae9-85a4-c4c02393f86c", "", model.ResponseHeadersPolicy{Name: "x"})
	wantCode(t, err, "IllegalUpdate")
}

func newPEM(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestKeysGroupsAndTrustedKeys(t *testing.T) {
	s, ctx := startService(t)
	pks, kgs := s.PublicKeys(), s.KeyGroups()
	k1, err := pks.Create(ctx, model.PublicKey{CallerReference: "r1", Name: "k1", EncodedKey: newPEM(t)})
	if err != nil {
		t.Fatal(err)
	}
	if !model.ValidID(k1.Item.ID, 'K') {
		t.Fatalf("public key id %q", k1.Item.ID)
	}
	_, err = pks.Create(ctx, model.PublicKey{CallerReference: "r1", Name: "k1b", EncodedKey: newPEM(t)})
	wantCode(t, err, "PublicKeyAlreadyExists")
	k2, err := pks.Create(ctx, model.PublicKey{CallerReference: "r2", Name: "k2", EncodedKey: newPEM(t)})
	if err != nil {
		t.Fatal(err)
	}

	_, err = kgs.Create(ctx, model.KeyGroup{Name: "g", Items: []string{"KAAAAAAAAAAAAA"}})
	wantField(t, err, "items[0]")
	g, err := kgs.Create(ctx, model.KeyGroup{Name: "g", Items: []string{k1.Item.ID}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Create(ctx, testDist(model.Behavior{TrustedKeyGroups: []string{g.Item.ID}}))
	if err != nil {
		t.Fatal(err)
	}
	if tk := d.Distribution.DefaultBehavior.TrustedKeys; len(tk) != 1 || tk[0].ID != k1.Item.ID || tk[0].PEM != k1.Item.EncodedKey {
		t.Fatalf("trusted keys = %+v", tk)
	}
	_, err = s.Create(ctx, testDist(model.Behavior{TrustedKeyGroups: []string{model.NewPolicyID()}}))
	wantField(t, err, "defaultBehavior.trustedKeyGroups[0]")

	// Adding a key to the group reaches the distribution.
	if _, err := kgs.Update(ctx, g.Item.ID, g.ETag, model.KeyGroup{Name: "g", Items: []string{k1.Item.ID, k2.Item.ID}}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, d.Distribution.ID)
	if tk := got.Distribution.DefaultBehavior.TrustedKeys; len(tk) != 2 {
		t.Fatalf("after the group update: %+v", tk)
	}
	wantCode(t, pks.Delete(ctx, k2.Item.ID, ""), "PublicKeyInUse")
	wantCode(t, kgs.Delete(ctx, g.Item.ID, ""), "ResourceInUse")
	_, err = pks.Update(ctx, k1.Item.ID, k1.ETag, model.PublicKey{CallerReference: "r1", Name: "k1", EncodedKey: newPEM(t)})
	wantCode(t, err, "CannotChangeImmutablePublicKeyFields")
	_, err = pks.Update(ctx, k1.Item.ID, k1.ETag, model.PublicKey{CallerReference: "r1", Name: "renamed", EncodedKey: k1.Item.EncodedKey})
	wantCode(t, err, "CannotChangeImmutablePublicKeyFields")
	if _, err := pks.Update(ctx, k1.Item.ID, k1.ETag, model.PublicKey{CallerReference: "r1", Name: "k1", Comment: "rotated soon", EncodedKey: k1.Item.EncodedKey}); err != nil {
		t.Fatal(err)
	}
	_, err = kgs.Get(ctx, model.NewPolicyID())
	wantCode(t, err, "NoSuchResource")
}

func TestTags(t *testing.T) {
	s, ctx := startService(t)
	d, err := s.Create(ctx, testDist(model.Behavior{}))
	if err != nil {
		t.Fatal(err)
	}
	arn := DistributionARN("123456789012", d.Distribution.ID)
	if err := s.TagResource(ctx, arn, []model.Tag{{Key: "team", Value: "edge"}, {Key: "env", Value: "prod"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.TagResource(ctx, arn, []model.Tag{{Key: "env", Value: "stage"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.UntagResource(ctx, arn, []string{"team"}); err != nil {
		t.Fatal(err)
	}
	tags, err := s.ListTags(ctx, arn)
	if err != nil || len(tags) != 1 || tags[0] != (model.Tag{Key: "env", Value: "stage"}) {
		t.Fatalf("tags = %+v, %v", tags, err)
	}
	_, err = s.ListTags(ctx, DistributionARN("1", "E0000000000000"))
	wantCode(t, err, "NoSuchResource")
	_, err = s.ListTags(ctx, "not-an-arn")
	wantCode(t, err, "InvalidArgument")
	wantField(t, s.TagResource(ctx, arn, []model.Tag{{Key: "bad;key"}}), "tags[0].key")
	// Deleting the distribution forgets its tags.
	if err := s.Delete(ctx, d.Distribution.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.cfg.Get(ctx, tagsPrefix+"distribution."+d.Distribution.ID); !errors.Is(err, bus.ErrNotFound) {
		t.Fatalf("tags kept after delete: %v", err)
	}
}
