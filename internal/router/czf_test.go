package router

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testCZF is a coverage zone file in Traffic Router's format: a /16 for
// London with a /24 inside it for Paris, IPv6 networks, and a zone with
// no coordinates.
const testCZF = `{
  "revision": "test",
  "customerName": "pharos",
  "coverageZones": {
    "lhr": {"network": ["10.1.0.0/16", "192.0.2.0/24"], "network6": ["2001:db8::/32"],
            "coordinates": {"latitude": 51.5074, "longitude": -0.1278}},
    "cdg": {"network": ["10.1.2.0/24"], "network6": ["2001:db8:2::/48"],
            "coordinates": {"latitude": 48.8566, "longitude": 2.3522}},
    "nowhere": {"network": ["10.9.9.9/32", "10.9.0.1/8"]}
  }
}`

func TestCoverageZonesLookup(t *testing.T) {
	z, err := ParseCoverageZones([]byte(testCZF))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr    string
		pop     string // "" = no zone
		located bool
		lat     float64
	}{
		{"10.1.77.1", "lhr", true, 51.5074},
		{"10.1.2.200", "cdg", true, 48.8566}, // the /24 beats the /16
		{"10.1.3.1", "lhr", true, 51.5074},
		{"192.0.2.255", "lhr", true, 51.5074},
		{"10.9.9.9", "nowhere", false, 0},
		{"10.200.0.1", "nowhere", false, 0}, // "10.9.0.1/8" is masked to 10.0.0.0/8
		{"::ffff:10.1.2.3", "cdg", true, 48.8566},
		{"2001:db8:2:ffff::1", "cdg", true, 48.8566}, // the /48 beats the /32
		{"2001:db8:3::1", "lhr", true, 51.5074},
		{"2001:db9::1", "", false, 0},
		{"11.0.0.1", "", false, 0},
		{"198.51.100.1", "", false, 0},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			zone, ok := z.Lookup(netip.MustParseAddr(tc.addr))
			if tc.pop == "" {
				if ok || zone != nil {
					t.Fatalf("Lookup = %+v, %v; want no zone", zone, ok)
				}
				return
			}
			if !ok || zone == nil {
				t.Fatalf("Lookup found no zone, want %s", tc.pop)
			}
			if zone.POP != tc.pop || zone.Located != tc.located || zone.Lat != tc.lat {
				t.Errorf("Lookup = %+v, want POP %s located %v lat %v", *zone, tc.pop, tc.located, tc.lat)
			}
		})
	}
}

func TestCoverageZonesLookupNilAndInvalid(t *testing.T) {
	var none *CoverageZones
	if zone, ok := none.Lookup(netip.MustParseAddr("10.1.2.3")); ok || zone != nil {
		t.Errorf("nil Lookup = %v, %v", zone, ok)
	}
	z, err := ParseCoverageZones([]byte(testCZF))
	if err != nil {
		t.Fatal(err)
	}
	if zone, ok := z.Lookup(netip.Addr{}); ok || zone != nil {
		t.Errorf("Lookup of the zero address = %v, %v", zone, ok)
	}
}

func TestParseCoverageZonesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		want       []string // substrings of the error
	}{
		{"not JSON", `{"coverageZones": [`, []string{"unexpected end"}},
		{"no coverageZones", `{"zones": {}}`, []string{`"coverageZones"`}},
		{"bad CIDR", `{"coverageZones": {"ams": {"network": ["10.0.0.0/8", "10.1.0.0/33"]}}}`,
			[]string{"coverageZones.ams.network[1]", "10.1.0.0/33"}},
		{"not a prefix", `{"coverageZones": {"ams": {"network6": ["2001:db8::1"]}}}`,
			[]string{"coverageZones.ams.network6[0]"}},
		{"IPv6 in network", `{"coverageZones": {"ams": {"network": ["2001:db8::/32"]}}}`,
			[]string{"coverageZones.ams.network[0]", "wrong address family"}},
		{"IPv4 in network6", `{"coverageZones": {"ams": {"network6": ["2001:db8::/32", "10.0.0.0/8"]}}}`,
			[]string{"coverageZones.ams.network6[1]", "wrong address family"}},
		{"one network in two zones",
			`{"coverageZones": {"ams": {"network": ["10.1.0.0/16"]}, "cdg": {"network": ["10.1.0.0/16"]}}}`,
			[]string{"10.1.0.0/16 is also in zone", "coverageZones."}},
		{"the same network once masked",
			`{"coverageZones": {"ams": {"network": ["10.1.0.0/16"]}, "cdg": {"network": ["10.1.2.3/16"]}}}`,
			[]string{"is also in zone"}},
		{"latitude out of range",
			`{"coverageZones": {"ams": {"coordinates": {"latitude": 91, "longitude": 4.9}}}}`,
			[]string{"coverageZones.ams.coordinates", "out of range"}},
		{"longitude out of range",
			`{"coverageZones": {"ams": {"coordinates": {"latitude": 52, "longitude": -180.5}}}}`,
			[]string{"coverageZones.ams.coordinates", "out of range"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z, err := ParseCoverageZones([]byte(tc.json))
			if err == nil {
				t.Fatalf("ParseCoverageZones accepted it: %+v", z)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestParseCoverageZonesAllowsRepeatsInOneZone(t *testing.T) {
	z, err := ParseCoverageZones([]byte(`{"coverageZones": {"ams": {"network": ["10.1.0.0/16", "10.1.0.0/16"]},
		"edge": {"coordinates": {"latitude": -90, "longitude": 180}}}}`))
	if err != nil {
		t.Fatalf("a network repeated in its own zone, or coordinates on the bounds: %v", err)
	}
	if zone, ok := z.Lookup(netip.MustParseAddr("10.1.0.1")); !ok || zone.POP != "ams" {
		t.Errorf("Lookup = %v, %v", zone, ok)
	}
}

func TestLoadCoverageZones(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "czf.json")
	if err := os.WriteFile(path, []byte(testCZF), 0o644); err != nil {
		t.Fatal(err)
	}
	z, err := LoadCoverageZones(path)
	if err != nil {
		t.Fatal(err)
	}
	if zone, ok := z.Lookup(netip.MustParseAddr("10.1.2.3")); !ok || zone.POP != "cdg" {
		t.Errorf("Lookup = %v, %v", zone, ok)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"coverageZones": {"x": {"network": ["nope"]}}}`), 0o644)
	if _, err := LoadCoverageZones(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("error %v does not name the file", err)
	}
	if _, err := LoadCoverageZones(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file loaded")
	}
}
