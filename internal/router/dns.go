package router

import (
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// EDNS0 limits: the UDP payload size the router offers (the DNS flag day
// 2020 value, which avoids IP fragmentation) and the most it honours from
// a client.
const (
	ednsSize    = 1232
	maxUDPSize  = 4096
	minUDPSize  = 512
	soaRefresh  = 3600
	soaRetry    = 600
	soaExpire   = 86400
	soaTTL      = 3600
	nsName      = "ns1"
	hostmaster  = "hostmaster"
	anyFallback = dns.TypeA
)

// ServeDNS answers one query. It is authoritative for the zone only:
// names outside it are REFUSED.
func (r *Router) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := r.answer(req, remoteAddr(w.RemoteAddr()), isUDP(w))
	w.WriteMsg(m)
}

func remoteAddr(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	}
	return netip.Addr{}
}

func isUDP(w dns.ResponseWriter) bool {
	_, ok := w.RemoteAddr().(*net.UDPAddr)
	return ok
}

// answer builds the reply to req from a resolver at from.
func (r *Router) answer(req *dns.Msg, from netip.Addr, udp bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Compress = true
	m.RecursionAvailable = false
	opt := req.IsEdns0()
	var resp *dns.OPT
	if opt != nil {
		// Every answer to an EDNS query carries an OPT, errors included
		// (RFC 6891 §7).
		resp = &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT}}
		resp.SetUDPSize(ednsSize)
		m.Extra = append(m.Extra, resp)
	}
	if len(req.Question) != 1 || req.Response {
		m.Question = nil
		return r.fail(m, dns.RcodeFormatError)
	}
	if req.Opcode != dns.OpcodeQuery {
		return r.fail(m, dns.RcodeNotImplemented)
	}
	client := Client{Addr: from}
	size := minUDPSize
	if opt != nil {
		if opt.Version() != 0 {
			return r.fail(m, dns.RcodeBadVers)
		}
		size = max(minUDPSize, min(int(opt.UDPSize()), maxUDPSize))
		for _, o := range opt.Option {
			ecs, ok := o.(*dns.EDNS0_SUBNET)
			if !ok {
				continue
			}
			echo, addr, ok := clientSubnet(ecs)
			if !ok {
				return r.fail(m, dns.RcodeFormatError)
			}
			resp.Option = append(resp.Option, echo)
			if addr.IsValid() {
				client.Addr = addr
			}
		}
	}
	if !udp {
		size = dns.MaxMsgSize
	}
	q := req.Question[0]
	rcode := r.resolve(m, q, client)
	m.Rcode = rcode
	if rcode == dns.RcodeRefused {
		m.Authoritative = false
	} else {
		m.Authoritative = true
	}
	r.metrics.responses(rcode)
	m.Truncate(size)
	return m
}

func (r *Router) fail(m *dns.Msg, rcode int) *dns.Msg {
	m.Rcode = rcode
	r.metrics.responses(rcode)
	return m
}

// clientSubnet checks an EDNS Client Subnet option (RFC 7871 §7.1) and
// returns the option to echo (scope = the source prefix: the answer was
// chosen from that much of the address) and the client address to place,
// invalid when the source prefix is 0 (use the resolver's address).
func clientSubnet(o *dns.EDNS0_SUBNET) (*dns.EDNS0_SUBNET, netip.Addr, bool) {
	var bits int
	switch o.Family {
	case 0:
		// dig +subnet=0 sends FAMILY 0 with SOURCE PREFIX-LENGTH 0 ("do
		// not use my address"), which BIND accepts too.
	case 1:
		bits = 32
	case 2:
		bits = 128
	default:
		return nil, netip.Addr{}, false
	}
	if int(o.SourceNetmask) > bits || o.SourceScope != 0 {
		return nil, netip.Addr{}, false
	}
	echo := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: o.Family, SourceNetmask: o.SourceNetmask,
		SourceScope: o.SourceNetmask, Address: o.Address}
	if o.SourceNetmask == 0 {
		// The echo keeps the query's address: miekg/dns cannot pack a
		// family 1 or 2 option without one (it sends none of it at /0).
		return echo, netip.Addr{}, true
	}
	ip, ok := netip.AddrFromSlice(o.Address)
	if !ok {
		return nil, netip.Addr{}, false
	}
	if o.Family == 1 {
		ip = ip.Unmap()
		if !ip.Is4() {
			return nil, netip.Addr{}, false
		}
	} else if !ip.Is6() {
		return nil, netip.Addr{}, false
	}
	p, err := ip.Prefix(int(o.SourceNetmask))
	if err != nil || p.Addr() != ip {
		// Bits past the source prefix must be zero (RFC 7871 §6).
		return nil, netip.Addr{}, false
	}
	return echo, ip, true
}

// resolve fills m's sections for q and returns the rcode.
func (r *Router) resolve(m *dns.Msg, q dns.Question, c Client) int {
	if q.Qclass != dns.ClassINET {
		return dns.RcodeRefused
	}
	name := strings.ToLower(q.Name)
	zone := r.zone
	if name != zone && !strings.HasSuffix(name, "."+zone) {
		return dns.RcodeRefused
	}
	n := r.names.Load()
	qtype := q.Qtype
	if qtype == dns.TypeANY {
		qtype = anyFallback // RFC 8482: a subset is a complete answer
	}
	switch {
	case name == zone:
		switch qtype {
		case dns.TypeSOA:
			m.Answer = append(m.Answer, r.soa(n))
		case dns.TypeNS:
			m.Answer = append(m.Answer, r.ns())
			m.Extra = append(m.Extra, r.glue(dns.TypeA)...)
			m.Extra = append(m.Extra, r.glue(dns.TypeAAAA)...)
		default:
			m.Ns = append(m.Ns, r.soa(n))
		}
		return dns.RcodeSuccess
	case name == r.nsHost:
		if qtype == dns.TypeA || qtype == dns.TypeAAAA {
			m.Answer = appendAddrs(m.Answer, q.Name, qtype, soaTTL, r.nsAddrs)
		}
		if len(m.Answer) == 0 {
			m.Ns = append(m.Ns, r.soa(n))
		}
		return dns.RcodeSuccess
	}
	if _, ok := n.dists[name]; ok {
		if qtype == dns.TypeA || qtype == dns.TypeAAAA {
			r.answerEdges(m, q.Name, qtype, r.place(c))
		}
		if len(m.Answer) == 0 {
			m.Ns = append(m.Ns, r.soa(n))
		}
		return dns.RcodeSuccess
	}
	// e-<edge>.dXXXX.<zone>: one edge, by name, for the redirect mode.
	if label, rest, ok := strings.Cut(name, "."); ok {
		if _, ok := n.dists[rest]; ok {
			if ed, ok := r.edgeByLabel(label); ok {
				if qtype == dns.TypeA || qtype == dns.TypeAAAA {
					m.Answer = appendAddrs(m.Answer, q.Name, qtype, r.ttl, ed.Addrs)
				}
				if len(m.Answer) == 0 {
					m.Ns = append(m.Ns, r.soa(n))
				}
				return dns.RcodeSuccess
			}
		}
	}
	m.Ns = append(m.Ns, r.soa(n))
	return dns.RcodeNameError
}

// answerEdges answers the best edges' addresses of qtype's family.
func (r *Router) answerEdges(m *dns.Msg, qname string, qtype uint16, c Client) {
	edges := r.edges.Snapshot()
	// A small array keeps the ranking off the heap for the usual few edges.
	var buf [16]*Edge
	ranked := Rank(buf[:0], edges, c, 0)
	if m.Answer == nil {
		m.Answer = make([]dns.RR, 0, r.answers)
	}
	n := 0
	for _, e := range ranked {
		before := len(m.Answer)
		m.Answer = appendAddrs(m.Answer, qname, qtype, r.ttl, e.Addrs)
		if len(m.Answer) > before {
			if n == 0 {
				r.metrics.answered(e.ID, c.Country)
			}
			if n++; n == r.answers {
				return
			}
		}
	}
}

func appendAddrs(rrs []dns.RR, qname string, qtype uint16, ttl uint32, addrs []netip.Addr) []dns.RR {
	for _, a := range addrs {
		hdr := dns.RR_Header{Name: qname, Rrtype: qtype, Class: dns.ClassINET, Ttl: ttl}
		switch {
		case qtype == dns.TypeA && a.Is4():
			rr := &aRecord{ip: a.As4()}
			rr.A = dns.A{Hdr: hdr, A: rr.ip[:]}
			rrs = append(rrs, &rr.A)
		case qtype == dns.TypeAAAA && a.Is6():
			rr := &aaaaRecord{ip: a.As16()}
			rr.AAAA = dns.AAAA{Hdr: hdr, AAAA: rr.ip[:]}
			rrs = append(rrs, &rr.AAAA)
		}
	}
	return rrs
}

// aRecord and aaaaRecord hold a record and its address in one allocation
// (answers are built for every query).
type aRecord struct {
	dns.A
	ip [4]byte
}

type aaaaRecord struct {
	dns.AAAA
	ip [16]byte
}

func (r *Router) soa(n *names) dns.RR {
	return &dns.SOA{
		Hdr:     dns.RR_Header{Name: r.zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: soaTTL},
		Ns:      r.nsHost,
		Mbox:    hostmaster + "." + r.zone,
		Serial:  n.serial,
		Refresh: soaRefresh, Retry: soaRetry, Expire: soaExpire,
		// Negative answers are cached no longer than a positive one, so a
		// distribution created a moment later resolves soon.
		Minttl: r.ttl,
	}
}

func (r *Router) ns() dns.RR {
	return &dns.NS{Hdr: dns.RR_Header{Name: r.zone, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: soaTTL}, Ns: r.nsHost}
}

func (r *Router) glue(qtype uint16) []dns.RR {
	return appendAddrs(nil, r.nsHost, qtype, soaTTL, r.nsAddrs)
}

func (r *Router) edgeByLabel(label string) (Edge, bool) {
	for _, e := range r.edges.Snapshot() {
		if EdgeLabel(e.ID) == label {
			return e, true
		}
	}
	return Edge{}, false
}
