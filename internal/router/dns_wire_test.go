package router

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// serve starts r on UDP and TCP on a loopback port and returns the
// address; the server stops, and is checked to stop, when the test ends.
func serve(t *testing.T, r *Router) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- r.ListenAndServeDNS(ctx, "127.0.0.1:0", func(udp, tcp net.Addr) {
			if udp.String() != tcp.String() {
				t.Errorf("UDP on %s, TCP on %s: want one port", udp, tcp)
			}
			ready <- udp.String()
		})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("ListenAndServeDNS: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the DNS server did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("ListenAndServeDNS returned %v after its context ended", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("ListenAndServeDNS did not return after its context ended")
		}
	})
	return addr
}

func exchange(t *testing.T, network, addr string, q *dns.Msg) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: network, Timeout: 3 * time.Second, UDPSize: 65535}
	m, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s query %s: %v", network, q.Question[0].Name, err)
	}
	if m.Id != q.Id {
		t.Fatalf("reply id %d, query id %d", m.Id, q.Id)
	}
	return m
}

func TestServeDNSOverUDPAndTCP(t *testing.T) {
	// lon, fra and nyc, and 37 unlocated edges: 40 addresses in all.
	r := newTestRouter(t, Config{Answers: 40}, append(manyEdges(37), lonHB, fraHB, nycHB)...)
	addr := serve(t, r)

	for _, network := range []string{"udp", "tcp"} {
		t.Run(network+" ECS places the client", func(t *testing.T) {
			// The resolver is 127.0.0.1, which the database does not place.
			q := withEDNS(question("D111.cdn.test.", dns.TypeA), 4096, 0, ecs(1, 24, 0, "203.0.113.0"))
			m := exchange(t, network, addr, q)
			if m.Rcode != dns.RcodeSuccess || !m.Authoritative || m.Truncated {
				t.Fatalf("rcode %s AA %v TC %v", dns.RcodeToString[m.Rcode], m.Authoritative, m.Truncated)
			}
			got := addrs(m.Answer)
			if len(got) != 40 || !slices.Equal(got[:3], []string{"192.0.2.3", "192.0.2.1", "192.0.2.2"}) {
				t.Errorf("answer (%d) starts %v, want 40 starting with nyc, lon, fra", len(got), got[:min(3, len(got))])
			}
			if m.Answer[0].Header().Name != "D111.cdn.test." {
				t.Errorf("answer name %s", m.Answer[0].Header().Name)
			}
			opt := m.IsEdns0()
			if opt == nil || len(opt.Option) != 1 || opt.Option[0].String() != "203.0.113.0/24/24" {
				t.Errorf("OPT = %v, want ECS 203.0.113.0/24 echoed with scope 24", opt)
			}
		})
	}

	t.Run("udp ECS source prefix 0", func(t *testing.T) {
		m := exchange(t, "udp", addr, withEDNS(question("d111.cdn.test.", dns.TypeA), 4096, 0, ecs(1, 0, 0, "0.0.0.0")))
		if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 40 {
			t.Errorf("rcode %s, %d answers", dns.RcodeToString[m.Rcode], len(m.Answer))
		}
		if opt := m.IsEdns0(); opt == nil || len(opt.Option) != 1 || opt.Option[0].String() != "0.0.0.0/0/0" {
			t.Errorf("OPT = %v, want ECS echoed with source and scope 0", opt)
		}
	})

	t.Run("udp ECS with bits past the prefix", func(t *testing.T) {
		// miekg/dns masks the address when it packs, so set a bit past
		// the /20 in the last byte of the packed query (the option's).
		q := withEDNS(question("d111.cdn.test.", dns.TypeA), 4096, 0, ecs(1, 20, 0, "198.51.96.0"))
		b, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		if b[len(b)-1] != 96 {
			t.Fatalf("the packed query ends in %d, not the option's address", b[len(b)-1])
		}
		b[len(b)-1] = 100
		m := rawUDP(t, addr, b)
		if m.Rcode != dns.RcodeFormatError || len(m.Answer) != 0 {
			t.Errorf("rcode %s, %d answers; want FORMERR", dns.RcodeToString[m.Rcode], len(m.Answer))
		}
	})

	t.Run("truncated over UDP, whole over TCP", func(t *testing.T) {
		q := withEDNS(question("d111.cdn.test.", dns.TypeA), 512, 0)
		m := exchange(t, "udp", addr, q)
		if !m.Truncated || len(m.Answer) >= 40 {
			t.Errorf("UDP with a 512-byte buffer: TC %v, %d answers; want TC and fewer than 40", m.Truncated, len(m.Answer))
		}
		m = exchange(t, "tcp", addr, q)
		if m.Truncated || len(m.Answer) != 40 {
			t.Errorf("TCP: TC %v, %d answers; want all 40", m.Truncated, len(m.Answer))
		}
		m = exchange(t, "udp", addr, question("d111.cdn.test.", dns.TypeA))
		if !m.Truncated {
			t.Error("UDP without EDNS: 40 addresses fit in 512 bytes?")
		}
	})

	t.Run("negative answers", func(t *testing.T) {
		for _, tc := range []struct {
			network, name string
			qtype         uint16
			rcode         int
		}{
			{"udp", "d999.cdn.test.", dns.TypeA, dns.RcodeNameError},
			{"tcp", "d999.cdn.test.", dns.TypeA, dns.RcodeNameError},
			{"udp", "d111.cdn.test.", dns.TypeMX, dns.RcodeSuccess},
			{"udp", "example.com.", dns.TypeA, dns.RcodeRefused},
		} {
			m := exchange(t, tc.network, addr, question(tc.name, tc.qtype))
			if m.Rcode != tc.rcode || len(m.Answer) != 0 {
				t.Errorf("%s %s %s: rcode %s, %d answers; want %s and none", tc.network, tc.name,
					dns.TypeToString[tc.qtype], dns.RcodeToString[m.Rcode], len(m.Answer), dns.RcodeToString[tc.rcode])
			}
		}
	})

	t.Run("SOA and NS over TCP", func(t *testing.T) {
		m := exchange(t, "tcp", addr, question("cdn.test.", dns.TypeNS))
		if len(m.Answer) != 1 || len(m.Extra) != 2 {
			t.Errorf("NS: answer %v, additional %v", m.Answer, m.Extra)
		}
		m = exchange(t, "tcp", addr, question("cdn.test.", dns.TypeSOA))
		if soa, ok := m.Answer[0].(*dns.SOA); !ok || soa.Serial != 42 {
			t.Errorf("SOA: %v", m.Answer)
		}
	})
}

// rawUDP sends a packed query and unpacks the reply.
func rawUDP(t *testing.T, addr string, b []byte) *dns.Msg {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	return m
}
