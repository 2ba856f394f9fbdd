package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pharos apply -f: a YAML file of distributions named by callerReference
// is made real (created, then unchanged on a second run, updated when the
// file changes, deleted with --prune), waiting for Deployed; a file with an
// unknown field is refused with the field named and nothing changed.
func TestApply_DeclarativeFile(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t)
	port := strings.TrimPrefix(origin, "http://127.0.0.1:")
	file := filepath.Join(t.TempDir(), "cdn.yaml")
	write := func(ttl string, withAssets bool) {
		y := `distributions:
  - callerReference: site
    aliases: [apply.example]
    origins: [{id: app, domainName: 127.0.0.1, httpPort: ` + port + `}]
    defaultBehavior:
      targetOriginId: app
      cachePolicy: {minTTL: 0, defaultTTL: ` + ttl + `, maxTTL: 3600, queryStrings: {behavior: all}}
`
		if withAssets {
			y += `  - callerReference: assets
    aliases: [assets.apply.example]
    origins: [{id: app, domainName: 127.0.0.1, httpPort: ` + port + `}]
`
		}
		if err := os.WriteFile(file, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	actions := func(out string) map[string]string {
		t.Helper()
		var rs []struct{ Name, Action, Status string }
		if err := json.Unmarshal([]byte(out), &rs); err != nil {
			t.Fatalf("apply -o json: %v: %s", err, out)
		}
		m := map[string]string{}
		for _, r := range rs {
			m[r.Name] = r.Action
			if r.Action != "deleted" && r.Status != "Deployed" {
				t.Errorf("%s is %s after --wait", r.Name, r.Status)
			}
		}
		return m
	}
	write("600", true)
	expect(t, "first apply", actions(runCLI(t, ph, false, "apply", "-f", file, "--wait", "-o", "json")),
		map[string]string{"site": "created", "assets": "created"})
	expect(t, "edge answer for a created alias", get(t, "GET", ph.Edge+"/a", "Host: apply.example").Status, 200)
	expect(t, "second apply", actions(runCLI(t, ph, false, "apply", "-f", file, "--wait", "-o", "json")),
		map[string]string{"site": "unchanged", "assets": "unchanged"})
	write("900", false)
	expect(t, "apply after a change, with --prune", actions(runCLI(t, ph, false, "apply", "-f", file, "--prune", "--wait", "-o", "json")),
		map[string]string{"site": "updated", "assets": "deleted"})
	var list distList
	ph.api(t, "GET", "/v1/distributions", nil, &list)
	expect(t, "distributions left", len(list.Items), 1)

	os.WriteFile(file, []byte("distributions: [{callerReference: x, origin: 1}]\n"), 0o600)
	if msg := runCLI(t, ph, true, "apply", "-f", file); !strings.Contains(msg, `unknown field "origin"`) {
		t.Errorf("a bad file should name the field: %s", msg)
	}
	ph.api(t, "GET", "/v1/distributions", nil, &list)
	expect(t, "distributions after a refused file", len(list.Items), 1)
}
