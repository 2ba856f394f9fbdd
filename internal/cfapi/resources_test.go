package cfapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cft "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// sdkClient serves the API on loopback over a real embedded engine and
// returns an AWS SDK client for it (the SDK sorts XML elements by name, so
// these tests also check that decoding does not depend on order).
func sdkClient(t *testing.T) (*cloudfront.Client, context.Context) {
	t.Helper()
	c, _, ctx := sdkClientWith(t)
	return c, ctx
}

// sdkClientWith is sdkClient that also returns the service behind it.
func sdkClientWith(t *testing.T) (*cloudfront.Client, *control.Service, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	b, err := bus.Start(ctx, bus.Options{DataDir: t.TempDir(), Name: "cfapi-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	creds := control.Credentials{AccessKeyID: "AKTEST", SecretAccessKey: "secret/test"}
	svc := control.NewService(b.Config(), "pharos.test")
	srv := httptest.NewServer(New(svc, nil, creds,
		slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	c := cloudfront.New(cloudfront.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
	return c, svc, ctx
}

func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

func TestSDKResponseHeadersPolicyRoundTrip(t *testing.T) {
	c, ctx := sdkClient(t)
	in := &cft.ResponseHeadersPolicyConfig{
		Name: aws.String("all-parts"), Comment: aws.String("every element"),
		CorsConfig: &cft.ResponseHeadersPolicyCorsConfig{
			AccessControlAllowCredentials: aws.Bool(true),
			AccessControlAllowHeaders:     &cft.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: aws.Int32(1), Items: []string{"X-A"}},
			AccessControlAllowMethods: &cft.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: aws.Int32(2),
				Items: []cft.ResponseHeadersPolicyAccessControlAllowMethodsValues{"GET", "PUT"}},
			AccessControlAllowOrigins:  &cft.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: aws.Int32(1), Items: []string{"https://*.example.com"}},
			AccessControlExposeHeaders: &cft.ResponseHeadersPolicyAccessControlExposeHeaders{Quantity: aws.Int32(1), Items: []string{"X-B"}},
			AccessControlMaxAgeSec:     aws.Int32(600),
			OriginOverride:             aws.Bool(true),
		},
		SecurityHeadersConfig: &cft.ResponseHeadersPolicySecurityHeadersConfig{
			ContentSecurityPolicy:   &cft.ResponseHeadersPolicyContentSecurityPolicy{ContentSecurityPolicy: aws.String("default-src 'self'"), Override: aws.Bool(true)},
			ContentTypeOptions:      &cft.ResponseHeadersPolicyContentTypeOptions{Override: aws.Bool(false)},
			FrameOptions:            &cft.ResponseHeadersPolicyFrameOptions{FrameOption: "DENY", Override: aws.Bool(true)},
			ReferrerPolicy:          &cft.ResponseHeadersPolicyReferrerPolicy{ReferrerPolicy: "no-referrer", Override: aws.Bool(false)},
			StrictTransportSecurity: &cft.ResponseHeadersPolicyStrictTransportSecurity{AccessControlMaxAgeSec: aws.Int32(60), IncludeSubdomains: aws.Bool(true), Preload: aws.Bool(false), Override: aws.Bool(true)},
			XSSProtection:           &cft.ResponseHeadersPolicyXSSProtection{Protection: aws.Bool(true), ModeBlock: aws.Bool(true), Override: aws.Bool(false)},
		},
		ServerTimingHeadersConfig: &cft.ResponseHeadersPolicyServerTimingHeadersConfig{Enabled: aws.Bool(true), SamplingRate: aws.Float64(12.5)},
		CustomHeadersConfig: &cft.ResponseHeadersPolicyCustomHeadersConfig{Quantity: aws.Int32(1),
			Items: []cft.ResponseHeadersPolicyCustomHeader{{Header: aws.String("X-Team"), Value: aws.String("edge"), Override: aws.Bool(false)}}},
		RemoveHeadersConfig: &cft.ResponseHeadersPolicyRemoveHeadersConfig{Quantity: aws.Int32(1),
			Items: []cft.ResponseHeadersPolicyRemoveHeader{{Header: aws.String("Server")}}},
	}
	created, err := c.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: in})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetResponseHeadersPolicyConfig(ctx, &cloudfront.GetResponseHeadersPolicyConfigInput{Id: created.ResponseHeadersPolicy.Id})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.ResponseHeadersPolicyConfig, in) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got.ResponseHeadersPolicyConfig, in)
	}
	if aws.ToString(got.ETag) != aws.ToString(created.ETag) {
		t.Errorf("ETag %s, created with %s", aws.ToString(got.ETag), aws.ToString(created.ETag))
	}

	// Quantity must match Items; a bad value names its element.
	bad := *in
	bad.Name = aws.String("bad")
	bad.RemoveHeadersConfig = &cft.ResponseHeadersPolicyRemoveHeadersConfig{Quantity: aws.Int32(3),
		Items: []cft.ResponseHeadersPolicyRemoveHeader{{Header: aws.String("Server")}}}
	_, err = c.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: &bad})
	wantAPIError(t, err, "InconsistentQuantities")
	bad.RemoveHeadersConfig = nil
	bad.SecurityHeadersConfig = &cft.ResponseHeadersPolicySecurityHeadersConfig{
		FrameOptions: &cft.ResponseHeadersPolicyFrameOptions{FrameOption: "ALLOW-FROM", Override: aws.Bool(true)}}
	_, err = c.CreateResponseHeadersPolicy(ctx, &cloudfront.CreateResponseHeadersPolicyInput{ResponseHeadersPolicyConfig: &bad})
	wantAPIError(t, err, "InvalidArgument")

	managed, err := c.ListResponseHeadersPolicies(ctx, &cloudfront.ListResponseHeadersPoliciesInput{Type: "managed"})
	if err != nil || aws.ToInt32(managed.ResponseHeadersPolicyList.Quantity) != 5 {
		t.Fatalf("managed response headers policies: %v, %v", managed, err)
	}
}

func TestSDKCachePolicyAndKeys(t *testing.T) {
	c, ctx := sdkClient(t)
	cfg := &cft.CachePolicyConfig{Name: aws.String("sdk"), MinTTL: aws.Int64(0), DefaultTTL: aws.Int64(30), MaxTTL: aws.Int64(60),
		ParametersInCacheKeyAndForwardedToOrigin: &cft.ParametersInCacheKeyAndForwardedToOrigin{
			EnableAcceptEncodingGzip: aws.Bool(true), EnableAcceptEncodingBrotli: aws.Bool(false),
			HeadersConfig: &cft.CachePolicyHeadersConfig{HeaderBehavior: "whitelist", Headers: &cft.Headers{Quantity: aws.Int32(1), Items: []string{"Accept-Language"}}},
			CookiesConfig: &cft.CachePolicyCookiesConfig{CookieBehavior: "allExcept", Cookies: &cft.CookieNames{Quantity: aws.Int32(1), Items: []string{"session"}}},
			QueryStringsConfig: &cft.CachePolicyQueryStringsConfig{QueryStringBehavior: "all",
				QueryStrings: &cft.QueryStringNames{Quantity: aws.Int32(0)}},
		}, Comment: aws.String("")}
	created, err := c.CreateCachePolicy(ctx, &cloudfront.CreateCachePolicyInput{CachePolicyConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	id := created.CachePolicy.Id
	got, err := c.GetCachePolicyConfig(ctx, &cloudfront.GetCachePolicyConfigInput{Id: id})
	if err != nil {
		t.Fatal(err)
	}
	if g, w := js(got.CachePolicyConfig), js(cfg); g != w {
		t.Fatalf("round trip:\n got %s\nwant %s", g, w)
	}
	_, err = c.UpdateCachePolicy(ctx, &cloudfront.UpdateCachePolicyInput{Id: id, CachePolicyConfig: cfg})
	wantAPIError(t, err, "InvalidIfMatchVersion")
	_, err = c.DeleteCachePolicy(ctx, &cloudfront.DeleteCachePolicyInput{Id: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"), IfMatch: aws.String("E1")})
	wantAPIError(t, err, "IllegalDelete")
	_, err = c.GetCachePolicy(ctx, &cloudfront.GetCachePolicyInput{Id: aws.String("00000000-0000-4000-8000-000000000000")})
	wantAPIError(t, err, "NoSuchCachePolicy")

	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	pk, err := c.CreatePublicKey(ctx, &cloudfront.CreatePublicKeyInput{PublicKeyConfig: &cft.PublicKeyConfig{
		CallerReference: aws.String("ref"), Name: aws.String("p256"),
		EncodedKey: aws.String(string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})))}})
	if err != nil {
		t.Fatal(err)
	}
	kg, err := c.CreateKeyGroup(ctx, &cloudfront.CreateKeyGroupInput{KeyGroupConfig: &cft.KeyGroupConfig{
		Name: aws.String("g"), Items: []string{aws.ToString(pk.PublicKey.Id)}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateKeyGroup(ctx, &cloudfront.UpdateKeyGroupInput{Id: kg.KeyGroup.Id, IfMatch: aws.String("E999"),
		KeyGroupConfig: &cft.KeyGroupConfig{Name: aws.String("g"), Items: []string{aws.ToString(pk.PublicKey.Id)}}})
	wantAPIError(t, err, "PreconditionFailed")
	list, err := c.ListKeyGroups(ctx, &cloudfront.ListKeyGroupsInput{})
	if err != nil || aws.ToInt32(list.KeyGroupList.Quantity) != 1 || list.KeyGroupList.Items[0].KeyGroup.KeyGroupConfig.Items[0] != aws.ToString(pk.PublicKey.Id) {
		t.Fatalf("ListKeyGroups: %+v %v", list, err)
	}
	_, err = c.DeletePublicKey(ctx, &cloudfront.DeletePublicKeyInput{Id: pk.PublicKey.Id, IfMatch: pk.ETag})
	wantAPIError(t, err, "PublicKeyInUse")
	_, err = c.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: aws.String("arn:aws:cloudfront::000000000000:distribution/E0000000000000")})
	wantAPIError(t, err, "NoSuchResource")
}

func TestSDKTags(t *testing.T) {
	c, svc, ctx := sdkClientWith(t)
	_, err := c.TagResource(ctx, &cloudfront.TagResourceInput{Resource: aws.String("not-an-arn"),
		Tags: &cft.Tags{Items: []cft.Tag{{Key: aws.String("a")}}}})
	wantAPIError(t, err, "InvalidArgument")
	d, err := svc.Create(ctx, model.Distribution{Enabled: true, Origins: []model.Origin{{ID: "o", DomainName: "origin.test"}},
		DefaultBehavior: model.Behavior{TargetOriginID: "o"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.String(control.DistributionARN(accountID, d.Distribution.ID))
	_, err = c.TagResource(ctx, &cloudfront.TagResourceInput{Resource: arn, Tags: &cft.Tags{Items: []cft.Tag{{Key: aws.String("bad;key")}}}})
	wantAPIError(t, err, "InvalidTagging")
	empty, err := c.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: arn})
	if err != nil || len(empty.Tags.Items) != 0 {
		t.Fatalf("no tags yet: %+v %v", empty, err)
	}
	if _, err := c.TagResource(ctx, &cloudfront.TagResourceInput{Resource: arn,
		Tags: &cft.Tags{Items: []cft.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b")}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &cloudfront.UntagResourceInput{Resource: arn, TagKeys: &cft.TagKeys{Items: []string{"b"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: arn})
	if err != nil || len(got.Tags.Items) != 1 || aws.ToString(got.Tags.Items[0].Value) != "1" {
		t.Fatalf("tags: %+v %v", got, err)
	}
}
