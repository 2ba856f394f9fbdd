package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/pharos-cdn/pharos/internal/security/geo/geotest"
)

// Custom error pages (CustomErrorResponses with ResponsePagePath and
// ResponseCode): an origin 404, an edge-made geo 403 and an origin 502 are
// each answered with the distribution's page for that status, fetched
// through the cache, with the configured status; statuses without a page
// and pages that exist keep their own answers.
func TestCustomErrorPages(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "countries.mmdb")
	if err := geotest.Write(db, true, []geotest.Entry{{CIDR: "127.0.0.2/32", Country: "DE"}}); err != nil {
		t.Fatal(err)
	}
	origin := startOrigin(t)
	ph := startPharos(t, "--geoip", db)
	d := distSpec{Alias: "pages.example", Origin: origin, MinTTL: 30, DefaultTTL: 60, MaxTTL: 60}.json(t)
	d["customErrorResponses"] = []any{
		map[string]any{"errorCode": 404, "responsePagePath": "/_origin/echo/errors/404.html", "responseCode": "404"},
		map[string]any{"errorCode": 403, "responsePagePath": "/_origin/echo/errors/403.html", "responseCode": "403"},
		map[string]any{"errorCode": 502, "responsePagePath": "/_origin/echo/errors/5xx.html", "responseCode": "503"},
	}
	d["geoRestriction"] = map[string]any{"type": "blacklist", "locations": []string{"DE"}}
	if r := ph.api(t, "POST", "/v1/distributions", d, nil); r.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(r.Body)
		t.Fatalf("create: %d %s", r.StatusCode, b)
	}
	eventually(t, 10*time.Second, "the edge to serve pages.example", func() bool {
		return get(t, "GET", ph.Edge+"/_origin/health", "Host: pages.example").Status == http.StatusOK
	})
	host := "Host: pages.example"
	pageURI := func(r reply) string {
		t.Helper()
		var e echoed
		if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
			t.Fatalf("not the echo page: %v: %q", err, r.Body)
		}
		return e.URI
	}

	// An origin 404: the 404 page, status 404, twice (the second time the
	// error and the page both come from the cache: MinTTL 30 keeps even
	// the echo page, which says no-store).
	for i := 0; i < 2; i++ {
		r := get(t, "GET", ph.Edge+"/missing?status=404", host)
		expect(t, "status of a 404 with a page", r.Status, http.StatusNotFound)
		expect(t, "the page served for a 404", pageURI(r), "/_origin/echo/errors/404.html")
	}
	expect(t, "origin fetches of the 404", originCount(t, origin, "/missing?status=404"), 1)
	expect(t, "origin fetches of the 404 page", originCount(t, origin, "/_origin/echo/errors/404.html"), 1)

	// An edge-made 403 (geo restriction): the viewer in DE gets the 403
	// page, fetched despite the restriction; others are served.
	blocked := getFrom(t, "127.0.0.2", "GET", ph.Edge+"/hello", "pages.example")
	expect(t, "status for a blocked viewer", blocked.Status, http.StatusForbidden)
	expect(t, "the page a blocked viewer gets", pageURI(blocked), "/_origin/echo/errors/403.html")
	expect(t, "a viewer elsewhere", getFrom(t, "127.0.0.3", "GET", ph.Edge+"/hello", "pages.example").Status, http.StatusOK)

	// An origin 502 answered with the 5xx page under ResponseCode 503.
	r := get(t, "GET", ph.Edge+"/broken?status=502", host)
	expect(t, "ResponseCode replaces the status", r.Status, http.StatusServiceUnavailable)
	expect(t, "the 5xx page", pageURI(r), "/_origin/echo/errors/5xx.html")

	// A status without a page keeps the origin's own answer.
	r = get(t, "GET", ph.Edge+"/gone?status=410&body=origin-gone", host)
	expect(t, "a 410 has no page", r.Status, http.StatusGone)
	expect(t, "its body is the origin's", r.Body, "origin-gone")
	// HEAD gets the page's status and no body.
	r = get(t, "HEAD", ph.Edge+"/missing?status=404", host)
	expect(t, "HEAD status", r.Status, http.StatusNotFound)
	expect(t, "HEAD body", r.Body, "")
}
