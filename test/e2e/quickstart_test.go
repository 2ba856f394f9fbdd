package e2e

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The quick start: `pharos up --origin URL` prints where it listens and a
// curl line, and the edge then serves the origin with the CDN's headers.
func TestE2E_QuickStart_BannerAndFirstRequests(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t, "--origin", origin, "--id", "e2e-edge", "--pop", "e2e-pop")

	out := ph.Output()
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^\s+edge\s+` + regexp.QuoteMeta(ph.Edge) + `\s*$`),
		regexp.MustCompile(`(?m)^\s+api\s+` + regexp.QuoteMeta(ph.API) + `\s*$`),
		regexp.MustCompile(`(?m)^\s+dns\s+\S+`),
		regexp.MustCompile(`(?m)^\s+curl -i ` + regexp.QuoteMeta(ph.Edge) + `/\s*$`),
	} {
		if !re.MatchString(out) {
			t.Errorf("banner has no line matching %v:\n%s", re, out)
		}
	}

	// The curl line, as a user would run it.
	first := get(t, "GET", ph.Edge+"/")
	expect(t, "first status", first.Status, 200)
	expect(t, "first X-Cache", first.xcache(), "Miss from pharos")
	second := get(t, "GET", ph.Edge+"/")
	expect(t, "second status", second.Status, 200)
	expect(t, "second X-Cache", second.xcache(), "Hit from pharos")
	expect(t, "second body (the cached first one)", second.Body, first.Body)
	if age := second.Header.Get("Age"); age == "" {
		t.Errorf("a hit has no Age header")
	} else if n, err := strconv.Atoi(age); err != nil || n < 0 {
		t.Errorf("Age = %q, want a non-negative integer", age)
	}
	expect(t, "origin requests for /", originCount(t, origin, "/"), 1)

	ids := map[string]bool{}
	for i, r := range []reply{first, second, get(t, "GET", ph.Edge+"/"), get(t, "GET", ph.Edge+"/other")} {
		expect(t, "Via", strings.Join(r.Header.Values("Via"), ", "), "1.1 e2e-edge (pharos)")
		expect(t, "X-Pharos-Pop", r.Header.Get("X-Pharos-Pop"), "e2e-pop")
		id := r.Header.Get("X-Pharos-Request-Id")
		if id == "" {
			t.Errorf("response %d has no X-Pharos-Request-Id", i)
		}
		if ids[id] {
			t.Errorf("X-Pharos-Request-Id %q given to two requests", id)
		}
		ids[id] = true
	}
}

// The default cache key has the whole query string: ?a=1 and ?a=2 are two
// objects, each fetched once.
func TestE2E_QuickStart_QueryStringInKey(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t, "--origin", origin)

	a1 := get(t, "GET", ph.Edge+"/q?a=1")
	a2 := get(t, "GET", ph.Edge+"/q?a=2")
	expect(t, "?a=1 X-Cache", a1.xcache(), "Miss from pharos")
	expect(t, "?a=2 X-Cache", a2.xcache(), "Miss from pharos")
	expect(t, "?a=1 again X-Cache", get(t, "GET", ph.Edge+"/q?a=1").xcache(), "Hit from pharos")
	expect(t, "?a=2 again X-Cache", get(t, "GET", ph.Edge+"/q?a=2").xcache(), "Hit from pharos")
	expect(t, "origin requests for ?a=1", originCount(t, origin, "/q?a=1"), 1)
	expect(t, "origin requests for ?a=2", originCount(t, origin, "/q?a=2"), 1)
}

type distList struct {
	Items []struct {
		ID      string `json:"id"`
		Default bool   `json:"default"`
		Origins []struct {
			DomainName string `json:"domainName"`
			HTTPPort   int    `json:"httpPort"`
		} `json:"origins"`
	} `json:"items"`
}

// The quick-start distribution is kept in the data directory: a restart
// without --origin still serves it, and a restart with another --origin
// points the same distribution at the new origin.
func TestE2E_QuickStart_RestartPersistence(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	origin := startOrigin(t)
	ph := startPharos(t, "--origin", origin, "--data", data)
	var before distList
	ph.api(t, "GET", "/v1/distributions", nil, &before)
	if len(before.Items) != 1 || !before.Items[0].Default {
		t.Fatalf("want one default distribution, got %+v", before.Items)
	}
	id := before.Items[0].ID
	if !strings.Contains(ph.Output(), id) {
		t.Errorf("the banner does not name the quick-start distribution %s", id)
	}
	expect(t, "X-Cache before restart", get(t, "GET", ph.Edge+"/persist").xcache(), "Miss from pharos")

	ph.stop(syscall.SIGTERM)
	if code := ph.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("pharos exited with %d after SIGTERM, want 0", code)
	}

	// Without --origin: the stored distribution still serves.
	ph2 := startPharos(t, "--data", data)
	var r reply
	eventually(t, 5*time.Second, "the stored distribution to serve after a restart", func() bool {
		r = get(t, "GET", ph2.Edge+"/persist2")
		return r.Status != http.StatusNotFound
	})
	expect(t, "status after restart without --origin", r.Status, 200)
	expect(t, "body after restart without --origin", r.Body, "origin /persist2 #1\n")
	expect(t, "origin requests for /persist2", originCount(t, origin, "/persist2"), 1)
	var mid distList
	ph2.api(t, "GET", "/v1/distributions", nil, &mid)
	if len(mid.Items) != 1 || mid.Items[0].ID != id {
		t.Errorf("after restart: distributions %+v, want only %s", mid.Items, id)
	}
	ph2.stop(syscall.SIGTERM)

	// With a new --origin: the same distribution now points there.
	origin2 := startOrigin(t)
	ph3 := startPharos(t, "--data", data, "--origin", origin2)
	var after distList
	ph3.api(t, "GET", "/v1/distributions", nil, &after)
	if len(after.Items) != 1 || after.Items[0].ID != id {
		t.Fatalf("after restart with a new origin: distributions %+v, want only %s", after.Items, id)
	}
	if o := after.Items[0].Origins; len(o) != 1 || o[0].HTTPPort != originPort(t, origin2) {
		t.Errorf("distribution %s origins = %+v, want the new origin %s", id, o, origin2)
	}
	r = get(t, "GET", ph3.Edge+"/persist3")
	expect(t, "status from the new origin", r.Status, http.StatusOK)
	expect(t, "new origin requests for /persist3", originCount(t, origin2, "/persist3"), 1)
	expect(t, "old origin requests for /persist3", originCount(t, origin, "/persist3"), 0)
}

// `pharos up` prints its banner "once ready" (DESIGN.md): after a restart
// without --origin, the stored configuration must already be in force when
// the banner appears, so the very first request is served. (The window is a
// race, so the restart is tried a few times.)
func TestE2E_QuickStart_ReadyWhenBannerPrinted(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	origin := startOrigin(t)
	ph := startPharos(t, "--origin", origin, "--data", data)
	ph.stop(syscall.SIGTERM)
	for i := 1; i <= 3; i++ {
		ph := startPharos(t, "--data", data)
		uri := "/ready" + strconv.Itoa(i)
		r := get(t, "GET", ph.Edge+uri)
		ph.stop(syscall.SIGTERM)
		if r.Status != http.StatusOK {
			t.Fatalf("restart %d: the first request after the banner got %d %q: the stored configuration was not applied yet",
				i, r.Status, r.Body)
		}
		expect(t, "origin requests for "+uri, originCount(t, origin, uri), 1)
	}
}
