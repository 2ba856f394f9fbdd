package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

// control is a running `pharos control`.
type control struct {
	*proc
	API, Engine, DataDir string
}

var (
	ctlAPIRe    = regexp.MustCompile(`^\s+api\s+(http://\S+)`)
	ctlEngineRe = regexp.MustCompile(`^\s+engine\s+(nats://\S+)`)
	edgeURLRe   = regexp.MustCompile(`^\s+edge\s+(http://\S+)`)
)

func startControl(t *testing.T) *control {
	t.Helper()
	return startControlAt(t, t.TempDir(), "127.0.0.1:0")
}

// startControlAt runs `pharos control` on a given data directory and engine
// address (so that a restart finds both again).
func startControlAt(t *testing.T, data, natsAddr string) *control {
	t.Helper()
	p := start(t, "pharos", "control", "--data", data, "--api", "127.0.0.1:0", "--nats-listen", natsAddr)
	c := &control{proc: p, DataDir: data}
	c.API = p.waitLine(ctlAPIRe, 30*time.Second)[1]
	c.Engine = p.waitLine(ctlEngineRe, 5*time.Second)[1]
	return c
}

// startEdge runs `pharos edge` against an engine; data "" makes a fresh
// data directory.
func startEdge(t *testing.T, engine, id, data string) (*proc, string) {
	t.Helper()
	if data == "" {
		data = t.TempDir()
	}
	p := start(t, "pharos", "edge", "--nats", engine, "--id", id, "--pop", "pop-"+id,
		"--http", "127.0.0.1:0", "--data", data, "--shutdown-grace", "5s")
	return p, p.waitLine(edgeURLRe, 30*time.Second)[1]
}

// asPharos lets the API helpers of harness_test.go talk to a control plane.
func (c *control) asPharos() *pharos {
	return &pharos{proc: c.proc, API: c.API, DataDir: c.DataDir}
}

type edgeList struct {
	Items []struct {
		ID       string
		POP      string
		Revision uint64
		Healthy  bool
	}
}

// The roles apart: a control plane and three edge processes. A change is
// InProgress until every live edge has applied it, then Deployed; a killed
// edge stops holding changes back once it is seen as gone; edges keep
// serving while the control plane is down; and an edge that starts while
// the engine is unreachable serves with the configuration it saved.
func TestRoles_ControlAndEdges(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ctlData, natsAddr := t.TempDir(), freeAddr(t)
	ctl := startControlAt(t, ctlData, natsAddr)
	api := ctl.asPharos()
	edges := map[string]string{}
	procs := map[string]*proc{}
	dataDirs := map[string]string{}
	for _, id := range []string{"e1", "e2", "e3"} {
		dataDirs[id] = t.TempDir()
		procs[id], edges[id] = startEdge(t, ctl.Engine, id, dataDirs[id])
	}
	eventually(t, 10*time.Second, "three healthy edges", func() bool {
		var l edgeList
		api.api(t, "GET", "/v1/edges", nil, &l)
		healthy := 0
		for _, e := range l.Items {
			if e.Healthy {
				healthy++
			}
		}
		return healthy == 3
	})

	spec := distSpec{Alias: "roles.example", Origin: origin, DefaultTTL: 60, MaxTTL: 3600}.json(t)
	var created struct{ ID, Status string }
	api.api(t, "POST", "/v1/distributions", spec, &created)
	if created.ID == "" {
		t.Fatal("no distribution created")
	}
	eventually(t, 10*time.Second, "the distribution Deployed", func() bool {
		var d struct{ Status string }
		api.api(t, "GET", "/v1/distributions/"+created.ID, nil, &d)
		return d.Status == "Deployed"
	})
	for id, url := range edges {
		r := get(t, "GET", url+"/roles", "Host: roles.example")
		expect(t, id+" status", r.Status, 200)
		expect(t, id+" X-Pharos-Pop", r.Header.Get("X-Pharos-Pop"), "pop-"+id)
	}

	// A killed edge no longer holds a change back once it is seen as gone.
	procs["e3"].stop(syscall.SIGKILL)
	spec["comment"] = "changed"
	api.api(t, "PUT", "/v1/distributions/"+created.ID, spec, nil)
	eventually(t, 15*time.Second, "the change Deployed without the killed edge", func() bool {
		var d struct{ Status string }
		api.api(t, "GET", "/v1/distributions/"+created.ID, nil, &d)
		return d.Status == "Deployed"
	})

	// Edges serve while the control plane (and its engine) is down.
	ctl.stop(syscall.SIGTERM)
	r := get(t, "GET", edges["e1"]+"/roles", "Host: roles.example")
	expect(t, "e1 with the control plane down X-Cache", r.xcache(), hit)
	r = get(t, "GET", edges["e2"]+"/roles-new", "Host: roles.example")
	expect(t, "e2 miss with the control plane down", r.Status, 200)

	// An edge starting while the engine is away serves with its saved
	// configuration.
	if _, err := os.Stat(filepath.Join(dataDirs["e3"], "edge-config.json")); err != nil {
		t.Fatalf("e3 saved no configuration: %v", err)
	}
	_, url := startEdge(t, ctl.Engine, "e3", dataDirs["e3"])
	r = get(t, "GET", url+"/roles-after", "Host: roles.example")
	expect(t, "restarted e3 status with the engine down", r.Status, 200)
	var saved struct{ Revision uint64 }
	b, _ := os.ReadFile(filepath.Join(dataDirs["e3"], "edge-config.json"))
	json.Unmarshal(b, &saved)
	if saved.Revision == 0 {
		t.Error("the saved configuration has no revision")
	}

	// The control plane comes back (same data, same engine address): the
	// edges reconnect by themselves and take the next change.
	ctl = startControlAt(t, ctlData, natsAddr)
	api = ctl.asPharos()
	eventually(t, 20*time.Second, "the edges back and healthy, with no lag", func() bool {
		var l struct {
			Items []struct {
				ID      string
				Healthy bool
				Lag     uint64
			}
		}
		api.api(t, "GET", "/v1/edges", nil, &l)
		ok := 0
		for _, e := range l.Items {
			if e.Healthy && e.Lag == 0 {
				ok++
			}
		}
		return ok == 3
	})
	spec["aliases"] = []string{"roles.example", "roles2.example"}
	api.api(t, "PUT", "/v1/distributions/"+created.ID, spec, nil)
	eventually(t, 10*time.Second, "the change after the restart served by every edge", func() bool {
		return get(t, "GET", edges["e1"]+"/after-restart", "Host: roles2.example").Status == 200 &&
			get(t, "GET", edges["e2"]+"/after-restart", "Host: roles2.example").Status == 200 &&
			get(t, "GET", url+"/after-restart", "Host: roles2.example").Status == 200
	})
}
