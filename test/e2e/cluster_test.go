package e2e

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startNATSCluster runs n NATS servers with JetStream, clustered over
// loopback, inside the test process, and returns them and their client URLs.
func startNATSCluster(t *testing.T, n int) ([]*server.Server, string) {
	t.Helper()
	clientPorts, routePorts := make([]int, n), make([]int, n)
	var routes []string
	for i := range n {
		clientPorts[i], routePorts[i] = freePort(t), freePort(t)
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", routePorts[i]))
	}
	var servers []*server.Server
	var urls []string
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: clientPorts[i],
			JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "pharos-e2e", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		t.Cleanup(s.Shutdown)
		servers = append(servers, s)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i]))
	}
	for _, s := range servers {
		if !s.ReadyForConnections(20 * time.Second) {
			t.Fatal("a NATS server did not start")
		}
	}
	// JetStream in a cluster is usable once its meta group has a leader.
	nc, err := nats.Connect(strings.Join(urls, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	eventually(t, 30*time.Second, "the JetStream cluster ready", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})
	return servers, strings.Join(urls, ",")
}

func freePort(t *testing.T) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(freeAddr(t))
	n, _ := strconv.Atoi(p)
	return n
}

// Past one machine: the control plane and two edges on a three-server NATS
// cluster, the buckets and stream kept on all three. With one server
// stopped, configuration changes and invalidations still reach every edge.
func TestCluster_SurvivesLosingANATSServer(t *testing.T) {
	t.Parallel()
	servers, urls := startNATSCluster(t, 3)
	origin := startOrigin(t)
	data := t.TempDir()
	p := start(t, "pharos", "control", "--data", data, "--api", "127.0.0.1:0", "--nats", urls, "--nats-replicas", "3")
	ctl := &control{proc: p, DataDir: data}
	ctl.API = p.waitLine(ctlAPIRe, 60*time.Second)[1]
	api := ctl.asPharos()
	_, e1 := startEdge(t, urls, "c1", "")
	_, e2 := startEdge(t, urls, "c2", "")

	create := func(alias string) string {
		t.Helper()
		var id string
		// While the cluster elects new leaders the API answers errors:
		// retry, and find an earlier attempt that did land.
		eventually(t, 60*time.Second, "creating "+alias, func() bool {
			var list struct {
				Items []struct {
					ID      string
					Aliases []string
				}
			}
			api.api(t, "GET", "/v1/distributions", nil, &list)
			for _, d := range list.Items {
				if len(d.Aliases) > 0 && d.Aliases[0] == alias {
					id = d.ID
					return true
				}
			}
			var d struct{ ID string }
			api.api(t, "POST", "/v1/distributions", distSpec{Alias: alias, Origin: origin, DefaultTTL: 3600, MaxTTL: 3600}.json(t), &d)
			id = d.ID
			return id != ""
		})
		// Generous: after a server is lost, the cluster elects new stream
		// leaders before changes flow again.
		eventually(t, 60*time.Second, alias+" served by both edges", func() bool {
			return get(t, "GET", e1+"/x", "Host: "+alias).Status == 200 && get(t, "GET", e2+"/x", "Host: "+alias).Status == 200
		})
		return id
	}
	create("before.cluster.example")

	servers[0].Shutdown()
	servers[0].WaitForShutdown()

	id := create("after.cluster.example")
	for _, e := range []string{e1, e2} {
		expect(t, "cached before the invalidation", get(t, "GET", e+"/x", "Host: after.cluster.example").xcache(), hit)
	}
	var inv struct{ ID string }
	eventually(t, 60*time.Second, "creating the invalidation", func() bool {
		api.api(t, "POST", "/v1/distributions/"+id+"/invalidations", map[string]any{"paths": []string{"/*"}, "callerReference": "cluster-1"}, &inv)
		return inv.ID != ""
	})
	eventually(t, 60*time.Second, "the invalidation Completed on the cluster", func() bool {
		var got struct{ Status string }
		api.api(t, "GET", "/v1/distributions/"+id+"/invalidations/"+inv.ID, nil, &got)
		return got.Status == "Completed"
	})
	for _, e := range []string{e1, e2} {
		expect(t, "after the invalidation", get(t, "GET", e+"/x", "Host: after.cluster.example").xcache(), miss)
	}
}
