package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cachePolicyConfig is a CachePolicyConfig as the CLI takes it: nothing but
// the path in the key, DefaultTTL as given.
func cachePolicyConfig(name string, defaultTTL int) map[string]any {
	return map[string]any{
		"Name": name, "Comment": "e2e", "MinTTL": 0, "DefaultTTL": defaultTTL, "MaxTTL": 86400,
		"ParametersInCacheKeyAndForwardedToOrigin": map[string]any{
			"EnableAcceptEncodingGzip": false,
			"HeadersConfig":            map[string]any{"HeaderBehavior": "none"},
			"CookiesConfig":            map[string]any{"CookieBehavior": "none"},
			"QueryStringsConfig":       map[string]any{"QueryStringBehavior": "none"},
		},
	}
}

func rsaPEM(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// wantCLIError runs a CLI command that must fail with code.
func (a *awsCLI) wantError(code string, args ...string) {
	a.t.Helper()
	if msg := a.run(true, args...); !strings.Contains(msg, code) {
		a.t.Fatalf("aws %s: %q, want %s", strings.Join(args, " "), msg, code)
	}
}

// The AWS CLI manages policies, keys and tags, and what it sets reaches the
// edge: a custom cache policy's TTL decides how long the edge serves hits,
// changing it re-deploys the distribution, and a response headers policy's
// header is on hits and misses.
func TestCloudFrontPolicies(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharosCF(t)
	aws := newAWSCLI(t, ph)

	// Managed cache policies are listed under CloudFront's ids.
	managed := aws.json("list-cache-policies", "--type", "managed")
	found := false
	for _, it := range jsonAt(managed, "CachePolicyList", "Items").([]any) {
		if jsonAt(it, "CachePolicy", "Id") == "658327ea-f89d-4fab-a63d-7e88639e58f6" {
			found = jsonAt(it, "CachePolicy", "CachePolicyConfig", "Name") == "Managed-CachingOptimized" && jsonAt(it, "Type") == "managed"
		}
	}
	if !found {
		t.Fatalf("CachingOptimized is not in the managed list: %v", managed)
	}

	// A custom cache policy: create, get, get-config; a second of the same name is refused.
	created := aws.json("create-cache-policy", "--cache-policy-config", aws.file("cp.json", cachePolicyConfig("e2e-short", 1)))
	cpID, _ := jsonAt(created, "CachePolicy", "Id").(string)
	cpETag, _ := created["ETag"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(cpID) || cpETag == "" {
		t.Fatalf("create-cache-policy: %v", created)
	}
	got := aws.json("get-cache-policy", "--id", cpID)
	expect(t, "get-cache-policy ETag", got["ETag"], cpETag)
	expect(t, "get-cache-policy-config DefaultTTL", jsonAt(aws.json("get-cache-policy-config", "--id", cpID), "CachePolicyConfig", "DefaultTTL"), 1)
	aws.wantError("CachePolicyAlreadyExists", "create-cache-policy", "--cache-policy-config", aws.file("dup.json", cachePolicyConfig("e2e-short", 5)))

	// A response headers policy with one custom header.
	rh := aws.json("create-response-headers-policy", "--response-headers-policy-config", aws.file("rh.json", map[string]any{
		"Name": "e2e-headers",
		"CustomHeadersConfig": map[string]any{"Quantity": 1, "Items": []any{
			map[string]any{"Header": "X-E2e-Policy", "Value": "applied", "Override": true}}},
		"SecurityHeadersConfig": map[string]any{"FrameOptions": map[string]any{"FrameOption": "DENY", "Override": true}},
	}))
	rhID, _ := jsonAt(rh, "ResponseHeadersPolicy", "Id").(string)

	// A distribution that uses both.
	dc := cliConfig(t, "policies-1", "policies.example.test", origin)
	behavior := dc["DefaultCacheBehavior"].(map[string]any)
	behavior["CachePolicyId"], behavior["ResponseHeadersPolicyId"] = cpID, rhID
	dist := aws.json("create-distribution", "--distribution-config", aws.file("dist.json", dc))
	distID, _ := jsonAt(dist, "Distribution", "Id").(string)
	arn, _ := jsonAt(dist, "Distribution", "ARN").(string)
	host := "Host: policies.example.test"
	eventually(t, 10*time.Second, "the edge to serve the distribution", func() bool {
		return get(t, "GET", ph.Edge+"/_origin/health", host).Status == http.StatusOK
	})

	// DefaultTTL 1: a hit, then stale after a second; the header on both.
	r := get(t, "GET", ph.Edge+"/ttl-a", host)
	expect(t, "first /ttl-a", r.xcache(), "Miss from pharos")
	expect(t, "policy header on a miss", r.Header.Get("X-E2e-Policy"), "applied")
	expect(t, "X-Frame-Options on a miss", r.Header.Get("X-Frame-Options"), "DENY")
	r = get(t, "GET", ph.Edge+"/ttl-a", host)
	expect(t, "second /ttl-a", r.xcache(), "Hit from pharos")
	expect(t, "policy header on a hit", r.Header.Get("X-E2e-Policy"), "applied")
	time.Sleep(1300 * time.Millisecond)
	if r = get(t, "GET", ph.Edge+"/ttl-a", host); r.xcache() == "Hit from pharos" {
		t.Fatalf("with DefaultTTL 1 the object was still fresh after 1.3 s: Age %s", r.Header.Get("Age"))
	}

	// DefaultTTL 3600: the distribution is stored again and deployed, and
	// the edge keeps the object past a second.
	aws.wantError("PreconditionFailed", "update-cache-policy", "--id", cpID, "--if-match", "E999999",
		"--cache-policy-config", aws.file("cp2.json", cachePolicyConfig("e2e-short", 3600)))
	updated := aws.json("update-cache-policy", "--id", cpID, "--if-match", cpETag,
		"--cache-policy-config", aws.file("cp2.json", cachePolicyConfig("e2e-short", 3600)))
	cpETag, _ = updated["ETag"].(string)
	eventually(t, 15*time.Second, "the re-stored distribution to deploy with the new TTL", func() bool {
		d := aws.json("get-distribution", "--id", distID)
		return jsonAt(d, "Distribution", "Status") == "Deployed" && jsonAt(d, "ETag") != dist["ETag"]
	})
	r = get(t, "GET", ph.Edge+"/ttl-b", host)
	expect(t, "first /ttl-b", r.xcache(), "Miss from pharos")
	time.Sleep(1300 * time.Millisecond)
	r = get(t, "GET", ph.Edge+"/ttl-b", host)
	age, _ := strconv.Atoi(r.Header.Get("Age"))
	if r.xcache() != "Hit from pharos" || age < 1 {
		t.Fatalf("with DefaultTTL 3600: X-Cache %q Age %q, want a hit at least a second old", r.xcache(), r.Header.Get("Age"))
	}
	expect(t, "policy header on a later hit", r.Header.Get("X-E2e-Policy"), "applied")

	// Policies in use, or managed, are not deleted.
	aws.wantError("CachePolicyInUse", "delete-cache-policy", "--id", cpID, "--if-match", cpETag)
	rhETag, _ := rh["ETag"].(string)
	aws.wantError("ResponseHeadersPolicyInUse", "delete-response-headers-policy", "--id", rhID, "--if-match", rhETag)
	aws.wantError("IllegalDelete", "delete-cache-policy", "--id", "658327ea-f89d-4fab-a63d-7e88639e58f6", "--if-match", "E1")

	// Tags on the distribution's ARN.
	aws.run(false, "tag-resource", "--resource", arn, "--tags", "Items=[{Key=team,Value=edge},{Key=env,Value=e2e}]")
	aws.run(false, "untag-resource", "--resource", arn, "--tag-keys", "Items=team")
	tags := aws.json("list-tags-for-resource", "--resource", arn)
	items, _ := jsonAt(tags, "Tags", "Items").([]any)
	if len(items) != 1 || jsonAt(items, 0, "Key") != "env" || jsonAt(items, 0, "Value") != "e2e" {
		t.Errorf("tags after tag and untag: %v", tags)
	}
	aws.wantError("NoSuchResource", "list-tags-for-resource", "--resource", "arn:aws:cloudfront::000000000000:distribution/E0000000000000")

	// A public key (RSA-2048) and a key group holding it.
	pk := aws.json("create-public-key", "--public-key-config", aws.file("pk.json", map[string]any{
		"CallerReference": "e2e-key-1", "Name": "e2e-key", "EncodedKey": rsaPEM(t), "Comment": "e2e"}))
	pkID, _ := jsonAt(pk, "PublicKey", "Id").(string)
	if !regexp.MustCompile(`^K[A-Z0-9]{13}$`).MatchString(pkID) {
		t.Fatalf("create-public-key: %v", pk)
	}
	listed := false
	for _, it := range jsonAt(aws.json("list-public-keys"), "PublicKeyList", "Items").([]any) {
		listed = listed || jsonAt(it, "Id") == pkID
	}
	if !listed {
		t.Errorf("list-public-keys lacks %s", pkID)
	}
	kg := aws.json("create-key-group", "--key-group-config", aws.file("kg.json", map[string]any{"Name": "e2e-group", "Items": []string{pkID}}))
	expect(t, "create-key-group items", jsonAt(kg, "KeyGroup", "KeyGroupConfig", "Items", 0), pkID)
	pkETag, _ := pk["ETag"].(string)
	aws.wantError("PublicKeyInUse", "delete-public-key", "--id", pkID, "--if-match", pkETag)

	// Back to a managed policy: the custom one can go.
	cur := aws.json("get-distribution-config", "--id", distID)
	cfg := cur["DistributionConfig"].(map[string]any)
	cfg["DefaultCacheBehavior"].(map[string]any)["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	aws.json("update-distribution", "--id", distID, "--if-match", cur["ETag"].(string), "--distribution-config", aws.file("back.json", cfg))
	aws.run(false, "delete-cache-policy", "--id", cpID, "--if-match", cpETag)
	aws.wantError("NoSuchCachePolicy", "get-cache-policy", "--id", cpID)
}
