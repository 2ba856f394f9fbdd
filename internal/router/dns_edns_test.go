package router

import (
	"testing"

	"github.com/miekg/dns"
)

// Errors to an EDNS query still carry an OPT record (RFC 6891 §7).
func TestAnswerErrorsKeepOPT(t *testing.T) {
	r := newTestRouter(t, Config{})
	two := withEDNS(question("cdn.test.", dns.TypeSOA), 1232, 0)
	two.Question = append(two.Question, two.Question[0])
	notify := withEDNS(question("cdn.test.", dns.TypeSOA), 1232, 0)
	notify.Opcode = dns.OpcodeNotify
	for name, tc := range map[string]struct {
		q     *dns.Msg
		rcode int
	}{
		"two questions": {two, dns.RcodeFormatError},
		"NOTIFY":        {notify, dns.RcodeNotImplemented},
	} {
		m := ask(t, r, tc.q, inLondon, true)
		if m.Rcode != tc.rcode {
			t.Errorf("%s: rcode %s, want %s", name, dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.rcode])
		}
		if m.IsEdns0() == nil {
			t.Errorf("%s: the error has no OPT record", name)
		}
	}
}

// The name server's own address answers keep the question's case, as
// every other answer does.
func TestAnswerNSHostKeepsCase(t *testing.T) {
	r := newTestRouter(t, Config{})
	m := ask(t, r, question("NS1.Cdn.Test.", dns.TypeA), inLondon, true)
	if len(m.Answer) != 1 || m.Answer[0].Header().Name != "NS1.Cdn.Test." {
		t.Fatalf("answer = %v, want one A named NS1.Cdn.Test.", m.Answer)
	}
}
