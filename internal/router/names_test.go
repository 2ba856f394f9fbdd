package router

import (
	"strings"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

func testDistributions() []model.Distribution {
	return []model.Distribution{
		{ID: "E1AAA", DomainName: "d111.cdn.test", Enabled: true, Aliases: []string{"www.Example.com", "*.img.example.com"}},
		{ID: "E2BBB", DomainName: "D222.CDN.test.", Enabled: true},
		{ID: "E3CCC", DomainName: ""}, // not yet named: left out
	}
}

func TestNewNames(t *testing.T) {
	n := newNames(testDistributions(), 7)
	if n.serial != 7 {
		t.Errorf("serial = %d", n.serial)
	}
	want := map[string]string{"d111.cdn.test.": "E1AAA", "d222.cdn.test.": "E2BBB"}
	if len(n.dists) != len(want) {
		t.Errorf("dists = %v, want %v", n.dists, want)
	}
	for k, v := range want {
		if n.dists[k] != v {
			t.Errorf("dists[%q] = %q, want %q", k, n.dists[k], v)
		}
	}
}

func TestHostDomain(t *testing.T) {
	n := newNames(testDistributions(), 1)
	for _, tc := range []struct {
		host, want string // want "" = no distribution
	}{
		{"d111.cdn.test", "d111.cdn.test"},
		{"D111.CDN.TEST.", "d111.cdn.test"},
		{"d222.cdn.test", "d222.cdn.test"},
		{"www.example.com", "d111.cdn.test"},
		{"WWW.EXAMPLE.COM", "d111.cdn.test"},
		{"a.img.example.com", "d111.cdn.test"},
		{"a.b.img.example.com", "d111.cdn.test"},
		{"img.example.com", ""}, // a wildcard needs a label in front
		{"example.com", ""},
		{"xwww.example.com", ""},
		{"e-edge-1.d111.cdn.test", "d111.cdn.test"}, // a redirect's edge name
		{"a.b.d111.cdn.test", ""},
		{"cdn.test", ""},
		{"d333.cdn.test", ""},
		{"", ""},
		{"localhost", ""},
	} {
		t.Run(tc.host, func(t *testing.T) {
			got, ok := n.hostDomain(tc.host)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("hostDomain(%q) = %q, %v; want %q", tc.host, got, ok, tc.want)
			}
		})
	}
}

func TestEdgeLabel(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"edge-1", "e-edge-1"},
		{"Edge_1.LHR", "e-edge-1-lhr"},
		{"host:8080", "e-host-8080"},
		{strings.Repeat("x", 100), "e-" + strings.Repeat("x", 61)},
	} {
		got := EdgeLabel(tc.id)
		if got != tc.want {
			t.Errorf("EdgeLabel(%q) = %q, want %q", tc.id, got, tc.want)
		}
		if len(got) > 63 {
			t.Errorf("EdgeLabel(%q) is %d bytes, longer than a DNS label", tc.id, len(got))
		}
	}
}
