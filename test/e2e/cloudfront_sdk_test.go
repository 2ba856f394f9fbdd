package e2e

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
)

func cfClient(ph *pharos, secret string) *cloudfront.Client {
	return cloudfront.New(cloudfront.Options{
		BaseEndpoint: aws.String(ph.API),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(cfKeys.ID, secret, ""),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
}

// apiCode is the error code of a CloudFront API error.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

// The AWS SDK for Go v2 (which sends XML elements in alphabetical order)
// runs the main flow against pharos up with BaseEndpoint, and gets
// CloudFront's error codes as typed errors.
func TestCloudFrontSDK(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharosCF(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cf := cfClient(ph, cfKeys.Secret)

	config := &types.DistributionConfig{
		CallerReference: aws.String("sdk-1"),
		Comment:         aws.String("created by the Go SDK"),
		Enabled:         aws.Bool(true),
		Aliases:         &types.Aliases{Quantity: aws.Int32(1), Items: []string{"sdk.example.test"}},
		Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{
			Id: aws.String("origin"), DomainName: aws.String("127.0.0.1"),
			CustomOriginConfig: &types.CustomOriginConfig{HTTPPort: aws.Int32(int32(originPort(t, origin))), HTTPSPort: aws.Int32(443),
				OriginProtocolPolicy: types.OriginProtocolPolicyHttpOnly},
		}}},
		DefaultCacheBehavior: &types.DefaultCacheBehavior{
			TargetOriginId: aws.String("origin"), ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
			// The legacy form: an inline cache policy.
			ForwardedValues: &types.ForwardedValues{QueryString: aws.Bool(true), Cookies: &types.CookiePreference{Forward: types.ItemSelectionNone}},
			MinTTL:          aws.Int64(0), DefaultTTL: aws.Int64(60), MaxTTL: aws.Int64(600),
		},
	}
	created, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: config})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.Distribution.Id)
	expect(t, "Location", aws.ToString(created.Location), ph.API+"/2020-05-31/distribution/"+id)
	expect(t, "status", aws.ToString(created.Distribution.Status), "Deployed")

	// The waiter's first poll succeeds.
	if err := cloudfront.NewDistributionDeployedWaiter(cf).Wait(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the edge to serve sdk.example.test", func() bool {
		return get(t, "GET", ph.Edge+"/_origin/health", "Host: sdk.example.test").Status == http.StatusOK
	})
	// ForwardedValues.QueryString true: the query string reaches the origin.
	expect(t, "origin saw", decodeEcho(t, get(t, "GET", ph.Edge+"/_origin/echo?v=1", "Host: sdk.example.test")).URI, "/_origin/echo?v=1")

	got, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "DefaultTTL read back", aws.ToInt64(got.DistributionConfig.DefaultCacheBehavior.DefaultTTL), 60)
	dc := got.DistributionConfig
	dc.Comment = aws.String("updated by the Go SDK")
	if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), DistributionConfig: dc}); apiCode(err) != "InvalidIfMatchVersion" {
		t.Errorf("update without If-Match: %v", err)
	}
	up, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: got.ETag, DistributionConfig: dc})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "updated comment", aws.ToString(up.Distribution.DistributionConfig.Comment), "updated by the Go SDK")
	var pf *types.PreconditionFailed
	if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: got.ETag, DistributionConfig: dc}); !errors.As(err, &pf) {
		t.Errorf("stale If-Match: %v", err)
	}

	inv, err := cf.CreateInvalidation(ctx, &cloudfront.CreateInvalidationInput{DistributionId: aws.String(id),
		InvalidationBatch: &types.InvalidationBatch{CallerReference: aws.String("sdk-inv-1"),
			Paths: &types.Paths{Quantity: aws.Int32(2), Items: []string{"/_origin/echo", "/*"}}}})
	if err != nil {
		t.Fatal(err)
	}
	invID := aws.ToString(inv.Invalidation.Id)
	w := cloudfront.NewInvalidationCompletedWaiter(cf, func(o *cloudfront.InvalidationCompletedWaiterOptions) { o.MinDelay = time.Second })
	if err := w.Wait(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(id), Id: aws.String(invID)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	invs, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(id)})
	if err != nil || aws.ToInt32(invs.InvalidationList.Quantity) != 1 || aws.ToString(invs.InvalidationList.Items[0].Id) != invID {
		t.Errorf("list invalidations: %v %+v", err, invs)
	}

	// A second distribution, then a paginated list.
	config.CallerReference, config.Aliases.Items = aws.String("sdk-2"), []string{"sdk2.example.test"}
	second, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: config})
	if err != nil {
		t.Fatal(err)
	}
	// With tags: they are listed for the distribution's ARN.
	config.CallerReference, config.Aliases.Items = aws.String("sdk-tags"), []string{"sdk-tags.example.test"}
	tagged, err := cf.CreateDistributionWithTags(ctx, &cloudfront.CreateDistributionWithTagsInput{DistributionConfigWithTags: &types.DistributionConfigWithTags{
		DistributionConfig: config, Tags: &types.Tags{Items: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := cf.ListTagsForResource(ctx, &cloudfront.ListTagsForResourceInput{Resource: tagged.Distribution.ARN})
	if err != nil || len(tags.Tags.Items) != 1 || aws.ToString(tags.Tags.Items[0].Key) != "team" || aws.ToString(tags.Tags.Items[0].Value) != "web" {
		t.Errorf("tags of a distribution created with tags: %v %+v", err, tags)
	}
	var listed []string
	pages := cloudfront.NewListDistributionsPaginator(cf, &cloudfront.ListDistributionsInput{MaxItems: aws.Int32(1)})
	for i := 0; pages.HasMorePages() && i < 5; i++ {
		p, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.DistributionList.Items {
			listed = append(listed, aws.ToString(s.Id))
		}
	}
	if !slices.Contains(listed, id) || !slices.Contains(listed, aws.ToString(second.Distribution.Id)) ||
		!slices.Contains(listed, aws.ToString(tagged.Distribution.Id)) || len(listed) != 3 {
		t.Errorf("paginated list: %v", listed)
	}

	// Errors as typed API errors.
	var nsd *types.NoSuchDistribution
	if _, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String("E0000000000000")}); !errors.As(err, &nsd) {
		t.Errorf("missing distribution: %v", err)
	}
	if _, err := cfClient(ph, "wrong").ListDistributions(ctx, &cloudfront.ListDistributionsInput{}); apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v", err)
	}
	var alias *types.CNAMEAlreadyExists
	config.CallerReference = aws.String("sdk-3")
	if _, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: config}); !errors.As(err, &alias) {
		t.Errorf("an alias already in use: %v", err)
	}
	config.CallerReference, config.Aliases.Items = aws.String("sdk-4"), []string{"sdk4.example.test"}
	config.DefaultCacheBehavior.SmoothStreaming = aws.Bool(true)
	if _, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: config}); apiCode(err) != "InvalidArgument" {
		t.Errorf("SmoothStreaming true: %v", err)
	}

	// Delete: disable, then delete with the new ETag.
	var dnd *types.DistributionNotDisabled
	if _, err := cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: up.ETag}); !errors.As(err, &dnd) {
		t.Errorf("delete while enabled: %v", err)
	}
	dc.Enabled = aws.Bool(false)
	off, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(id), IfMatch: up.ETag, DistributionConfig: dc})
	if err != nil {
		t.Fatal(err)
	}
	if err := cloudfront.NewDistributionDeployedWaiter(cf).Wait(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.DeleteDistribution(ctx, &cloudfront.DeleteDistributionInput{Id: aws.String(id), IfMatch: off.ETag}); err != nil {
		t.Fatal(err)
	}
	if _, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)}); !errors.As(err, &nsd) {
		t.Errorf("get after delete: %v", err)
	}
}
