package geo

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/pharos-cdn/pharos/internal/security/geo/geotest"
)

func openTest(t *testing.T, flat bool) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.mmdb")
	err := geotest.Write(path, flat, []geotest.Entry{
		{CIDR: "127.0.0.2/32", Country: "DE", Lat: 52.52, Lon: 13.40, HasCoords: true},
		{CIDR: "127.0.0.3/32", Country: "US"},
		{CIDR: "198.51.100.0/24", Country: "fr", Registered: true},
		{CIDR: "2001:db8::/32", Country: "JP", Lat: 35.68, Lon: 139.69, HasCoords: true},
		{CIDR: "192.0.2.0/24"}, // known network, no country
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestCountry(t *testing.T) {
	for _, flat := range []bool{false, true} {
		db := openTest(t, flat)
		for addr, want := range map[string]string{
			"127.0.0.2":        "DE",
			"::ffff:127.0.0.2": "DE",
			"127.0.0.3":        "US",
			"127.0.0.4":        "",
			"198.51.100.7":     "FR", // registered_country fallback; flat: country_code
			"2001:db8::1":      "JP",
			"192.0.2.1":        "",
			"10.1.1.1":         "",
		} {
			if got := db.Country(netip.MustParseAddr(addr)); got != want {
				t.Errorf("flat=%v: Country(%s) = %q, want %q", flat, addr, got, want)
			}
		}
		lat, lon, cc, ok := db.Location(netip.MustParseAddr("127.0.0.2"))
		if !ok || lat != 52.52 || lon != 13.40 || cc != "DE" {
			t.Errorf("flat=%v: Location(127.0.0.2) = %v %v %q %v", flat, lat, lon, cc, ok)
		}
		if _, _, cc, ok := db.Location(netip.MustParseAddr("127.0.0.3")); ok || cc != "US" {
			t.Errorf("flat=%v: Location(127.0.0.3) = %q %v, want US without coordinates", flat, cc, ok)
		}
	}
	var none *DB
	if none.Country(netip.MustParseAddr("127.0.0.2")) != "" {
		t.Error("a nil DB knows a country")
	}
}

func TestOpenMissing(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "nope.mmdb")); err == nil {
		t.Error("Open of a missing file succeeded")
	}
}

func TestViewer(t *testing.T) {
	trusted, err := ParseTrusted("10.0.0.0/8, 127.0.0.1,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	peer := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	cases := []struct {
		name string
		peer netip.AddrPort
		xff  []string
		want string
	}{
		{"untrusted peer ignores the header", peer("192.0.2.9:5000"), []string{"203.0.113.1"}, "192.0.2.9:5000"},
		{"trusted peer, no header", peer("127.0.0.1:5000"), nil, "127.0.0.1:5000"},
		{"trusted peer, one hop", peer("127.0.0.1:5000"), []string{"203.0.113.1"}, "203.0.113.1:0"},
		{"right-most untrusted wins", peer("127.0.0.1:5000"), []string{"198.51.100.1, 203.0.113.1, 10.1.2.3"}, "203.0.113.1:0"},
		{"fields in order", peer("10.0.0.5:1"), []string{"198.51.100.1", "203.0.113.7, 10.9.9.9"}, "203.0.113.7:0"},
		{"all trusted: the left-most", peer("127.0.0.1:5000"), []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1:0"},
		{"entries with ports", peer("127.0.0.1:5000"), []string{"[2001:db9::1]:443, 198.51.100.3:80"}, "198.51.100.3:0"},
		{"garbage stops the walk", peer("127.0.0.1:5000"), []string{"203.0.113.1, unknown, 10.0.0.3"}, "10.0.0.3:0"},
		{"mapped peer", peer("[::ffff:127.0.0.1]:7"), []string{"203.0.113.1"}, "203.0.113.1:0"},
	}
	for _, c := range cases {
		if got := trusted.Viewer(c.peer, c.xff).String(); got != c.want {
			t.Errorf("%s: Viewer = %s, want %s", c.name, got, c.want)
		}
	}
	if _, err := ParseTrusted("10.0.0.0/33"); err == nil {
		t.Error("bad prefix accepted")
	}
	if got := Trusted(nil).Viewer(peer("127.0.0.1:1"), []string{"203.0.113.1"}); got.String() != "127.0.0.1:1" {
		t.Errorf("no trusted proxies: %s", got)
	}
}
