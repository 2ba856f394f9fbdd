package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/pharos-cdn/pharos/internal/certs"
)

// ACME against Let's Encrypt's test CA, Pebble (a tool in go.mod), on
// loopback: Pebble resolves the test names through a DNS server the test
// runs and validates against the edge's own HTTP and HTTPS ports.
func TestACME(t *testing.T) {
	t.Parallel()
	pebbleDNS := startACMEDNS(t, ".acme.test.", net.IPv4(127, 0, 0, 1))
	tlsCA := testCA(t) // Pebble's own HTTPS certificate comes from it
	dir := t.TempDir()
	pebbleCert, pebbleKey, caRoot := writePebbleTLS(t, tlsCA, dir)
	pebbleAddr, mgmtAddr := freeAddr(t), freeAddr(t)
	origin := startOrigin(t)
	data := t.TempDir()
	acme := []string{"--data", data, "--acme-email", "e2e@acme.test", "--acme-agree",
		"--acme-ca", "https://" + pebbleAddr + "/dir", "--acme-ca-root", caRoot}

	// Phase 1: HTTP-01 only.
	ph := startPharos(t, append(acme, "--acme-challenges", "http-01")...)
	httpAddr, httpsAddr := hostPort(t, ph.Edge), httpsRe.FindStringSubmatch(ph.Output())[1]
	startPebble(t, dir, pebbleConfig{pebbleAddr, mgmtAddr, pebbleCert, pebbleKey, addrPort(t, httpAddr), addrPort(t, httpsAddr)}, pebbleDNS)
	pebbleRoots := pebbleRoot(t, mgmtAddr, tlsCA.Pool())
	domain := createACMEDist(t, ph, origin, []string{ph.Edge}, "one.acme.test", "two.acme.test")

	first := peerChain(t, httpsAddr, "one.acme.test")
	if !strings.HasPrefix(first[0].Issuer.CommonName, "Pharos local CA (") || first[0].DNSNames[0] != "one.acme.test" {
		t.Fatalf("while the certificate is obtained: issuer %q, names %v; want the local CA's leaf", first[0].Issuer.CommonName, first[0].DNSNames)
	}
	for _, name := range []string{"stranger.acme.test", domain} {
		peerChain(t, httpsAddr, name) // would start an order if the name were allowed one
	}
	var issued *x509.Certificate
	eventually(t, 30*time.Second, "a certificate from Pebble for one.acme.test", func() bool {
		chain := peerChain(t, httpsAddr, "one.acme.test")
		if chainsTo(chain, pebbleRoots, "one.acme.test") {
			issued = chain[0]
		}
		return issued != nil
	})
	viaACME := (&tlsEdge{pharos: ph, addr: httpsAddr, roots: pebbleRoots}).client(nil, false)
	if r, _ := fetch(t, viaACME, "https://one.acme.test/_origin/health"); r.Status != http.StatusOK {
		t.Fatalf("HTTPS with the ACME certificate: %d", r.Status)
	}
	out := ph.Output()
	if !regexp.MustCompile(`served key authentication.*identifier=one\.acme\.test challenge=http-01`).MatchString(out) {
		t.Errorf("no HTTP-01 validation answered for one.acme.test in the edge's log")
	}
	// A name that is not an alias, and the distribution's own domain name
	// (not asked for with --acme-domain-names), keep local certificates
	// and never reach the CA.
	for _, name := range []string{"stranger.acme.test", domain} {
		chain := peerChain(t, httpsAddr, name)
		if chainsTo(chain, pebbleRoots, name) || !strings.HasPrefix(chain[0].Issuer.CommonName, "Pharos local CA (") {
			t.Errorf("%s: issuer %q, want the local CA", name, chain[0].Issuer.CommonName)
		}
		if acmeLogMentions(out, name) {
			t.Errorf("the ACME client acted for %s", name)
		}
	}

	// Phase 2: restart with TLS-ALPN-01 only, same data and ports.
	ph.stop(syscall.SIGTERM)
	ph = startPharos(t, append(acme, "--http", httpAddr, "--https", httpsAddr, "--acme-challenges", "tls-alpn-01")...)
	// The first handshake already presents the stored certificate.
	if chain := peerChain(t, httpsAddr, "one.acme.test"); !chainsTo(chain, pebbleRoots, "one.acme.test") || chain[0].SerialNumber.Cmp(issued.SerialNumber) != 0 {
		t.Errorf("after a restart: serial %x from %q, want the stored %x", chain[0].SerialNumber, chain[0].Issuer.CommonName, issued.SerialNumber)
	}
	eventually(t, 30*time.Second, "a certificate from Pebble for two.acme.test", func() bool {
		return chainsTo(peerChain(t, httpsAddr, "two.acme.test"), pebbleRoots, "two.acme.test")
	})
	out = ph.Output()
	if !regexp.MustCompile(`served key authentication certificate.*server_name=two\.acme\.test challenge=tls-alpn-01`).MatchString(out) {
		t.Errorf("no TLS-ALPN-01 validation answered for two.acme.test in the edge's log")
	}
	if regexp.MustCompile(`obtaining certificate.*identifier=one\.acme\.test`).MatchString(out) {
		t.Errorf("the restarted edge ordered one.acme.test again")
	}

	// An imported certificate wins over the ACME one from the next handshake.
	leaf, _ := tlsCA.Issue([]string{"one.acme.test"}, time.Now())
	key, _ := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	body := map[string]string{
		"certificate": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})),
		"privateKey":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})),
	}
	if resp := ph.api(t, "POST", "/v1/certificates", body, nil); resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("import: %d %s", resp.StatusCode, b)
	}
	eventually(t, 15*time.Second, "the imported certificate for one.acme.test", func() bool {
		return peerChain(t, httpsAddr, "one.acme.test")[0].Equal(leaf.Leaf)
	})
}

// ACME on two edges sharing one engine, on 127.0.0.2 and 127.0.0.3 with
// the same ports (Pebble validates on fixed ones). The test DNS sends the
// CA to edge b only, so a certificate edge a orders is validated by b,
// which can answer only from the storage they share; b then presents the
// certificate a obtained at its first handshake for the name. A name both
// edges are asked for at once is ordered by one of them: Pebble issues
// one certificate per name.
func TestACME_SharedAcrossEdges(t *testing.T) {
	t.Parallel()
	const ipA, ipB = "127.0.0.2", "127.0.0.3"
	pebbleDNS := startACMEDNS(t, ".multi.test.", net.ParseIP(ipB))
	tlsCA := testCA(t)
	dir := t.TempDir()
	pebbleCert, pebbleKey, caRoot := writePebbleTLS(t, tlsCA, dir)
	pebbleAddr, mgmtAddr := freeAddr(t), freeAddr(t)
	origin := startOrigin(t)
	ports := samePorts(t, 2, ipA, ipB)
	ctl := startControl(t)
	type edgeProc struct {
		p               *proc
		url, https, dir string
	}
	edges := map[string]*edgeProc{}
	for id, ip := range map[string]string{"a": ipA, "b": ipB} {
		e := &edgeProc{https: net.JoinHostPort(ip, ports[1]), dir: t.TempDir()}
		e.p = start(t, "pharos", "edge", "--nats", ctl.Engine, "--id", id, "--pop", "pop-"+id,
			"--http", net.JoinHostPort(ip, ports[0]), "--https", e.https, "--data", e.dir, "--shutdown-grace", "1s",
			"--acme-email", "e2e@multi.test", "--acme-agree", "--acme-ca", "https://"+pebbleAddr+"/dir", "--acme-ca-root", caRoot)
		e.url = e.p.waitLine(edgeURLRe, 30*time.Second)[1]
		edges[id] = e
	}
	a, b := edges["a"], edges["b"]
	httpPort, _ := strconv.Atoi(ports[0])
	httpsPort, _ := strconv.Atoi(ports[1])
	pebble := startPebble(t, dir, pebbleConfig{pebbleAddr, mgmtAddr, pebbleCert, pebbleKey, httpPort, httpsPort}, pebbleDNS)
	pebbleRoots := pebbleRoot(t, mgmtAddr, tlsCA.Pool())
	createACMEDist(t, ctl.asPharos(), origin, []string{a.url, b.url}, "one.multi.test", "two.multi.test")

	// Edge a starts the order; the CA's validation reaches edge b.
	if chain := peerChain(t, a.https, "one.multi.test"); chainsTo(chain, pebbleRoots, "one.multi.test") {
		t.Fatalf("a certificate from Pebble before any order")
	}
	var issued *x509.Certificate
	eventually(t, 30*time.Second, "edge a to present Pebble's certificate for one.multi.test", func() bool {
		if chain := peerChain(t, a.https, "one.multi.test"); chainsTo(chain, pebbleRoots, "one.multi.test") {
			issued = chain[0]
		}
		return issued != nil
	})
	ordered := func(name string) *regexp.Regexp {
		return regexp.MustCompile(`obtaining certificate.*identifier=` + regexp.QuoteMeta(name))
	}
	if !ordered("one.multi.test").MatchString(a.p.Output()) || ordered("one.multi.test").MatchString(b.p.Output()) {
		t.Errorf("one.multi.test: want the order from edge a alone")
	}
	answered := regexp.MustCompile(`served key authentication.*(identifier|server_name)=one\.multi\.test .*distributed=true`)
	if l := answered.FindString(b.p.Output()); l == "" {
		t.Errorf("edge b did not answer the validation for one.multi.test from the shared storage")
	} else {
		t.Logf("edge b: %s", l)
	}
	// Edge b's first handshake for the name presents what a obtained.
	if chain := peerChain(t, b.https, "one.multi.test"); !chainsTo(chain, pebbleRoots, "one.multi.test") || chain[0].SerialNumber.Cmp(issued.SerialNumber) != 0 {
		t.Errorf("edge b's first handshake: serial %x from %q, want edge a's %x", chain[0].SerialNumber, chain[0].Issuer.CommonName, issued.SerialNumber)
	}

	// Both edges asked at once: the storage lock lets one order.
	var wg sync.WaitGroup
	for _, e := range []*edgeProc{a, b} {
		wg.Go(func() { peerChain(t, e.https, "two.multi.test") })
	}
	wg.Wait()
	serials := map[string]string{}
	eventually(t, 30*time.Second, "both edges to present Pebble's certificate for two.multi.test", func() bool {
		for id, e := range edges {
			if chain := peerChain(t, e.https, "two.multi.test"); chainsTo(chain, pebbleRoots, "two.multi.test") {
				serials[id] = chain[0].SerialNumber.String()
			}
		}
		return len(serials) == 2
	})
	if serials["a"] != serials["b"] {
		t.Errorf("two.multi.test: edge a presents serial %s, edge b %s; want one certificate", serials["a"], serials["b"])
	}
	if na, nb := ordered("two.multi.test").MatchString(a.p.Output()), ordered("two.multi.test").MatchString(b.p.Output()); na == nb {
		t.Errorf("two.multi.test ordered by edge a: %v, by edge b: %v; want exactly one", na, nb)
	}
	if n := strings.Count(pebble.Output(), "Issued certificate serial"); n != 2 {
		t.Errorf("Pebble issued %d certificates for two names, want 2", n)
	}
	// Nothing of it is on the edges' disks.
	for id, e := range edges {
		if _, err := os.Stat(filepath.Join(e.dir, "acme")); !os.IsNotExist(err) {
			t.Errorf("edge %s keeps ACME files on its disk (%v)", id, err)
		}
	}
}

// samePorts returns n port numbers free on each of ips over TCP and UDP
// (HTTP/3 shares the HTTPS port), so edges on different loopback
// addresses can listen on the same ports.
func samePorts(t *testing.T, n int, ips ...string) []string {
	t.Helper()
	var out []string
	for try := 0; len(out) < n && try < 100; try++ {
		l, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(l.Addr().String())
		l.Close()
		free := true
		for _, ip := range ips {
			addr := net.JoinHostPort(ip, port)
			tl, terr := net.Listen("tcp", addr)
			ul, uerr := net.ListenPacket("udp", addr)
			free = free && terr == nil && uerr == nil
			if terr == nil {
				tl.Close()
			}
			if uerr == nil {
				ul.Close()
			}
		}
		if free && !slices.Contains(out, port) {
			out = append(out, port)
		}
	}
	if len(out) < n {
		t.Fatalf("no %d ports free on all of %v", n, ips)
	}
	return out
}

// acmeLogMentions reports whether certmagic logged anything about name.
func acmeLogMentions(out, name string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "logger=acme") && strings.Contains(l, name) {
			return true
		}
	}
	return false
}

// createACMEDist creates a distribution with aliases, waits until every
// edge routes the first, and returns the distribution's domain name.
func createACMEDist(t *testing.T, ph *pharos, origin string, edges []string, aliases ...string) string {
	t.Helper()
	d := distSpec{Alias: aliases[0], Origin: origin, DefaultTTL: 60, MaxTTL: 3600}.json(t)
	d["aliases"] = aliases
	var out struct{ DomainName string }
	if resp := ph.api(t, "POST", "/v1/distributions", d, &out); resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	for _, e := range edges {
		eventually(t, 10*time.Second, e+" to serve "+aliases[0], func() bool {
			return get(t, "GET", e+"/_origin/health", "Host: "+aliases[0]).Status == http.StatusOK
		})
	}
	return out.DomainName
}

// peerChain handshakes with the edge for name and returns the chain it
// presents, unverified.
func peerChain(t *testing.T, addr, name string) []*x509.Certificate {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{ServerName: name, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("handshake for %s: %v", name, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates
}

// chainsTo reports whether chain's leaf verifies for name under roots,
// with the rest of the chain as intermediates.
func chainsTo(chain []*x509.Certificate, roots *x509.CertPool, name string) bool {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name})
	return err == nil
}

// startACMEDNS answers A ip for every name under suffix, over TCP
// (Pebble asks over TCP), and NXDOMAIN for the rest.
func startACMEDNS(t *testing.T, suffix string, ip net.IP) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: l, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, qq := range q.Question {
			switch {
			case !strings.HasSuffix(strings.ToLower(qq.Name), suffix):
				m.Rcode = dns.RcodeNameError
			case qq.Qtype == dns.TypeA:
				m.Answer = append(m.Answer, &dns.A{A: ip,
					Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}})
			}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return l.Addr().String()
}

// writePebbleTLS writes a certificate for Pebble's HTTPS, signed by ca,
// and ca's root, the file the edge gets as --acme-ca-root.
func writePebbleTLS(t *testing.T, ca *certs.CA, dir string) (cert, key, root string) {
	t.Helper()
	leaf, err := ca.Issue([]string{"127.0.0.1", "localhost"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, root = filepath.Join(dir, "pebble.pem"), filepath.Join(dir, "pebble-key.pem"), filepath.Join(dir, "root.pem")
	for path, block := range map[string]*pem.Block{
		cert: {Type: "CERTIFICATE", Bytes: leaf.Certificate[0]},
		key:  {Type: "PRIVATE KEY", Bytes: der},
		root: {Type: "CERTIFICATE", Bytes: leaf.Certificate[1]},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key, root
}

type pebbleConfig struct {
	listen, mgmt, cert, key string
	httpPort, tlsPort       int
}

var (
	pebbleOnce sync.Once
	pebbleErr  error
)

// startPebble builds Pebble (once; `tool` in go.mod pins it) and runs it
// validating against the edge's ports, with validation really done
// (PEBBLE_VA_ALWAYS_VALID unset) and without its random waits.
func startPebble(t *testing.T, dir string, c pebbleConfig, dnsAddr string) *proc {
	t.Helper()
	pebbleOnce.Do(func() {
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "pebble"), "github.com/letsencrypt/pebble/v2/cmd/pebble").CombinedOutput()
		if err != nil {
			pebbleErr = fmt.Errorf("build pebble: %v: %s", err, out)
		}
	})
	if pebbleErr != nil {
		t.Fatal(pebbleErr)
	}
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": c.listen, "managementListenAddress": c.mgmt,
		"certificate": c.cert, "privateKey": c.key,
		"httpPort": c.httpPort, "tlsPort": c.tlsPort, "keyAlgorithm": "ecdsa",
	}}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startEnv(t, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0", "PEBBLE_VA_ALWAYS_VALID="},
		"pebble", "-config", path, "-dnsserver", dnsAddr)
	p.waitLine(regexp.MustCompile(`Listening on: `), 10*time.Second)
	return p
}

// pebbleRoot fetches the root Pebble made at start from its management
// interface.
func pebbleRoot(t *testing.T, mgmt string, trust *x509.CertPool) *x509.CertPool {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: trust}}}
	var pemBytes []byte
	eventually(t, 10*time.Second, "Pebble's root", func() bool {
		resp, err := c.Get("https://" + mgmt + "/roots/0")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		pemBytes, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK
	})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("Pebble's root is not PEM: %q", pemBytes)
	}
	return pool
}

func addrPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
