package control

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

type apiClient struct {
	t   *testing.T
	url string
}

// call sends a JSON request with the Bearer secret and decodes the answer
// into out (when given); it returns the status and the ETag.
func (c apiClient) call(method, path, ifMatch string, body, out any) (int, string) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	req.Header.Set("Authorization", "Bearer s3cret")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header.Get("ETag")
}

func TestNativeResourceEndpoints(t *testing.T) {
	s, _ := startService(t)
	srv := httptest.NewServer(NewAPI(s, Credentials{AccessKeyID: "AK", SecretAccessKey: "s3cret"},
		slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(srv.Close)
	c := apiClient{t, srv.URL}

	var pk struct {
		model.PublicKey
		ETag string `json:"etag"`
	}
	status, etag := c.call("POST", "/v1/public-keys", "", model.PublicKey{CallerReference: "r", Name: "k", EncodedKey: newPEM(t)}, &pk)
	if status != http.StatusCreated || !model.ValidID(pk.ID, 'K') || pk.ETag != etag || etag == "" {
		t.Fatalf("create public key: %d %+v etag %q", status, pk, etag)
	}
	var kg struct{ model.KeyGroup }
	if status, _ := c.call("POST", "/v1/key-groups", "", model.KeyGroup{Name: "g", Items: []string{pk.ID}}, &kg); status != http.StatusCreated {
		t.Fatalf("create key group: %d", status)
	}
	var errBody struct{ Error apiError }
	if status, _ := c.call("DELETE", "/v1/public-keys/"+pk.ID, "", nil, &errBody); status != http.StatusConflict || errBody.Error.Code != "PublicKeyInUse" {
		t.Fatalf("delete a key in a group: %d %+v", status, errBody)
	}
	if status, _ := c.call("PUT", "/v1/key-groups/"+kg.ID, "E99999", model.KeyGroup{Name: "g", Items: []string{pk.ID}}, nil); status != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %d", status)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	c.call("GET", "/v1/cache-policies?type=managed", "", nil, &list)
	if len(list.Items) != 3 || list.Items[0]["type"] != "managed" {
		t.Fatalf("managed cache policies: %+v", list.Items)
	}
	var cp struct{ model.CachePolicy }
	if status, _ := c.call("POST", "/v1/cache-policies", "", map[string]any{"name": "p", "minTTL": 0, "defaultTTL": 5, "maxTTL": 10}, &cp); status != http.StatusCreated {
		t.Fatalf("create cache policy: %d", status)
	}

	// A distribution naming the policy and the key group by id gets both resolved.
	var d struct{ model.Distribution }
	status, _ = c.call("POST", "/v1/distributions", "", map[string]any{"enabled": true,
		"origins":         []any{map[string]any{"id": "o", "domainName": "origin.test"}},
		"defaultBehavior": map[string]any{"targetOriginId": "o", "cachePolicyId": cp.ID, "trustedKeyGroups": []string{kg.ID}}}, &d)
	b := d.DefaultBehavior
	if status != http.StatusCreated || b.CachePolicy == nil || b.CachePolicy.DefaultTTL != 5 || len(b.TrustedKeys) != 1 || b.TrustedKeys[0].ID != pk.ID {
		t.Fatalf("create distribution: %d %+v", status, b)
	}
	status, _ = c.call("POST", "/v1/distributions", "", map[string]any{"enabled": true,
		"origins":         []any{map[string]any{"id": "o", "domainName": "origin.test"}},
		"defaultBehavior": map[string]any{"targetOriginId": "o", "responseHeadersPolicyId": "nope"}}, &errBody)
	if status != http.StatusBadRequest || errBody.Error.Field != "defaultBehavior.responseHeadersPolicyId" {
		t.Fatalf("unknown policy id: %d %+v", status, errBody)
	}

	arn := DistributionARN("000000000000", d.ID)
	if status, _ := c.call("POST", "/v1/tags?resource="+arn, "", map[string]any{"tags": []model.Tag{{Key: "a", Value: "1"}}}, nil); status != http.StatusNoContent {
		t.Fatalf("tag: %d", status)
	}
	var tags struct{ Tags []model.Tag }
	c.call("GET", "/v1/tags?resource="+arn, "", nil, &tags)
	if len(tags.Tags) != 1 || tags.Tags[0].Key != "a" {
		t.Fatalf("tags: %+v", tags)
	}
}
