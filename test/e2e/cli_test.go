package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runCLI runs a pharos client verb against ph's API and returns its stdout;
// it fails the test when the verb fails, unless wantErr.
func runCLI(t *testing.T, ph *pharos, wantErr bool, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "pharos"), append(args, "--credentials", filepath.Join(ph.DataDir, "credentials.json"))...)
	cmd.Env = append(os.Environ(), "PHAROS_API_URL="+ph.API, "PHAROS_SECRET_ACCESS_KEY=")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if (err != nil) != wantErr {
		t.Fatalf("pharos %s: err %v (want error: %v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, wantErr, stdout.String(), stderr.String())
	}
	if wantErr {
		return stderr.String()
	}
	return stdout.String()
}

// The client verbs: create (waiting for Deployed), list, get, update with
// If-Match, delete, edges; JSON with -o json; API errors reported with the
// field they name and a non-zero exit.
func TestCLI_DistVerbs(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t)
	var d struct{ ID, DomainName, Status, ETag string }
	out := runCLI(t, ph, false, "dist", "create", "--origin", origin, "--alias", "cli.example", "--min-ttl", "5", "--wait", "-o", "json")
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("create -o json: %v: %s", err, out)
	}
	expect(t, "status after --wait", d.Status, "Deployed")
	if !strings.HasPrefix(d.ID, "E") || !strings.HasSuffix(d.DomainName, ".pharos.test") || d.ETag == "" {
		t.Errorf("create answered %+v", d)
	}
	r := get(t, "GET", ph.Edge+"/cli", "Host: cli.example")
	expect(t, "edge answer for the new alias", r.Status, 200)

	if list := runCLI(t, ph, false, "dist", "list"); !strings.Contains(list, d.ID) || !strings.Contains(list, "cli.example") {
		t.Errorf("dist list does not show %s:\n%s", d.ID, list)
	}
	var u struct {
		ETag    string
		Aliases []string
	}
	json.Unmarshal([]byte(runCLI(t, ph, false, "dist", "update", d.ID, "--alias", "cli2.example", "--wait", "-o", "json")), &u)
	if len(u.Aliases) != 1 || u.Aliases[0] != "cli2.example" || u.ETag == d.ETag {
		t.Errorf("update answered %+v", u)
	}
	eventually(t, 5*time.Second, "the new alias served", func() bool {
		return get(t, "GET", ph.Edge+"/cli", "Host: cli2.example").Status == 200
	})

	msg := runCLI(t, ph, true, "dist", "update", d.ID, "--min-ttl", "100000000")
	if !strings.Contains(msg, "InvalidArgument") || !strings.Contains(msg, "defaultBehavior.cachePolicy") {
		t.Errorf("a bad update should name the field: %s", msg)
	}
	var edges []struct {
		ID      string
		Healthy bool
	}
	json.Unmarshal([]byte(runCLI(t, ph, false, "edges", "-o", "json")), &edges)
	if len(edges) != 1 || !edges[0].Healthy {
		t.Errorf("edges: %+v, want the one healthy edge", edges)
	}
	runCLI(t, ph, false, "dist", "delete", d.ID)
	if msg := runCLI(t, ph, true, "dist", "get", d.ID); !strings.Contains(msg, "NoSuchDistribution") {
		t.Errorf("get after delete: %s", msg)
	}
}
