package router

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"sort"
)

// CoverageZones maps client networks to points of presence, read from a
// coverage zone file in Apache Traffic Control's format:
//
//	{"coverageZones": {"ams": {"network": ["192.0.2.0/24"],
//	                           "network6": ["2001:db8::/32"],
//	                           "coordinates": {"latitude": 52.37, "longitude": 4.9}}}}
//
// The longest matching prefix wins. A zone's coordinates, when given, also
// place its clients (so distance still orders edges outside the POP).
type CoverageZones struct {
	// byLen holds, for each prefix length in use (longest first), the
	// zones' networks of that length.
	byLen []czfLevel
}

type czfLevel struct {
	bits int
	nets map[netip.Prefix]*Zone
}

// Zone is one coverage zone.
type Zone struct {
	POP      string
	Lat, Lon float64
	Located  bool
}

type czfFile struct {
	CoverageZones map[string]struct {
		Network     []string `json:"network"`
		Network6    []string `json:"network6"`
		Coordinates *struct {
			Latitude  float64 `json:"latitude"`
			Longitude float64 `json:"longitude"`
		} `json:"coordinates"`
	} `json:"coverageZones"`
}

// LoadCoverageZones reads a coverage zone file.
func LoadCoverageZones(path string) (*CoverageZones, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("coverage zone file: %w", err)
	}
	z, err := ParseCoverageZones(b)
	if err != nil {
		return nil, fmt.Errorf("coverage zone file %s: %w", path, err)
	}
	return z, nil
}

// ParseCoverageZones parses a coverage zone file's contents.
func ParseCoverageZones(b []byte) (*CoverageZones, error) {
	var f czfFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if f.CoverageZones == nil {
		return nil, fmt.Errorf(`no "coverageZones" object`)
	}
	levels := map[int]map[netip.Prefix]*Zone{}
	for pop, cz := range f.CoverageZones {
		zone := &Zone{POP: pop}
		if c := cz.Coordinates; c != nil {
			if c.Latitude < -90 || c.Latitude > 90 || c.Longitude < -180 || c.Longitude > 180 {
				return nil, fmt.Errorf("coverageZones.%s.coordinates: out of range", pop)
			}
			zone.Lat, zone.Lon, zone.Located = c.Latitude, c.Longitude, true
		}
		for field, nets := range map[string][]string{"network": cz.Network, "network6": cz.Network6} {
			for i, s := range nets {
				p, err := netip.ParsePrefix(s)
				if err != nil {
					return nil, fmt.Errorf("coverageZones.%s.%s[%d]: %w", pop, field, i, err)
				}
				if p.Addr().Is4() != (field == "network") {
					return nil, fmt.Errorf("coverageZones.%s.%s[%d]: %s is of the wrong address family", pop, field, i, s)
				}
				p = p.Masked()
				if levels[p.Bits()] == nil {
					levels[p.Bits()] = map[netip.Prefix]*Zone{}
				}
				if prev := levels[p.Bits()][p]; prev != nil && prev.POP != pop {
					return nil, fmt.Errorf("coverageZones.%s.%s[%d]: %s is also in zone %s", pop, field, i, s, prev.POP)
				}
				levels[p.Bits()][p] = zone
			}
		}
	}
	z := &CoverageZones{}
	for bits, nets := range levels {
		z.byLen = append(z.byLen, czfLevel{bits: bits, nets: nets})
	}
	sort.Slice(z.byLen, func(i, j int) bool { return z.byLen[i].bits > z.byLen[j].bits })
	return z, nil
}

// Lookup returns the zone of the longest prefix holding addr.
func (z *CoverageZones) Lookup(addr netip.Addr) (*Zone, bool) {
	if z == nil || !addr.IsValid() {
		return nil, false
	}
	addr = addr.Unmap()
	for _, l := range z.byLen {
		if l.bits > addr.BitLen() {
			continue
		}
		p, err := addr.Prefix(l.bits)
		if err != nil {
			continue
		}
		if zone := l.nets[p]; zone != nil {
			return zone, true
		}
	}
	return nil, false
}
