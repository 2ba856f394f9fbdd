package router

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/pharos-cdn/pharos/internal/bus"
)

// fakeGeo places addresses by prefix, as a GeoIP database would; the
// prefixes must not overlap.
type fakeGeo map[netip.Prefix]fakePlace

type fakePlace struct {
	lat, lon float64
	country  string
	coords   bool
}

func (g fakeGeo) Location(a netip.Addr) (lat, lon float64, country string, ok bool) {
	for p, pl := range g {
		if p.Contains(a) {
			return pl.lat, pl.lon, pl.country, pl.coords
		}
	}
	return 0, 0, "", false
}

var _ Locator = fakeGeo(nil)

// Resolver (or ECS) addresses the fake database places.
const (
	inLondon   = "198.51.100.7"
	inNewYork  = "203.0.113.9"
	inJapan    = "100.64.0.1" // country only, no coordinates
	nowhere    = "10.0.0.1"   // not in the database
	inGermany6 = "2001:db8:aaaa::1"
)

func testGeo() fakeGeo {
	return fakeGeo{
		netip.MustParsePrefix("198.51.100.0/24"):    {london[0], london[1], "GB", true},
		netip.MustParsePrefix("203.0.113.0/24"):     {newYork[0], newYork[1], "US", true},
		netip.MustParsePrefix("100.64.0.0/10"):      {0, 0, "JP", false},
		netip.MustParsePrefix("2001:db8:aaaa::/48"): {frankfurt[0], frankfurt[1], "DE", true},
	}
}

// The three test edges: lon and nyc have IPv4 and IPv6 addresses, fra
// IPv4 only.
var (
	lonHB = bus.Heartbeat{ID: "lon", POP: "lhr", HTTP: "127.0.0.1:8081", Lat: london[0], Lon: london[1], Located: true,
		PublicAddrs: []string{"192.0.2.1", "2001:db8::1"}}
	fraHB = bus.Heartbeat{ID: "fra", POP: "fra", HTTP: "127.0.0.2:8081", Lat: frankfurt[0], Lon: frankfurt[1],
		Located: true, PublicAddrs: []string{"192.0.2.2"}}
	nycHB = bus.Heartbeat{ID: "nyc", POP: "jfk", HTTP: "127.0.0.3:80", Lat: newYork[0], Lon: newYork[1], Located: true,
		PublicAddrs: []string{"192.0.2.3", "2001:db8::3"}}
)

const testTTL = 30

// newTestRouter returns a router for cdn.test answering for d111 and
// d222, with the given edges (lon, fra and nyc when none).
func newTestRouter(t testing.TB, cfg Config, hbs ...bus.Heartbeat) *Router {
	t.Helper()
	if cfg.Zone == "" {
		cfg.Zone = "cdn.test"
	}
	if cfg.TTL == 0 {
		cfg.TTL = testTTL
	}
	if cfg.NSAddrs == nil {
		cfg.NSAddrs = []netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("2001:db8::53")}
	}
	if cfg.Geo == nil {
		cfg.Geo = testGeo()
	}
	if len(hbs) == 0 {
		hbs = []bus.Heartbeat{lonHB, fraHB, nycHB}
	}
	edges := NewEdges()
	for _, hb := range hbs {
		edges.Heartbeat(hb)
	}
	r := New(cfg, edges)
	r.SetDistributions(testDistributions(), 42)
	return r
}

// ask calls the router directly, as ServeDNS would for a query from
// from, and checks that the reply packs.
func ask(t *testing.T, r *Router, q *dns.Msg, from string, udp bool) *dns.Msg {
	t.Helper()
	m := r.answer(q, netip.MustParseAddr(from), udp)
	if _, err := m.Pack(); err != nil {
		t.Fatalf("the reply does not pack: %v\n%v", err, m)
	}
	return m
}

func question(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

// addrs lists the A and AAAA addresses of a section.
func addrs(rrs []dns.RR) []string {
	out := []string{}
	for _, rr := range rrs {
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, rr.A.String())
		case *dns.AAAA:
			out = append(out, rr.AAAA.String())
		}
	}
	return out
}

func TestAnswer(t *testing.T) {
	r := newTestRouter(t, Config{})
	soa := "cdn.test.\t3600\tIN\tSOA\tns1.cdn.test. hostmaster.cdn.test. 42 3600 600 86400 30"
	for _, tc := range []struct {
		name  string
		qname string
		qtype uint16
		from  string
		rcode int
		// want lists the answer's addresses in order (nil: no answer).
		want []string
		// answer, when set, is the answer section as text instead.
		answer []string
		// soa says the authority section holds the zone's SOA.
		soa bool
	}{
		{"A from London", "d111.cdn.test.", dns.TypeA, inLondon, dns.RcodeSuccess,
			[]string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, nil, false},
		{"A from New York", "d111.cdn.test.", dns.TypeA, inNewYork, dns.RcodeSuccess,
			[]string{"192.0.2.3", "192.0.2.1", "192.0.2.2"}, nil, false},
		{"A from Frankfurt over IPv6", "d222.cdn.test.", dns.TypeA, inGermany6, dns.RcodeSuccess,
			[]string{"192.0.2.2", "192.0.2.1", "192.0.2.3"}, nil, false},
		{"A from an unplaced resolver: by load, then id", "d111.cdn.test.", dns.TypeA, nowhere, dns.RcodeSuccess,
			[]string{"192.0.2.2", "192.0.2.1", "192.0.2.3"}, nil, false},
		{"A from a country without coordinates", "d111.cdn.test.", dns.TypeA, inJapan, dns.RcodeSuccess,
			[]string{"192.0.2.2", "192.0.2.1", "192.0.2.3"}, nil, false},
		{"AAAA leaves out the edge without IPv6", "d111.cdn.test.", dns.TypeAAAA, inNewYork, dns.RcodeSuccess,
			[]string{"2001:db8::3", "2001:db8::1"}, nil, false},
		{"ANY answers the A records (RFC 8482)", "d111.cdn.test.", dns.TypeANY, inLondon, dns.RcodeSuccess,
			[]string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, nil, false},
		{"case is preserved", "D111.Cdn.TEST.", dns.TypeA, inLondon, dns.RcodeSuccess, nil,
			[]string{"D111.Cdn.TEST.\t30\tIN\tA\t192.0.2.1", "D111.Cdn.TEST.\t30\tIN\tA\t192.0.2.2",
				"D111.Cdn.TEST.\t30\tIN\tA\t192.0.2.3"}, false},
		{"MX: NODATA", "d111.cdn.test.", dns.TypeMX, inLondon, dns.RcodeSuccess, nil, nil, true},
		{"TXT: NODATA", "d222.cdn.test.", dns.TypeTXT, inLondon, dns.RcodeSuccess, nil, nil, true},
		{"SOA at the apex", "cdn.test.", dns.TypeSOA, inLondon, dns.RcodeSuccess, nil, []string{soa}, false},
		{"SOA at the apex, any case", "CDN.test.", dns.TypeSOA, inLondon, dns.RcodeSuccess, nil, []string{soa}, false},
		{"NS at the apex", "cdn.test.", dns.TypeNS, inLondon, dns.RcodeSuccess, nil,
			[]string{"cdn.test.\t3600\tIN\tNS\tns1.cdn.test."}, false},
		{"A at the apex: NODATA", "cdn.test.", dns.TypeA, inLondon, dns.RcodeSuccess, nil, nil, true},
		{"the name server's A", "ns1.cdn.test.", dns.TypeA, inLondon, dns.RcodeSuccess, nil,
			[]string{"ns1.cdn.test.\t3600\tIN\tA\t192.0.2.53"}, false},
		{"the name server's AAAA", "ns1.cdn.test.", dns.TypeAAAA, inLondon, dns.RcodeSuccess, nil,
			[]string{"ns1.cdn.test.\t3600\tIN\tAAAA\t2001:db8::53"}, false},
		{"the name server's MX: NODATA", "ns1.cdn.test.", dns.TypeMX, inLondon, dns.RcodeSuccess, nil, nil, true},
		{"an edge by name", "e-fra.d111.cdn.test.", dns.TypeA, inNewYork, dns.RcodeSuccess, nil,
			[]string{"e-fra.d111.cdn.test.\t30\tIN\tA\t192.0.2.2"}, false},
		{"an edge by name, any case", "E-LON.d222.cdn.test.", dns.TypeAAAA, inNewYork, dns.RcodeSuccess, nil,
			[]string{"E-LON.d222.cdn.test.\t30\tIN\tAAAA\t2001:db8::1"}, false},
		{"an edge by name without that family: NODATA", "e-fra.d111.cdn.test.", dns.TypeAAAA, inLondon,
			dns.RcodeSuccess, nil, nil, true},
		{"an edge by name, other type: NODATA", "e-lon.d111.cdn.test.", dns.TypeMX, inLondon,
			dns.RcodeSuccess, nil, nil, true},
		{"an unknown edge", "e-ams.d111.cdn.test.", dns.TypeA, inLondon, dns.RcodeNameError, nil, nil, true},
		{"an edge under an unknown distribution", "e-lon.d999.cdn.test.", dns.TypeA, inLondon, dns.RcodeNameError, nil, nil, true},
		{"an unknown distribution", "d999.cdn.test.", dns.TypeA, inLondon, dns.RcodeNameError, nil, nil, true},
		{"two labels under a distribution", "a.e-lon.d111.cdn.test.", dns.TypeA, inLondon, dns.RcodeNameError, nil, nil, true},
		{"an unknown name, other type", "www.cdn.test.", dns.TypeMX, inLondon, dns.RcodeNameError, nil, nil, true},
		{"outside the zone", "example.com.", dns.TypeA, inLondon, dns.RcodeRefused, nil, nil, false},
		{"a zone that only ends like ours", "xcdn.test.", dns.TypeA, inLondon, dns.RcodeRefused, nil, nil, false},
		{"our zone inside another", "d111.cdn.test.example.", dns.TypeA, inLondon, dns.RcodeRefused, nil, nil, false},
		{"the root", ".", dns.TypeNS, inLondon, dns.RcodeRefused, nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := question(tc.qname, tc.qtype)
			q.RecursionDesired = true
			m := ask(t, r, q, tc.from, true)
			if m.Rcode != tc.rcode {
				t.Fatalf("rcode = %s, want %s\n%v", dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.rcode], m)
			}
			if !m.Response || m.Id != q.Id || m.RecursionAvailable || !m.RecursionDesired {
				t.Errorf("header: response=%v id=%d (want %d) ra=%v rd=%v", m.Response, m.Id, q.Id,
					m.RecursionAvailable, m.RecursionDesired)
			}
			if want := tc.rcode != dns.RcodeRefused; m.Authoritative != want {
				t.Errorf("AA = %v, want %v", m.Authoritative, want)
			}
			if len(m.Question) != 1 || m.Question[0].Name != tc.qname {
				t.Errorf("question = %v", m.Question)
			}
			switch {
			case tc.answer != nil:
				var got []string
				for _, rr := range m.Answer {
					got = append(got, rr.String())
				}
				if !slices.Equal(got, tc.answer) {
					t.Errorf("answer =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.answer, "\n"))
				}
			case tc.want != nil:
				if got := addrs(m.Answer); !slices.Equal(got, tc.want) {
					t.Errorf("answer = %v, want %v", got, tc.want)
				}
				for _, rr := range m.Answer {
					if h := rr.Header(); h.Ttl != testTTL || h.Name != tc.qname || h.Class != dns.ClassINET {
						t.Errorf("record %v: want TTL %d, name %s, class IN", rr, testTTL, tc.qname)
					}
				}
			default:
				if len(m.Answer) != 0 {
					t.Errorf("answer = %v, want none", m.Answer)
				}
			}
			if tc.soa {
				if len(m.Ns) != 1 || m.Ns[0].String() != soa {
					t.Errorf("authority = %v, want the SOA %s", m.Ns, soa)
				}
			} else if len(m.Ns) != 0 {
				t.Errorf("authority = %v, want none", m.Ns)
			}
		})
	}
}

func TestAnswerNSGlue(t *testing.T) {
	r := newTestRouter(t, Config{})
	m := ask(t, r, question("cdn.test.", dns.TypeNS), inLondon, true)
	var got []string
	for _, rr := range m.Extra {
		got = append(got, rr.String())
	}
	want := []string{"ns1.cdn.test.\t3600\tIN\tA\t192.0.2.53", "ns1.cdn.test.\t3600\tIN\tAAAA\t2001:db8::53"}
	if !slices.Equal(got, want) {
		t.Errorf("additional = %v, want glue %v", got, want)
	}
}

func TestAnswerSerialFollowsRevision(t *testing.T) {
	r := newTestRouter(t, Config{})
	r.SetDistributions(testDistributions()[:1], 43)
	m := ask(t, r, question("cdn.test.", dns.TypeSOA), inLondon, true)
	if soa, ok := m.Answer[0].(*dns.SOA); !ok || soa.Serial != 43 {
		t.Errorf("SOA = %v, want serial 43", m.Answer)
	}
	if m := ask(t, r, question("d222.cdn.test.", dns.TypeA), inLondon, true); m.Rcode != dns.RcodeNameError {
		t.Errorf("a removed distribution answers %s", dns.RcodeToString[m.Rcode])
	}
}

func TestAnswerFamilyNoEdgeHas(t *testing.T) {
	r := newTestRouter(t, Config{}, fraHB, bus.Heartbeat{ID: "v4", HTTP: "127.0.0.9:80"})
	m := ask(t, r, question("d111.cdn.test.", dns.TypeAAAA), inLondon, true)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 || len(m.Ns) != 1 || m.Ns[0].Header().Rrtype != dns.TypeSOA {
		t.Errorf("AAAA with IPv4-only edges: want NODATA with the SOA, got\n%v", m)
	}
	m = ask(t, r, question("d111.cdn.test.", dns.TypeA), inLondon, true)
	if got := addrs(m.Answer); !slices.Equal(got, []string{"192.0.2.2", "127.0.0.9"}) {
		t.Errorf("A = %v", got)
	}
}

func TestAnswerNoEdges(t *testing.T) {
	r := New(Config{Zone: "cdn.test", TTL: testTTL}, NewEdges())
	r.SetDistributions(testDistributions(), 1)
	m := ask(t, r, question("d111.cdn.test.", dns.TypeA), inLondon, true)
	if m.Rcode != dns.RcodeSuccess || len(m.Answer) != 0 || len(m.Ns) != 1 {
		t.Errorf("no edges: want NODATA, got\n%v", m)
	}
}

func TestAnswerEdgeCountAndHealth(t *testing.T) {
	two := lonHB
	two.PublicAddrs = []string{"192.0.2.1", "192.0.2.11", "2001:db8::1"}
	r := newTestRouter(t, Config{Answers: 2}, two, fraHB, nycHB)
	m := ask(t, r, question("d111.cdn.test.", dns.TypeA), inLondon, true)
	if got := addrs(m.Answer); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.11", "192.0.2.2"}) {
		t.Errorf("two edges' addresses = %v", got)
	}
	// fra fails its probes: it is left out.
	for range ProbeFailures {
		r.edges.record("fra", false)
	}
	m = ask(t, r, question("d111.cdn.test.", dns.TypeA), inLondon, true)
	if got := addrs(m.Answer); !slices.Equal(got, []string{"192.0.2.1", "192.0.2.11", "192.0.2.3"}) {
		t.Errorf("with fra down = %v", got)
	}
	// ... but still answers by its own name (the redirect mode's target).
	m = ask(t, r, question("e-fra.d111.cdn.test.", dns.TypeA), inLondon, true)
	if got := addrs(m.Answer); !slices.Equal(got, []string{"192.0.2.2"}) {
		t.Errorf("e-fra while down = %v", got)
	}
}

func TestAnswerMalformed(t *testing.T) {
	r := newTestRouter(t, Config{})
	two := question("d111.cdn.test.", dns.TypeA)
	two.Question = append(two.Question, dns.Question{Name: "d222.cdn.test.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
	none := question("d111.cdn.test.", dns.TypeA)
	none.Question = nil
	resp := question("d111.cdn.test.", dns.TypeA)
	resp.Response = true
	chaos := question("version.bind.", dns.TypeTXT)
	chaos.Question[0].Qclass = dns.ClassCHAOS
	chaosZone := question("d111.cdn.test.", dns.TypeA)
	chaosZone.Question[0].Qclass = dns.ClassCHAOS
	opcode := func(op int) *dns.Msg {
		m := question("d111.cdn.test.", dns.TypeA)
		m.Opcode = op
		return m
	}
	for _, tc := range []struct {
		name  string
		q     *dns.Msg
		rcode int
	}{
		{"two questions", two, dns.RcodeFormatError},
		{"no question", none, dns.RcodeFormatError},
		{"a response", resp, dns.RcodeFormatError},
		{"NOTIFY", opcode(dns.OpcodeNotify), dns.RcodeNotImplemented},
		{"UPDATE", opcode(dns.OpcodeUpdate), dns.RcodeNotImplemented},
		{"STATUS", opcode(dns.OpcodeStatus), dns.RcodeNotImplemented},
		{"class CHAOS", chaos, dns.RcodeRefused},
		{"class CHAOS in the zone", chaosZone, dns.RcodeRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ask(t, r, tc.q, inLondon, true)
			if m.Rcode != tc.rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.rcode])
			}
			if len(m.Answer) != 0 || m.Authoritative {
				t.Errorf("answer %v, AA %v: want none, not authoritative", m.Answer, m.Authoritative)
			}
			if m.Id != tc.q.Id || !m.Response {
				t.Errorf("id %d response %v", m.Id, m.Response)
			}
		})
	}
}

// withEDNS adds an OPT record of the given size and version, and options.
func withEDNS(m *dns.Msg, size uint16, version uint8, opts ...dns.EDNS0) *dns.Msg {
	o := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
	o.SetUDPSize(size)
	o.SetVersion(version)
	o.Option = opts
	m.Extra = append(m.Extra, o)
	return m
}

func ecs(family uint16, prefix, scope uint8, addr string) *dns.EDNS0_SUBNET {
	return &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: family, SourceNetmask: prefix, SourceScope: scope,
		Address: net.ParseIP(addr)}
}

func TestAnswerEDNS(t *testing.T) {
	r := newTestRouter(t, Config{})
	m := ask(t, r, question("d111.cdn.test.", dns.TypeA), inLondon, true)
	if m.IsEdns0() != nil {
		t.Error("an OPT record in the reply to a query without one")
	}
	m = ask(t, r, withEDNS(question("d111.cdn.test.", dns.TypeA), 4096, 0), inLondon, true)
	opt := m.IsEdns0()
	if opt == nil {
		t.Fatal("no OPT record in the reply to an EDNS query")
	}
	if opt.UDPSize() != 1232 || opt.Version() != 0 || len(opt.Option) != 0 {
		t.Errorf("OPT = %v, want our UDP size 1232, version 0, no options", opt)
	}
	if got := addrs(m.Answer); len(got) != 3 {
		t.Errorf("answer = %v", got)
	}

	m = ask(t, r, withEDNS(question("d111.cdn.test.", dns.TypeA), 4096, 1), inLondon, true)
	if m.Rcode != dns.RcodeBadVers || len(m.Answer) != 0 {
		t.Errorf("EDNS version 1: rcode %s, answer %v; want BADVERS and none", dns.RcodeToString[m.Rcode], m.Answer)
	}
	if opt := m.IsEdns0(); opt == nil || opt.Version() != 0 {
		t.Errorf("BADVERS must carry an OPT of the version we speak (RFC 6891 §6.1.3): %v", opt)
	}
	// BADVERS is an extended rcode: it must survive the wire.
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	var back dns.Msg
	if err := back.Unpack(b); err != nil || back.Rcode != dns.RcodeBadVers {
		t.Errorf("BADVERS unpacks as %s (%v)", dns.RcodeToString[back.Rcode], err)
	}
}

func TestAnswerClientSubnet(t *testing.T) {
	r := newTestRouter(t, Config{})
	for _, tc := range []struct {
		name  string
		from  string
		opt   *dns.EDNS0_SUBNET
		rcode int
		want  []string // answer, in order
		echo  string   // the echoed option, as miekg/dns prints it
	}{
		{"ECS places the client, not the resolver", inNewYork, ecs(1, 24, 0, "198.51.100.0"), dns.RcodeSuccess,
			[]string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, "198.51.100.0/24/24"},
		{"a longer source prefix", inLondon, ecs(1, 32, 0, "203.0.113.9"), dns.RcodeSuccess,
			[]string{"192.0.2.3", "192.0.2.1", "192.0.2.2"}, "203.0.113.9/32/32"},
		{"IPv6 ECS from an IPv4 resolver", inNewYork, ecs(2, 48, 0, "2001:db8:aaaa::"), dns.RcodeSuccess,
			[]string{"192.0.2.2", "192.0.2.1", "192.0.2.3"}, "[2001:db8:aaaa::]/48/48"},
		{"ECS the database does not know: unplaced", inLondon, ecs(1, 24, 0, "10.1.2.0"), dns.RcodeSuccess,
			[]string{"192.0.2.2", "192.0.2.1", "192.0.2.3"}, "10.1.2.0/24/24"},
		{"source prefix 0: the resolver's address, scope 0", inNewYork, ecs(1, 0, 0, "0.0.0.0"), dns.RcodeSuccess,
			[]string{"192.0.2.3", "192.0.2.1", "192.0.2.2"}, "0.0.0.0/0/0"},
		{"IPv6 source prefix 0", inLondon, ecs(2, 0, 0, "::"), dns.RcodeSuccess,
			[]string{"192.0.2.1", "192.0.2.2", "192.0.2.3"}, "[::]/0/0"},
		{"bits past the source prefix", inLondon, ecs(1, 24, 0, "198.51.100.7"), dns.RcodeFormatError, nil, ""},
		{"IPv6 bits past the source prefix", inLondon, ecs(2, 32, 0, "2001:db8:aaaa::"), dns.RcodeFormatError, nil, ""},
		{"a scope in a query", inLondon, ecs(1, 24, 24, "198.51.100.0"), dns.RcodeFormatError, nil, ""},
		{"source prefix too long", inLondon, ecs(1, 33, 0, "198.51.100.7"), dns.RcodeFormatError, nil, ""},
		{"unknown family", inLondon, ecs(3, 24, 0, "198.51.100.0"), dns.RcodeFormatError, nil, ""},
		{"an IPv6 address as family 1", inLondon, ecs(1, 24, 0, "2001:db8::"), dns.RcodeFormatError, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := r.answer(withEDNS(question("d111.cdn.test.", dns.TypeA), 1232, 0, tc.opt), netip.MustParseAddr(tc.from), true)
			if m.Rcode != tc.rcode {
				t.Fatalf("rcode = %s, want %s\n%v", dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.rcode], m)
			}
			if got := addrs(m.Answer); tc.want != nil && !slices.Equal(got, tc.want) {
				t.Errorf("answer = %v, want %v", got, tc.want)
			}
			opt := m.IsEdns0()
			if opt == nil {
				t.Fatal("no OPT in the reply")
			}
			if tc.echo == "" {
				if len(opt.Option) != 0 {
					t.Errorf("options %v in an error reply", opt.Option)
				}
				return
			}
			if len(opt.Option) != 1 {
				t.Fatalf("options = %v, want the ECS option echoed", opt.Option)
			}
			e, ok := opt.Option[0].(*dns.EDNS0_SUBNET)
			if !ok || e.String() != tc.echo || e.Family != tc.opt.Family {
				t.Errorf("echoed %v, want %s", opt.Option[0], tc.echo)
			}
			if _, err := m.Pack(); err != nil {
				t.Errorf("the reply does not pack: %v", err)
			}
		})
	}
}

// TestAnswerClientSubnetFamilyZero: dig +subnet=0 sends FAMILY 0 with
// SOURCE PREFIX-LENGTH 0 ("do not use my address"); BIND accepts it.
func TestAnswerClientSubnetFamilyZero(t *testing.T) {
	r := newTestRouter(t, Config{})
	m := ask(t, r, withEDNS(question("d111.cdn.test.", dns.TypeA), 1232, 0, ecs(0, 0, 0, "")), inNewYork, true)
	if m.Rcode != dns.RcodeSuccess {
		t.Fatalf("rcode = %s, want NOERROR", dns.RcodeToString[m.Rcode])
	}
	if got := addrs(m.Answer); !slices.Equal(got, []string{"192.0.2.3", "192.0.2.1", "192.0.2.2"}) {
		t.Errorf("answer = %v, want placed by the resolver (New York)", got)
	}
	if opt := m.IsEdns0(); opt == nil || len(opt.Option) != 1 {
		t.Errorf("the ECS option is not echoed: %v", opt)
	} else if e := opt.Option[0].(*dns.EDNS0_SUBNET); e.SourceScope != 0 || e.SourceNetmask != 0 {
		t.Errorf("echoed %v, want source and scope 0", e)
	}
}

// manyEdges returns n unlocated edges with an IPv4 and an IPv6 address.
func manyEdges(n int) []bus.Heartbeat {
	out := make([]bus.Heartbeat, n)
	for i := range out {
		out[i] = bus.Heartbeat{ID: fmt.Sprintf("edge%02d", i), HTTP: fmt.Sprintf("127.0.1.%d:80", i+1),
			PublicAddrs: []string{fmt.Sprintf("192.0.2.%d", 100+i), fmt.Sprintf("2001:db8::%x", 0x100+i)}}
	}
	return out
}

func TestAnswerTruncation(t *testing.T) {
	r := newTestRouter(t, Config{Answers: 60}, manyEdges(60)...)
	for _, tc := range []struct {
		name   string
		q      *dns.Msg
		udp    bool
		tc     bool
		answer int // at least, when truncated
	}{
		{"UDP without EDNS: 512 bytes", question("d111.cdn.test.", dns.TypeAAAA), true, true, 1},
		{"UDP with a 512-byte buffer", withEDNS(question("d111.cdn.test.", dns.TypeAAAA), 512, 0), true, true, 1},
		{"UDP with a 4096-byte buffer", withEDNS(question("d111.cdn.test.", dns.TypeAAAA), 4096, 0), true, false, 60},
		{"UDP with a 64 KiB buffer, capped", withEDNS(question("d111.cdn.test.", dns.TypeAAAA), 65535, 0), true, false, 60},
		{"TCP", question("d111.cdn.test.", dns.TypeAAAA), false, false, 60},
		{"TCP with a small EDNS buffer", withEDNS(question("d111.cdn.test.", dns.TypeAAAA), 512, 0), false, false, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ask(t, r, tc.q, inLondon, tc.udp)
			if m.Truncated != tc.tc {
				t.Errorf("TC = %v, want %v", m.Truncated, tc.tc)
			}
			if tc.tc {
				if n := len(m.Answer); n >= 60 || n < tc.answer {
					t.Errorf("%d answers in a truncated reply", n)
				}
			} else if n := len(m.Answer); n != tc.answer {
				t.Errorf("%d answers, want %d", n, tc.answer)
			}
			b, _ := m.Pack()
			if limit := 512; tc.tc && len(b) > limit {
				t.Errorf("truncated reply is %d bytes, more than %d", len(b), limit)
			}
			if tc.q.IsEdns0() != nil && m.IsEdns0() == nil {
				t.Error("the OPT record was dropped")
			}
		})
	}
}

func TestAnswerCountsMetrics(t *testing.T) {
	r := newTestRouter(t, Config{})
	for _, from := range []string{inLondon, inLondon, inNewYork, nowhere} {
		ask(t, r, question("d111.cdn.test.", dns.TypeA), from, true)
	}
	ask(t, r, question("d999.cdn.test.", dns.TypeA), inLondon, true)
	ask(t, r, question("d111.cdn.test.", dns.TypeMX), inLondon, true) // NODATA names no edge
	got := r.Answers()
	want := map[string]map[string]uint64{"lon": {"GB": 2}, "nyc": {"US": 1}, "fra": {"--": 1}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Answers() = %v, want %v", got, want)
	}
	if n := r.metrics.rcodes[dns.RcodeSuccess].Load(); n != 5 {
		t.Errorf("%d NOERROR responses counted, want 5", n)
	}
	if n := r.metrics.rcodes[dns.RcodeNameError].Load(); n != 1 {
		t.Errorf("%d NXDOMAIN responses counted, want 1", n)
	}
}
