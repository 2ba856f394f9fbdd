package cfapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/control"
)

// testAPI is the API over an in-process engine, with the edges' progress
// set by the test.
type testAPI struct {
	t       *testing.T
	url     string
	applied atomic.Uint64 // configuration revision the "edges" applied
	invSeq  atomic.Uint64 // invalidation sequence they applied
}

var testCreds = control.Credentials{AccessKeyID: "PHKUNITTEST", SecretAccessKey: "unit-secret"}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := bus.Start(ctx, bus.Options{DataDir: t.TempDir(), Name: "cfapi-test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ta := &testAPI{t: t}
	svc := control.NewService(b.Config(), "pharos.test")
	inv := control.NewInvalidations(svc, b)
	inv.Applied = func() (uint64, bool) { return ta.invSeq.Load(), true }
	s := New(svc, inv, testCreds, slog.New(slog.DiscardHandler))
	s.Applied = ta.applied.Load
	s.deployWait = 50 * time.Millisecond
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	ta.url = hs.URL
	return ta
}

type answer struct {
	status int
	header http.Header
	body   string
}

// errCode is the Code of an ErrorResponse body ("" for none).
func (a answer) errCode() string {
	var e errorResponse
	if xml.Unmarshal([]byte(a.body), &e) != nil {
		return ""
	}
	return e.Error.Code
}

// do sends a request signed as the SDK signs (sign false: unsigned); hdr
// is name, value pairs.
func (ta *testAPI) do(sign bool, method, path, body string, hdr ...string) answer {
	ta.t.Helper()
	req, _ := http.NewRequest(method, ta.url+Prefix+path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if sign {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: testCreds.AccessKeyID, SecretAccessKey: testCreds.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cloudfront", "eu-west-3", time.Now()); err != nil {
			ta.t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ta.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func minimalConfig(ref, alias string) string {
	return `<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>` + ref + `</CallerReference>
<Aliases><Quantity>1</Quantity><Items><CNAME>` + alias + `</CNAME></Items></Aliases>
<Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>127.0.0.1</DomainName>
<CustomOriginConfig><HTTPPort>8081</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin></Items></Origins>
<DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy></DefaultCacheBehavior>
<Comment>unit</Comment><Enabled>true</Enabled></DistributionConfig>`
}

func (ta *testAPI) create(ref, alias string) distributionXML {
	ta.t.Helper()
	a := ta.do(true, "POST", "/distribution", minimalConfig(ref, alias))
	if a.status != http.StatusCreated {
		ta.t.Fatalf("create: %d %s", a.status, a.body)
	}
	var d distributionXML
	if err := xml.Unmarshal([]byte(a.body), &d); err != nil {
		ta.t.Fatal(err)
	}
	return d
}

func TestAuthenticationAndEnvelope(t *testing.T) {
	ta := newTestAPI(t)
	a := ta.do(false, "POST", "/distribution", minimalConfig("r", "a.example"))
	var e errorResponse
	if err := xml.Unmarshal([]byte(a.body), &e); err != nil {
		t.Fatalf("%v: %s", err, a.body)
	}
	if a.status != 403 || e.Error.Code != "MissingAuthenticationToken" || e.Error.Type != "Sender" || e.Xmlns != Namespace {
		t.Errorf("unsigned: %d %s", a.status, a.body)
	}
	if id := a.header.Get("x-amzn-RequestId"); id == "" || id != e.RequestID {
		t.Errorf("request id header %q, body %q", id, e.RequestID)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type %q", ct)
	}
	if l := ta.do(true, "GET", "/distribution", ""); strings.Contains(l.body, "<DistributionSummary>") {
		t.Errorf("an unsigned create stored a distribution: %s", l.body)
	}
	if a := ta.do(true, "GET", "/streaming-distribution", ""); a.status != 404 || a.errCode() != "InvalidURI" {
		t.Errorf("unknown operation: %d %s", a.status, a.body)
	}
	if a := ta.do(true, "GET", "/distribution/E*", ""); a.status != 404 || a.errCode() != "NoSuchDistribution" {
		t.Errorf("a malformed id: %d %s", a.status, a.body)
	}
}

// Status follows what the edges applied: InProgress until they reach the
// distribution's revision, then Deployed.
func TestStatusFollowsEdges(t *testing.T) {
	ta := newTestAPI(t)
	d := ta.create("s1", "s1.example")
	if d.Status != "InProgress" {
		t.Errorf("create with edges behind: %s", d.Status)
	}
	ta.applied.Store(1 << 40)
	a := ta.do(true, "GET", "/distribution/"+d.Id, "")
	if !strings.Contains(a.body, "<Status>Deployed</Status>") || a.header.Get("ETag") == "" {
		t.Errorf("after the edges applied: %s %v", a.body, a.header)
	}
	if d2 := ta.create("s2", "s2.example"); d2.Status != "Deployed" {
		t.Errorf("create with edges caught up: %s", d2.Status)
	}
}

func TestIfMatchAndDelete(t *testing.T) {
	ta := newTestAPI(t)
	ta.applied.Store(1 << 40)
	d := ta.create("m1", "m1.example")
	cfg := ta.do(true, "GET", "/distribution/"+d.Id+"/config", "")
	etag := cfg.header.Get("ETag")
	if a := ta.do(true, "PUT", "/distribution/"+d.Id+"/config", cfg.body); a.status != 400 || a.errCode() != "InvalidIfMatchVersion" {
		t.Errorf("update without If-Match: %d %s", a.status, a.body)
	}
	if a := ta.do(true, "PUT", "/distribution/"+d.Id+"/config", strings.Replace(cfg.body, "<CallerReference>m1<", "<CallerReference>m2<", 1), "If-Match", etag); a.errCode() != "IllegalUpdate" {
		t.Errorf("changing CallerReference: %d %s", a.status, a.body)
	}
	if a := ta.do(true, "DELETE", "/distribution/"+d.Id, "", "If-Match", "E999999"); a.status != 412 || a.errCode() != "PreconditionFailed" {
		t.Errorf("delete with a wrong If-Match: %d %s", a.status, a.body)
	}
	if a := ta.do(true, "DELETE", "/distribution/"+d.Id, "", "If-Match", etag); a.status != 409 || a.errCode() != "DistributionNotDisabled" {
		t.Errorf("delete while enabled: %d %s", a.status, a.body)
	}
	up := ta.do(true, "PUT", "/distribution/"+d.Id+"/config", strings.Replace(cfg.body, "<Enabled>true<", "<Enabled>false<", 1), "If-Match", etag)
	if up.status != 200 || up.header.Get("ETag") == etag {
		t.Fatalf("disable: %d %s", up.status, up.body)
	}
	if a := ta.do(true, "DELETE", "/distribution/"+d.Id, "", "If-Match", up.header.Get("ETag")); a.status != 204 {
		t.Errorf("delete when disabled: %d %s", a.status, a.body)
	}
	if a := ta.do(true, "GET", "/distribution/"+d.Id, ""); a.status != 404 || a.errCode() != "NoSuchDistribution" {
		t.Errorf("get after delete: %d %s", a.status, a.body)
	}
}

func TestListPagination(t *testing.T) {
	ta := newTestAPI(t)
	for _, n := range []string{"p1", "p2", "p3"} {
		ta.create(n, n+".example")
	}
	var first, rest distributionListXML
	xml.Unmarshal([]byte(ta.do(true, "GET", "/distribution?MaxItems=2", "").body), &first)
	if first.Quantity != 2 || !first.IsTruncated || first.NextMarker != first.Items[1].Id || first.MaxItems != 2 {
		t.Fatalf("first page: %+v", first)
	}
	xml.Unmarshal([]byte(ta.do(true, "GET", "/distribution?MaxItems=2&Marker="+first.NextMarker, "").body), &rest)
	if rest.Quantity != 1 || rest.IsTruncated || rest.NextMarker != "" || rest.Marker != first.NextMarker || rest.Items[0].Id <= first.Items[1].Id {
		t.Fatalf("second page: %+v", rest)
	}
	if a := ta.do(true, "GET", "/distribution?MaxItems=0", ""); a.errCode() != "InvalidArgument" {
		t.Errorf("MaxItems=0: %s", a.body)
	}
}

func TestInvalidationStatusAndIdempotency(t *testing.T) {
	ta := newTestAPI(t)
	ta.applied.Store(1 << 40)
	d := ta.create("i1", "i1.example")
	batch := `<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Paths><Quantity>2</Quantity><Items><Path>/a</Path><Path>#tag</Path></Items></Paths><CallerReference>c1</CallerReference></InvalidationBatch>`
	a := ta.do(true, "POST", "/distribution/"+d.Id+"/invalidation", batch)
	var inv invalidationXML
	xml.Unmarshal([]byte(a.body), &inv)
	if a.status != 201 || inv.Status != "InProgress" || !strings.HasSuffix(a.header.Get("Location"), "/invalidation/"+inv.Id) {
		t.Fatalf("create: %d %s %v", a.status, a.body, a.header)
	}
	if again := ta.do(true, "POST", "/distribution/"+d.Id+"/invalidation", batch); !strings.Contains(again.body, inv.Id) {
		t.Errorf("same CallerReference and paths: %s", again.body)
	}
	if other := ta.do(true, "POST", "/distribution/"+d.Id+"/invalidation", strings.Replace(batch, "/a<", "/b<", 1)); other.errCode() != "InvalidArgument" {
		t.Errorf("same CallerReference, other paths: %s", other.body)
	}
	if bad := ta.do(true, "POST", "/distribution/"+d.Id+"/invalidation", strings.Replace(batch, "<Quantity>2<", "<Quantity>3<", 1)); bad.errCode() != "InconsistentQuantities" {
		t.Errorf("inconsistent quantity: %s", bad.body)
	}
	ta.invSeq.Store(1 << 40)
	got := ta.do(true, "GET", "/distribution/"+d.Id+"/invalidation/"+inv.Id, "")
	if !strings.Contains(got.body, "<Status>Completed</Status>") || !strings.Contains(got.body, "<Path>#tag</Path>") {
		t.Errorf("after the edges applied it: %s", got.body)
	}
	if a := ta.do(true, "GET", "/distribution/E0000000000000/invalidation", ""); a.errCode() != "NoSuchDistribution" {
		t.Errorf("list for a missing distribution: %s", a.body)
	}
}
