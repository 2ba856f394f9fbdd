package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// cfKeys is the key pair the CloudFront-compatible tests give pharos. It is
// written as the data directory's credentials file before pharos starts
// (the harness clears PHAROS_ACCESS_KEY_ID / PHAROS_SECRET_ACCESS_KEY), so
// the AWS tools are configured with a pair known in advance.
var cfKeys = struct{ ID, Secret string }{"PHKE2ECLOUDFRONT001", "e2e/cloudfront+secret0123456789abcdefghij"}

// startPharosCF runs `pharos up` with cfKeys.
func startPharosCF(t *testing.T) *pharos {
	t.Helper()
	data := t.TempDir()
	b, _ := json.Marshal(map[string]string{"accessKeyId": cfKeys.ID, "secretAccessKey": cfKeys.Secret})
	if err := os.WriteFile(filepath.Join(data, "credentials.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	// A loopback port of its own for HTTPS too: the default :8443 is shared
	// with every other pharos a parallel test starts.
	return startPharos(t, "--data", data, "--https", "127.0.0.1:0")
}

// awsCLI runs the Debian AWS CLI (always /usr/bin/aws: an older one may
// come first on PATH) against ph with a fresh HOME, so no user
// configuration leaks in. It returns stdout, or stderr when wantErr.
type awsCLI struct {
	t      *testing.T
	ph     *pharos
	home   string
	secret string
}

func newAWSCLI(t *testing.T, ph *pharos) *awsCLI {
	return &awsCLI{t: t, ph: ph, home: t.TempDir(), secret: cfKeys.Secret}
}

func (a *awsCLI) run(wantErr bool, args ...string) string {
	a.t.Helper()
	args = append([]string{"cloudfront"}, args...)
	args = append(args, "--endpoint-url", a.ph.API, "--output", "json", "--no-cli-pager")
	cmd := exec.Command("/usr/bin/aws", args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "HOME="+a.home, "AWS_ACCESS_KEY_ID="+cfKeys.ID, "AWS_SECRET_ACCESS_KEY="+a.secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
		"AWS_CONFIG_FILE="+filepath.Join(a.home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(a.home, "credentials"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if (err != nil) != wantErr {
		a.t.Fatalf("aws %s: err %v (want error: %v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, wantErr, stdout.String(), stderr.String())
	}
	if wantErr {
		return stderr.String()
	}
	return stdout.String()
}

// json runs the CLI and decodes its JSON output.
func (a *awsCLI) json(args ...string) map[string]any {
	a.t.Helper()
	out := a.run(false, args...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		a.t.Fatalf("aws %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return m
}

// file writes v as JSON to a file the CLI reads with file://.
func (a *awsCLI) file(name string, v any) string {
	a.t.Helper()
	b, _ := json.Marshal(v)
	p := filepath.Join(a.home, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		a.t.Fatal(err)
	}
	return "file://" + p
}

// jsonAt follows a path of keys (and list indexes) through decoded JSON.
func jsonAt(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// cliConfig is a DistributionConfig as the CLI's --distribution-config
// takes it: one custom origin (the test origin), one alias.
func cliConfig(t *testing.T, ref, alias, origin string) map[string]any {
	return map[string]any{
		"CallerReference": ref,
		"Aliases":         map[string]any{"Quantity": 1, "Items": []string{alias}},
		"Origins": map[string]any{"Quantity": 1, "Items": []any{map[string]any{
			"Id": "origin", "DomainName": "127.0.0.1",
			"CustomOriginConfig": map[string]any{"HTTPPort": originPort(t, origin), "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"},
		}}},
		"DefaultCacheBehavior": map[string]any{"TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all",
			"CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
		"Comment": "created by the aws cli",
		"Enabled": true,
	}
}

var domainRe = regexp.MustCompile(`^d[a-z0-9]{13}\.pharos\.test$`)

// The AWS CLI drives Pharos through --endpoint-url: the distribution and
// invalidation workflow end to end, the waiters, the native CLI seeing the
// same distributions, and CloudFront's error codes.
func TestCloudFrontCLI(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharosCF(t)
	aws := newAWSCLI(t, ph)

	// Create: 201 with Location and ETag; the answer already says
	// Deployed once the local edge has applied it (the waiter's first
	// poll then succeeds instead of sleeping 60 s).
	created := aws.json("create-distribution", "--distribution-config", aws.file("create.json", cliConfig(t, "cli-1", "cli.example.test", origin)))
	id, _ := jsonAt(created, "Distribution", "Id").(string)
	if !regexp.MustCompile(`^E[A-Z0-9]{13}$`).MatchString(id) {
		t.Fatalf("distribution id %q: %v", id, created)
	}
	expect(t, "Location", created["Location"], ph.API+"/2020-05-31/distribution/"+id)
	expect(t, "create Status", jsonAt(created, "Distribution", "Status"), "Deployed")
	expect(t, "ARN", jsonAt(created, "Distribution", "ARN"), "arn:aws:cloudfront::000000000000:distribution/"+id)
	if d, _ := jsonAt(created, "Distribution", "DomainName").(string); !domainRe.MatchString(d) {
		t.Errorf("DomainName %q", d)
	}
	if created["ETag"] == nil || created["ETag"] == "" {
		t.Error("create returned no ETag")
	}
	// The same CallerReference and configuration is the same distribution.
	again := aws.json("create-distribution", "--distribution-config", aws.file("create.json", cliConfig(t, "cli-1", "cli.example.test", origin)))
	expect(t, "idempotent create id", jsonAt(again, "Distribution", "Id"), id)
	msg := aws.run(true, "create-distribution", "--distribution-config", aws.file("other.json", cliConfig(t, "cli-1", "other.example.test", origin)))
	if !strings.Contains(msg, "DistributionAlreadyExists") {
		t.Errorf("reused CallerReference with another config: %s", msg)
	}

	// The edge serves it: the alias reaches the test origin.
	eventually(t, 10*time.Second, "the edge to serve cli.example.test", func() bool {
		return get(t, "GET", ph.Edge+"/_origin/health", "Host: cli.example.test").Status == http.StatusOK
	})
	echo := decodeEcho(t, get(t, "GET", ph.Edge+"/_origin/echo?from=aws-cli", "Host: cli.example.test"))
	// CachingOptimized keys on no query string, so none reaches the origin
	// (CloudFront's rule).
	expect(t, "origin saw", echo.URI, "/_origin/echo")

	// The native CLI sees it, with --wait as the fast path to Deployed.
	native := runCLI(t, ph, false, "dist", "get", id, "--wait", "-o", "json")
	if !strings.Contains(native, "cli.example.test") || !strings.Contains(native, `"callerReference": "cli-1"`) {
		t.Errorf("pharos dist get does not show the aws-created distribution:\n%s", native)
	}

	// get-distribution-config, edit, update-distribution --if-match: the
	// document the CLI got is accepted back.
	cfg := aws.json("get-distribution-config", "--id", id)
	etag := cfg["ETag"].(string)
	dc := cfg["DistributionConfig"].(map[string]any)
	dc["Comment"] = "updated by the aws cli"
	dc["Aliases"] = map[string]any{"Quantity": 2, "Items": []string{"cli.example.test", "cli2.example.test"}}
	updated := aws.json("update-distribution", "--id", id, "--if-match", etag, "--distribution-config", aws.file("update.json", dc))
	newTag, _ := updated["ETag"].(string)
	if newTag == "" || newTag == etag {
		t.Errorf("update ETag %q (was %q)", newTag, etag)
	}
	expect(t, "updated comment", jsonAt(updated, "Distribution", "DistributionConfig", "Comment"), "updated by the aws cli")
	// Wrong If-Match: PreconditionFailed, nothing changed.
	dc["Comment"] = "stale"
	if msg := aws.run(true, "update-distribution", "--id", id, "--if-match", etag, "--distribution-config", aws.file("stale.json", dc)); !strings.Contains(msg, "PreconditionFailed") {
		t.Errorf("stale If-Match: %s", msg)
	}
	got := aws.json("get-distribution", "--id", id)
	expect(t, "comment after a stale update", jsonAt(got, "Distribution", "DistributionConfig", "Comment"), "updated by the aws cli")
	expect(t, "ETag after a stale update", got["ETag"], newTag)
	expect(t, "status the waiter's first poll sees", jsonAt(got, "Distribution", "Status"), "Deployed")
	aws.run(false, "wait", "distribution-deployed", "--id", id)
	eventually(t, 10*time.Second, "the new alias to be served", func() bool {
		return get(t, "GET", ph.Edge+"/_origin/health", "Host: cli2.example.test").Status == http.StatusOK
	})

	// Invalidations: paths, a wildcard and a tag; CallerReference
	// idempotency; the waiter; get and list.
	inv := aws.json("create-invalidation", "--distribution-id", id, "--invalidation-batch",
		aws.file("inv.json", map[string]any{"CallerReference": "inv-1", "Paths": map[string]any{"Quantity": 3, "Items": []string{"/_origin/echo", "/img/*", "#product"}}}))
	invID, _ := jsonAt(inv, "Invalidation", "Id").(string)
	if !regexp.MustCompile(`^I[A-Z0-9]{13}$`).MatchString(invID) {
		t.Fatalf("invalidation id %q: %v", invID, inv)
	}
	expect(t, "invalidation Location", inv["Location"], ph.API+"/2020-05-31/distribution/"+id+"/invalidation/"+invID)
	again = aws.json("create-invalidation", "--distribution-id", id, "--invalidation-batch",
		aws.file("inv.json", map[string]any{"CallerReference": "inv-1", "Paths": map[string]any{"Quantity": 3, "Items": []string{"/_origin/echo", "/img/*", "#product"}}}))
	expect(t, "idempotent invalidation", jsonAt(again, "Invalidation", "Id"), invID)
	aws.run(false, "wait", "invalidation-completed", "--distribution-id", id, "--id", invID)
	gi := aws.json("get-invalidation", "--distribution-id", id, "--id", invID)
	expect(t, "invalidation status", jsonAt(gi, "Invalidation", "Status"), "Completed")
	expect(t, "invalidation paths", jsonAt(gi, "Invalidation", "InvalidationBatch", "Paths", "Quantity"), 3)
	li := aws.json("list-invalidations", "--distribution-id", id)
	expect(t, "listed invalidation", jsonAt(li, "InvalidationList", "Items", 0, "Id"), invID)

	// A distribution made with the native CLI is visible and editable
	// through the AWS CLI.
	var nd struct{ ID string }
	json.Unmarshal([]byte(runCLI(t, ph, false, "dist", "create", "--origin", origin, "--alias", "native.example.test", "--wait", "-o", "json")), &nd)
	list := aws.json("list-distributions")
	var ids []string
	for i := 0; jsonAt(list, "DistributionList", "Items", i) != nil; i++ {
		ids = append(ids, fmt.Sprint(jsonAt(list, "DistributionList", "Items", i, "Id")))
	}
	if !strings.Contains(strings.Join(ids, ","), id) || !strings.Contains(strings.Join(ids, ","), nd.ID) {
		t.Errorf("list-distributions shows %v, want %s and %s", ids, id, nd.ID)
	}
	ncfg := aws.json("get-distribution-config", "--id", nd.ID)
	ndc := ncfg["DistributionConfig"].(map[string]any)
	ndc["Comment"] = "edited through the aws cli"
	aws.json("update-distribution", "--id", nd.ID, "--if-match", ncfg["ETag"].(string), "--distribution-config", aws.file("native.json", ndc))
	if out := runCLI(t, ph, false, "dist", "get", nd.ID, "-o", "json"); !strings.Contains(out, "edited through the aws cli") {
		t.Errorf("pharos dist get after an aws update:\n%s", out)
	}
	eventually(t, 10*time.Second, "the native distribution to keep serving", func() bool {
		return get(t, "GET", ph.Edge+"/_origin/health", "Host: native.example.test").Status == http.StatusOK
	})

	// Managed cache policies under CloudFront's ids.
	if out := aws.run(false, "list-cache-policies", "--type", "managed"); !strings.Contains(out, "658327ea-f89d-4fab-a63d-7e88639e58f6") {
		t.Errorf("list-cache-policies --type managed:\n%s", out)
	}

	// Errors.
	if msg := aws.run(true, "get-distribution", "--id", "E0000000000000"); !strings.Contains(msg, "NoSuchDistribution") {
		t.Errorf("missing distribution: %s", msg)
	}
	bad := cliConfig(t, "cli-bad", "bad.example.test", origin)
	bad["Aliases"] = map[string]any{"Quantity": 2, "Items": []string{"bad.example.test"}}
	if msg := aws.run(true, "create-distribution", "--distribution-config", aws.file("bad.json", bad)); !strings.Contains(msg, "InconsistentQuantities") {
		t.Errorf("inconsistent quantities: %s", msg)
	}
	logging := cliConfig(t, "cli-logging", "log.example.test", origin)
	logging["Logging"] = map[string]any{"Enabled": true, "IncludeCookies": false, "Bucket": "logs.s3.amazonaws.com", "Prefix": "cf/"}
	if msg := aws.run(true, "create-distribution", "--distribution-config", aws.file("logging.json", logging)); !strings.Contains(msg, "InvalidArgument") ||
		!strings.Contains(msg, "DistributionConfig.Logging.Enabled: not supported by Pharos") {
		t.Errorf("unsupported Logging: %s", msg)
	}
	wrong := newAWSCLI(t, ph)
	wrong.secret = "not-the-secret"
	if msg := wrong.run(true, "list-distributions"); !strings.Contains(msg, "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: %s", msg)
	}
	status, body := signedRaw(t, ph, cfKeys.Secret, "POST", "/2020-05-31/distribution", "<DistributionConfig><CallerReference>x</Call")
	var envelope struct {
		Error struct{ Type, Code, Message string }
	}
	xml.Unmarshal(body, &envelope)
	if status != http.StatusBadRequest || envelope.Error.Code != "MalformedInput" || envelope.Error.Type != "Sender" {
		t.Errorf("malformed XML: %d %s", status, body)
	}
	// The native API accepts the same signature (and refuses a bad one).
	if status, body := signedRaw(t, ph, cfKeys.Secret, "GET", "/v1/distributions", ""); status != http.StatusOK || !strings.Contains(string(body), id) {
		t.Errorf("native API with SigV4: %d %s", status, body)
	}
	if status, body := signedRaw(t, ph, "wrong", "GET", "/v1/distributions", ""); status != http.StatusUnauthorized {
		t.Errorf("native API with a wrong SigV4: %d %s", status, body)
	}
	if n := len(aws.json("list-distributions")["DistributionList"].(map[string]any)["Items"].([]any)); n != 2 {
		t.Errorf("refused requests created distributions: %d listed", n)
	}

	// The CLI's own shorthand builds a legacy DistributionConfig
	// (ForwardedValues, TrustedSigners, MinTTL) that Pharos accepts.
	short := aws.json("create-distribution", "--origin-domain-name", "origin.example.test")
	expect(t, "shorthand origin", jsonAt(short, "Distribution", "DistributionConfig", "Origins", "Items", 0, "DomainName"), "origin.example.test")

	// Delete: refused while enabled, accepted once disabled and deployed.
	cfg = aws.json("get-distribution-config", "--id", id)
	if msg := aws.run(true, "delete-distribution", "--id", id, "--if-match", cfg["ETag"].(string)); !strings.Contains(msg, "DistributionNotDisabled") {
		t.Errorf("delete while enabled: %s", msg)
	}
	dc = cfg["DistributionConfig"].(map[string]any)
	dc["Enabled"] = false
	disabled := aws.json("update-distribution", "--id", id, "--if-match", cfg["ETag"].(string), "--distribution-config", aws.file("disable.json", dc))
	aws.run(false, "wait", "distribution-deployed", "--id", id)
	aws.run(false, "delete-distribution", "--id", id, "--if-match", disabled["ETag"].(string))
	if msg := aws.run(true, "get-distribution", "--id", id); !strings.Contains(msg, "NoSuchDistribution") {
		t.Errorf("get after delete: %s", msg)
	}
	if msg := runCLI(t, ph, true, "dist", "get", id); !strings.Contains(msg, "NoSuchDistribution") {
		t.Errorf("pharos dist get after delete: %s", msg)
	}
}

// signedRaw sends a request signed with SigV4 the way the SDK signs (with
// a body the SDK would never produce, or to the native API), and returns
// the status and body.
func signedRaw(t *testing.T, ph *pharos, secret, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ph.API+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: cfKeys.ID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cloudfront", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(path, "/2020-05-31/") && (resp.Header.Get("x-amzn-RequestId") == "" || !bytes.Contains(b, []byte("<RequestId>"))) {
		t.Errorf("%s %s: no request id: %v %s", method, path, resp.Header, b)
	}
	return resp.StatusCode, b
}
