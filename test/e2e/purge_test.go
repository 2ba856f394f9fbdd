package e2e

import (
	"testing"
	"time"
)

// Purge by tag: objects tagged by the origin's Surrogate-Key or Cache-Tag
// (space or comma separated) are removed everywhere; a soft purge marks
// them stale instead, so the next request revalidates (RefreshHit on a
// 304) rather than refetching; "#tag" paths are tags, as in CloudFront.
func TestPurge_ByTag(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	var dists distList
	ph.api(t, "GET", "/v1/distributions", nil, &dists)
	if len(dists.Items) != 1 {
		t.Fatalf("want the quick-start distribution, got %d", len(dists.Items))
	}
	id := dists.Items[0].ID
	red := "/t/red?hdr=Surrogate-Key:red%20blue&etag=%22r%22"
	green := "/t/green?hdr=Cache-Tag:blue,green&etag=%22g%22"
	plain := "/t/plain?hdr=Surrogate-Key:yellow&etag=%22y%22"
	for _, u := range []string{red, green, plain} {
		get(t, "GET", ph.Edge+u)
		expect(t, "cached "+u, get(t, "GET", ph.Edge+u).xcache(), hit)
	}
	purge := func(body map[string]any) {
		t.Helper()
		var inv struct{ ID, Status string }
		ph.api(t, "POST", "/v1/distributions/"+id+"/invalidations", body, &inv)
		eventually(t, 10*time.Second, "purge completed", func() bool {
			var got struct{ Status string }
			ph.api(t, "GET", "/v1/distributions/"+id+"/invalidations/"+inv.ID, nil, &got)
			return got.Status == "Completed"
		})
	}
	purge(map[string]any{"tags": []string{"blue"}})
	expect(t, "Surrogate-Key blue after purge", get(t, "GET", ph.Edge+red).xcache(), miss)
	expect(t, "Cache-Tag blue after purge", get(t, "GET", ph.Edge+green).xcache(), miss)
	expect(t, "untagged object after purge", get(t, "GET", ph.Edge+plain).xcache(), hit)
	before := originCount(t, origin, plain)

	purge(map[string]any{"paths": []string{"#yellow"}, "soft": true})
	r := get(t, "GET", ph.Edge+plain)
	expect(t, "soft-purged object", r.xcache(), "RefreshHit from pharos")
	expect(t, "origin requests for the soft-purged object (one revalidation)", originCount(t, origin, plain), before+1)
	expect(t, "soft-purged object afterwards", get(t, "GET", ph.Edge+plain).xcache(), hit)
}
