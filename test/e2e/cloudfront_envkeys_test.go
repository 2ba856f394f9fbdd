package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The API key pair from PHAROS_ACCESS_KEY_ID / PHAROS_SECRET_ACCESS_KEY
// (DESIGN.md's contract): the AWS CLI signing with that pair is served,
// one signing with another secret is refused, and no credentials file is
// generated.
func TestCloudFrontKeysFromEnvironment(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	p := startEnv(t, []string{"PHAROS_ACCESS_KEY_ID=" + cfKeys.ID, "PHAROS_SECRET_ACCESS_KEY=" + cfKeys.Secret},
		"pharos", "up", "--http", "127.0.0.1:0", "--api", "127.0.0.1:0", "--dns", "127.0.0.1:0",
		"--https", "127.0.0.1:0", "--data", data)
	ph := &pharos{proc: p, DataDir: data}
	ph.API = p.waitLine(apiRe, 30*time.Second)[1]
	p.waitLine(tryRe, 10*time.Second)
	if !strings.Contains(p.Output(), "credentials from PHAROS_ACCESS_KEY_ID") {
		t.Errorf("the banner does not say where the credentials come from:\n%s", p.Output())
	}
	cli := newAWSCLI(t, ph)
	list := cli.json("list-distributions")
	if _, ok := list["DistributionList"]; !ok {
		t.Errorf("list-distributions = %v, want a DistributionList", list)
	}
	cli.secret = "not-the-secret"
	if out := cli.run(true, "list-distributions"); !strings.Contains(out, "SignatureDoesNotMatch") {
		t.Errorf("a wrong secret: %s, want SignatureDoesNotMatch", out)
	}
	if _, err := os.Stat(filepath.Join(data, "credentials.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a credentials file was written although the environment gave the keys (stat: %v)", err)
	}
}
