package router

import (
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkAnswer is the router's hot path: an A query with EDNS Client
// Subnet for a distribution, placed by the (fake) database, three edges
// ranked, the reply built and packed as the server would.
func BenchmarkAnswer(b *testing.B) {
	r := newTestRouter(b, Config{})
	q := withEDNS(question("d111.cdn.test.", dns.TypeA), 1232, 0, ecs(1, 24, 0, "198.51.100.0"))
	from := netip.MustParseAddr(inNewYork)
	buf := make([]byte, 0, 1232)
	b.ReportAllocs()
	for b.Loop() {
		m := r.answer(q, from, true)
		out, err := m.PackBuffer(buf)
		if err != nil || len(m.Answer) != 3 {
			b.Fatalf("%d answers, %v", len(m.Answer), err)
		}
		buf = out[:0]
	}
}

// BenchmarkServeDNS adds what miekg/dns does around answer: unpacking the
// query from the wire and packing the reply, through ServeDNS.
func BenchmarkServeDNS(b *testing.B) {
	r := newTestRouter(b, Config{})
	q := withEDNS(question("d111.cdn.test.", dns.TypeA), 1232, 0, ecs(1, 24, 0, "198.51.100.0"))
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	w := &discardWriter{}
	b.ReportAllocs()
	for b.Loop() {
		req := new(dns.Msg)
		if err := req.Unpack(wire); err != nil {
			b.Fatal(err)
		}
		r.ServeDNS(w, req)
	}
	if w.n == 0 {
		b.Fatal("no reply written")
	}
}

// discardWriter is a UDP ResponseWriter that packs and drops replies.
type discardWriter struct{ n int }

var benchClient = &net.UDPAddr{IP: net.IPv4(203, 0, 113, 9), Port: 40000}

func (w *discardWriter) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
}
func (w *discardWriter) RemoteAddr() net.Addr { return benchClient }
func (w *discardWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	w.n += len(b)
	return err
}
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *discardWriter) Close() error                { return nil }
func (w *discardWriter) TsigStatus() error           { return nil }
func (w *discardWriter) TsigTimersOnly(bool)         {}
func (w *discardWriter) Hijack()                     {}
