package e2e

import (
	"syscall"
	"testing"
	"time"
)

// Invalidation across processes: a control plane and three edges with disk
// caches. An invalidation is Completed once every live edge has applied it
// (a stopped edge does not hold it back), matching objects are fetched
// afresh everywhere, others stay hits, and an edge that was down replays
// the invalidation it missed before serving the invalidated path.
func TestInvalidate_AcrossEdges(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ctl := startControl(t)
	api := ctl.asPharos()
	data := map[string]string{"e1": t.TempDir(), "e2": t.TempDir(), "e3": t.TempDir()}
	edgeArgs := func(id string) []string {
		return []string{"edge", "--nats", ctl.Engine, "--id", id, "--pop", "p", "--http", "127.0.0.1:0",
			"--data", data[id], "--cache-disk", "64MiB", "--shutdown-grace", "5s"}
	}
	startDiskEdge := func(id string) (*proc, string) {
		p := start(t, "pharos", edgeArgs(id)...)
		return p, p.waitLine(edgeURLRe, 30*time.Second)[1]
	}
	_, e1 := startDiskEdge("e1")
	p2, e2 := startDiskEdge("e2")
	_, e3 := startDiskEdge("e3")

	spec := distSpec{Alias: "inval.example", Origin: origin, DefaultTTL: 3600, MaxTTL: 3600}.json(t)
	var d struct{ ID string }
	api.api(t, "POST", "/v1/distributions", spec, &d)
	eventually(t, 10*time.Second, "every edge serving the distribution", func() bool {
		return get(t, "GET", e1+"/warm", "Host: inval.example").Status == 200 &&
			get(t, "GET", e2+"/warm", "Host: inval.example").Status == 200 &&
			get(t, "GET", e3+"/warm", "Host: inval.example").Status == 200
	})
	paths := []string{"/img/a.png", "/img/b.png", "/css/site.css", "/tagged?hdr=Surrogate-Key:sale%20shoes"}
	for _, e := range []string{e1, e2, e3} {
		for _, p := range paths {
			get(t, "GET", e+p, "Host: inval.example")
			expect(t, "cached "+p, get(t, "GET", e+p, "Host: inval.example").xcache(), hit)
		}
	}

	// e2 goes away; an invalidation completes without it.
	p2.stop(syscall.SIGTERM)
	var inv struct{ ID, Status string }
	api.api(t, "POST", "/v1/distributions/"+d.ID+"/invalidations", map[string]any{"paths": []string{"/img/*"}}, &inv)
	if inv.ID == "" {
		t.Fatal("no invalidation created")
	}
	eventually(t, 15*time.Second, "the invalidation Completed without the stopped edge", func() bool {
		var got struct{ Status string }
		api.api(t, "GET", "/v1/distributions/"+d.ID+"/invalidations/"+inv.ID, nil, &got)
		return got.Status == "Completed"
	})
	for _, e := range []string{e1, e3} {
		expect(t, "/img/a.png after invalidation", get(t, "GET", e+"/img/a.png", "Host: inval.example").xcache(), miss)
		expect(t, "/css/site.css untouched", get(t, "GET", e+"/css/site.css", "Host: inval.example").xcache(), hit)
	}

	// A purge by tag reaches every running edge too.
	var tagInv struct{ ID string }
	api.api(t, "POST", "/v1/distributions/"+d.ID+"/invalidations", map[string]any{"tags": []string{"shoes"}}, &tagInv)
	eventually(t, 15*time.Second, "the tag purge Completed", func() bool {
		var got struct{ Status string }
		api.api(t, "GET", "/v1/distributions/"+d.ID+"/invalidations/"+tagInv.ID, nil, &got)
		return got.Status == "Completed"
	})
	for _, e := range []string{e1, e3} {
		expect(t, "tagged object after the purge", get(t, "GET", e+"/tagged?hdr=Surrogate-Key:sale%20shoes", "Host: inval.example").xcache(), miss)
		expect(t, "/css/site.css after the purge", get(t, "GET", e+"/css/site.css", "Host: inval.example").xcache(), hit)
	}

	// e2 comes back with its disk cache and replays what it missed.
	_, e2 = startDiskEdge("e2")
	eventually(t, 15*time.Second, "the returning edge caught up", func() bool {
		var l struct {
			Items []struct {
				ID           string
				Invalidation uint64
				Healthy      bool
			}
		}
		api.api(t, "GET", "/v1/edges", nil, &l)
		for _, e := range l.Items {
			if e.ID == "e2" && e.Healthy && e.Invalidation > 0 {
				return true
			}
		}
		return false
	})
	expect(t, "e2 /img/b.png after replay", get(t, "GET", e2+"/img/b.png", "Host: inval.example").xcache(), miss)
	expect(t, "e2 tagged object after replay", get(t, "GET", e2+"/tagged?hdr=Surrogate-Key:sale%20shoes", "Host: inval.example").xcache(), miss)
	expect(t, "e2 /css/site.css kept on disk", get(t, "GET", e2+"/css/site.css", "Host: inval.example").xcache(), hit)
}
