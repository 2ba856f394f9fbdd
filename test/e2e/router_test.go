package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// place is one network in a test GeoIP database.
type place struct {
	cidr     string
	country  string
	lat, lon float64
}

// writeCityDB writes a GeoIP2-City-layout database holding places.
func writeCityDB(t *testing.T, places []place) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoIP2-City", RecordSize: 28,
		IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range places {
		_, n, err := net.ParseCIDR(p.cidr)
		if err != nil {
			t.Fatal(err)
		}
		rec := mmdbtype.Map{
			"country":  mmdbtype.Map{"iso_code": mmdbtype.String(p.country)},
			"location": mmdbtype.Map{"latitude": mmdbtype.Float64(p.lat), "longitude": mmdbtype.Float64(p.lon)},
		}
		if err := w.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// digReply is what dig printed.
type digReply struct {
	Status    string   // NOERROR, NXDOMAIN, ...
	Flags     string   // "qr aa rd", ...
	Answer    []string // addresses (A/AAAA) or rdata, in order
	Authority []string // record types in the authority section
	ECS       string   // the CLIENT-SUBNET option echoed, if any
	Raw       string
}

var (
	digStatusRe = regexp.MustCompile(`status: (\w+)`)
	digFlagsRe  = regexp.MustCompile(`;; flags: ([a-z ]+);`)
	digECSRe    = regexp.MustCompile(`; CLIENT-SUBNET: (\S+)`)
)

// dig asks the router with the real dig.
func dig(t *testing.T, server, name, qtype string, opts ...string) digReply {
	t.Helper()
	host, port, _ := net.SplitHostPort(server)
	args := append([]string{"@" + host, "-p", port, "+time=1", "+tries=2", "+norecurse"}, opts...)
	args = append(args, name, qtype)
	out, err := exec.Command("dig", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dig %v: %v\n%s", args, err, out)
	}
	r := digReply{Raw: string(out)}
	if m := digStatusRe.FindStringSubmatch(r.Raw); m != nil {
		r.Status = m[1]
	}
	if m := digFlagsRe.FindStringSubmatch(r.Raw); m != nil {
		r.Flags = m[1]
	}
	if m := digECSRe.FindStringSubmatch(r.Raw); m != nil {
		r.ECS = m[1]
	}
	section := ""
	for _, l := range strings.Split(r.Raw, "\n") {
		switch {
		case strings.HasPrefix(l, ";; ANSWER SECTION"):
			section = "answer"
			continue
		case strings.HasPrefix(l, ";; AUTHORITY SECTION"):
			section = "authority"
			continue
		case l == "" || strings.HasPrefix(l, ";"):
			section = ""
			continue
		}
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		switch section {
		case "answer":
			r.Answer = append(r.Answer, strings.Join(f[4:], " "))
		case "authority":
			r.Authority = append(r.Authority, f[3])
		}
	}
	return r
}

var (
	routerDNSRe  = regexp.MustCompile(`^\s+dns\s+(\S+) \(udp and tcp`)
	routerHTTPRe = regexp.MustCompile(`^\s+http\s+(http://\S+)`)
)

// geoEdge is an edge placed somewhere on Earth, on its own loopback address.
type geoEdge struct {
	id, pop, ip string
	lat, lon    float64
	proc        *proc
	url         string
}

func startGeoEdge(t *testing.T, engine string, e *geoEdge) {
	t.Helper()
	e.proc = start(t, "pharos", "edge", "--nats", engine, "--id", e.id, "--pop", e.pop,
		"--http", e.ip+":0", "--data", t.TempDir(), "--shutdown-grace", "1s",
		"--lat", fmt.Sprint(e.lat), "--lon", fmt.Sprint(e.lon), "--public-addr", e.ip)
	e.url = e.proc.waitLine(edgeURLRe, 30*time.Second)[1]
}

// The DNS router end to end: three edges on three continents, a GeoIP
// database and a coverage zone file written by the test, clients in
// several countries asking with dig +subnet; the nearest edge answers
// first; a killed edge leaves every answer within 3 seconds and comes
// back when it returns; SOA, NS, NXDOMAIN; the redirect mode; answers are
// counted per edge and country in /metrics and `pharos edges`.
func TestRouter_NearestHealthyEdge(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ctl := startControl(t)
	api := ctl.asPharos()

	edges := []*geoEdge{
		{id: "edge-eu", pop: "ams", ip: "127.0.0.2", lat: 52.37, lon: 4.90},   // Amsterdam
		{id: "edge-us", pop: "nyc", ip: "127.0.0.3", lat: 40.71, lon: -74.01}, // New York
		{id: "edge-ap", pop: "tyo", ip: "127.0.0.4", lat: 35.68, lon: 139.69}, // Tokyo
	}
	for _, e := range edges {
		startGeoEdge(t, ctl.Engine, e)
	}
	db := writeCityDB(t, []place{
		{"198.51.100.0/24", "DE", 52.52, 13.40}, // Berlin → Amsterdam
		{"192.0.2.0/24", "US", 41.88, -87.63},   // Chicago → New York
		{"203.0.113.0/24", "JP", 34.69, 135.50}, // Osaka → Tokyo
		{"100.64.0.0/16", "BR", -23.55, -46.63}, // São Paulo → New York
		{"100.65.0.0/16", "AU", -33.87, 151.21}, // Sydney → Tokyo
		{"127.0.0.5/32", "FR", 48.86, 2.35},     // Paris: a redirect-mode client
		{"100.66.0.0/16", "ZA", -33.92, 18.42},  // Cape Town → Amsterdam, but see the CZF
		{"2001:db8:1::/48", "GB", 51.51, -0.13}, // London (IPv6 client) → Amsterdam
	})
	czf := filepath.Join(t.TempDir(), "czf.json")
	os.WriteFile(czf, []byte(`{"coverageZones": {"nyc": {"network": ["100.66.7.0/24"]}}}`), 0o600)

	r := start(t, "pharos", "router", "--nats", ctl.Engine, "--id", "router-1", "--dns", "127.0.0.1:0",
		"--zone", "pharos.test", "--geoip", db, "--czf", czf, "--http", "127.0.0.1:0", "--ttl", "20")
	dnsAddr := r.waitLine(routerDNSRe, 30*time.Second)[1]
	routerHTTP := r.waitLine(routerHTTPRe, 5*time.Second)[1]

	var created struct {
		ID         string `json:"id"`
		DomainName string `json:"domainName"`
	}
	spec := distSpec{Alias: "geo.example", Origin: origin, DefaultTTL: 60, MaxTTL: 60}
	if resp := api.api(t, "POST", "/v1/distributions", spec.json(t), &created); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create distribution: %d", resp.StatusCode)
	}
	name := created.DomainName
	if !strings.HasSuffix(name, ".pharos.test") {
		t.Fatalf("domain name %q is not under the zone", name)
	}
	eventually(t, 15*time.Second, "the router to answer for "+name+" with all three edges", func() bool {
		return len(dig(t, dnsAddr, name, "A").Answer) == 3
	})

	// Nearest first, for clients placed by EDNS Client Subnet.
	first := func(subnet string) string {
		t.Helper()
		a := dig(t, dnsAddr, name, "A", "+subnet="+subnet).Answer
		if len(a) == 0 {
			t.Fatalf("no answer for a client in %s", subnet)
		}
		return a[0]
	}
	for subnet, want := range map[string]string{
		"198.51.100.0/24": "127.0.0.2", // DE
		"192.0.2.0/24":    "127.0.0.3", // US
		"203.0.113.0/24":  "127.0.0.4", // JP
		"100.64.3.0/24":   "127.0.0.3", // BR
		"100.65.9.0/24":   "127.0.0.4", // AU
		"100.66.1.0/24":   "127.0.0.2", // ZA, outside the coverage zone
		"100.66.7.0/24":   "127.0.0.3", // ZA, inside the CZF's nyc zone
	} {
		expect(t, "first edge for a client in "+subnet, first(subnet), want)
	}
	full := dig(t, dnsAddr, name, "A", "+subnet=203.0.113.0/24")
	// Osaka: Tokyo, then Amsterdam (9,300 km), then New York (11,000 km).
	expect(t, "answers for JP in order", strings.Join(full.Answer, " "), "127.0.0.4 127.0.0.2 127.0.0.3")
	expect(t, "status", full.Status, "NOERROR")
	if !strings.Contains(full.Flags, "aa") {
		t.Errorf("answer is not authoritative: flags %q", full.Flags)
	}
	expect(t, "ECS echoed with scope", full.ECS, "203.0.113.0/24/24")
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\.\s+20\s+IN\s+A\s`).MatchString(full.Raw) {
		t.Errorf("answers do not carry --ttl 20:\n%s", full.Raw)
	}
	// An IPv6 client subnet places the client too.
	expect(t, "first edge for an IPv6 client in GB", first("2001:db8:1::/48"), "127.0.0.2")
	// Over TCP, the same answer.
	tcp := dig(t, dnsAddr, name, "A", "+tcp", "+subnet=192.0.2.0/24")
	expect(t, "first edge over TCP", strings.Join(tcp.Answer[:1], ""), "127.0.0.3")
	// No edge has an IPv6 address: NODATA with the SOA.
	aaaa := dig(t, dnsAddr, name, "AAAA")
	expect(t, "AAAA status", aaaa.Status, "NOERROR")
	expect(t, "AAAA answers", len(aaaa.Answer), 0)
	expect(t, "AAAA authority", strings.Join(aaaa.Authority, " "), "SOA")

	// The zone itself.
	soa := dig(t, dnsAddr, "pharos.test", "SOA")
	expect(t, "SOA status", soa.Status, "NOERROR")
	if len(soa.Answer) != 1 || !strings.HasPrefix(soa.Answer[0], "ns1.pharos.test. hostmaster.pharos.test.") {
		t.Errorf("SOA answer = %q", soa.Answer)
	}
	ns := dig(t, dnsAddr, "pharos.test", "NS")
	expect(t, "NS answer", strings.Join(ns.Answer, " "), "ns1.pharos.test.")
	nx := dig(t, dnsAddr, "dnosuchthing0.pharos.test", "A")
	expect(t, "unknown name status", nx.Status, "NXDOMAIN")
	expect(t, "unknown name authority", strings.Join(nx.Authority, " "), "SOA")
	if !strings.Contains(nx.Flags, "aa") {
		t.Errorf("NXDOMAIN is not authoritative: flags %q", nx.Flags)
	}
	out := dig(t, dnsAddr, "example.com", "A")
	expect(t, "a name outside the zone", out.Status, "REFUSED")

	// Kill the European edge: within 3 seconds its clients get the next
	// nearest (New York from Berlin) and it is in no answer.
	edges[0].proc.stop(syscall.SIGKILL)
	killed := time.Now()
	eventually(t, 3*time.Second, "the killed edge to leave every answer", func() bool {
		a := dig(t, dnsAddr, name, "A", "+subnet=198.51.100.0/24").Answer
		return len(a) == 2 && a[0] == "127.0.0.3" && a[1] == "127.0.0.4"
	})
	t.Logf("the killed edge left the answers after %v", time.Since(killed).Round(10*time.Millisecond))
	// Back on the same address: back in the answers within seconds.
	edges[0].ip = "127.0.0.2"
	startGeoEdge(t, ctl.Engine, edges[0])
	eventually(t, 10*time.Second, "the restarted edge to be answered first again", func() bool {
		return first("198.51.100.0/24") == "127.0.0.2"
	})

	// The redirect mode: a client in Paris (127.0.0.5) is sent to the
	// Amsterdam edge by name; that name resolves to the edge, which serves
	// the distribution.
	client := &http.Client{
		Transport:     &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.5")}}).DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, _ := http.NewRequest("GET", routerHTTP+"/_origin/echo?x=1", nil)
	req.Host = name
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	expect(t, "redirect status", resp.StatusCode, http.StatusFound)
	loc := resp.Header.Get("Location")
	edgePort := edges[0].url[strings.LastIndex(edges[0].url, ":")+1:]
	wantLoc := "http://e-edge-eu." + name + ":" + edgePort + "/_origin/echo?x=1"
	expect(t, "redirect Location", loc, wantLoc)
	target := dig(t, dnsAddr, "e-edge-eu."+name, "A")
	expect(t, "the edge's own name resolves to it", strings.Join(target.Answer, " "), "127.0.0.2")
	got := get(t, "GET", "http://127.0.0.2:"+edgePort+"/_origin/echo?x=1", "Host: e-edge-eu."+name)
	expect(t, "the redirected request is served", got.Status, http.StatusOK)
	expect(t, "by the Amsterdam edge", got.Header.Get("X-Pharos-Pop"), "ams")

	// Answers are counted per edge and client country.
	mresp, err := http.Get(routerHTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{
		`pharos_router_answers_total{country="JP",edge="edge-ap"}`,
		`pharos_router_answers_total{country="DE",edge="edge-eu"}`,
		`pharos_router_answers_total{country="FR",edge="edge-eu"} 1`,
		`pharos_router_edge_healthy{edge="edge-us",pop="nyc"} 1`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}
	eventually(t, 10*time.Second, "pharos edges to show answers per country", func() bool {
		var list []struct {
			ID      string
			Queries map[string]uint64
		}
		out, err := exec.Command(filepath.Join(binDir, "pharos"), "edges", "-o", "json", "--api-url", ctl.API,
			"--credentials", filepath.Join(ctl.DataDir, "credentials.json")).CombinedOutput()
		if err != nil || json.Unmarshal(out, &list) != nil {
			return false
		}
		for _, it := range list {
			if it.ID == "edge-ap" && it.Queries["JP"] > 0 && it.Queries["AU"] > 0 {
				return true
			}
		}
		return false
	})
}

var quickDomainRe = regexp.MustCompile(`^\s+origin\s+\S+ \(distribution E[A-Z0-9]{13}, (d[a-z0-9]{13}\.\S+),`)

// `pharos up` runs a router on --dns that answers for its distributions
// with its one edge.
func TestRouter_Up(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t, "--origin", origin, "--zone", "cdn.test")
	var domain string
	for _, l := range strings.Split(ph.Output(), "\n") {
		if m := quickDomainRe.FindStringSubmatch(l); m != nil {
			domain = m[1]
		}
	}
	if !strings.HasSuffix(domain, ".cdn.test") {
		t.Fatalf("no quick-start domain under cdn.test in the banner:\n%s", ph.Output())
	}
	eventually(t, 10*time.Second, "the router to answer with the edge", func() bool {
		return strings.Join(dig(t, ph.DNS, domain, "A").Answer, " ") == "127.0.0.1"
	})
	expect(t, "SOA of the zone", dig(t, ph.DNS, "cdn.test", "SOA").Status, "NOERROR")
	expect(t, "an unknown name", dig(t, ph.DNS, "nothing.cdn.test", "A").Status, "NXDOMAIN")
}

// `pharos up` left at its default --dns (:5353, also mDNS's port on many
// machines) and --https (:8443) goes on without the router and HTTPS when
// those ports are taken, and says so; given --dns explicitly, a taken
// address is an error.
func TestRouter_UpWithDefaultDNSPortTaken(t *testing.T) {
	t.Parallel()
	// Hold 5353 (and HTTPS's 8443) on loopback: binding the wildcard
	// address then fails too.
	if pc, err := net.ListenPacket("udp", "127.0.0.1:5353"); err == nil {
		defer pc.Close()
	}
	if l, err := net.Listen("tcp", "127.0.0.1:8443"); err == nil {
		defer l.Close()
	}
	origin := startOrigin(t)
	p := start(t, "pharos", "up", "--http", "127.0.0.1:0", "--api", "127.0.0.1:0",
		"--data", t.TempDir(), "--origin", origin)
	off := p.waitLine(regexp.MustCompile(`^\s+dns\s+off: (\S+) is taken`), 30*time.Second)
	expect(t, "the address named", off[1], ":5353")
	httpsOff := p.waitLine(regexp.MustCompile(`^\s+https\s+off: (\S+) is taken`), 5*time.Second)
	expect(t, "the HTTPS address named", httpsOff[1], ":8443")
	edge := p.waitLine(regexp.MustCompile(`curl -i (\S+)`), 5*time.Second)[1]
	expect(t, "the edge serves", get(t, "GET", edge+"/_origin/health").Status, http.StatusOK)

	explicit := start(t, "pharos", "up", "--http", "127.0.0.1:0", "--api", "127.0.0.1:0", "--https", "127.0.0.1:0",
		"--data", t.TempDir(), "--dns", "127.0.0.1:5353")
	select {
	case <-explicit.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("pharos up --dns on a taken address did not exit")
	}
	if !strings.Contains(explicit.Output(), "5353") {
		t.Errorf("the error does not name the address:\n%s", explicit.Output())
	}
}
