// Package geotest writes small MaxMind-format databases for tests, in
// either layout package geo reads.
package geotest

import (
	"fmt"
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Entry places a network in a country, optionally at coordinates.
type Entry struct {
	CIDR    string // "127.0.0.2/32"
	Country string // ISO code; "" leaves the network out of any country
	// Registered puts the code in registered_country only (GeoIP2 layout).
	Registered bool
	Lat, Lon   float64
	HasCoords  bool
}

// Write writes a database to path: GeoIP2 City layout (country.iso_code,
// location) when flat is false, the ip-location-db layout (country_code,
// latitude, longitude) when true. Reserved ranges such as 127/8 may be
// placed, so tests can pick a viewer's country by its loopback address.
func Write(path string, flat bool, entries []Entry) error {
	dbType := "GeoIP2-City"
	if flat {
		dbType = "geo-whois-asn-country"
	}
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		IncludeReservedNetworks: true,
		RecordSize:              28,
	})
	if err != nil {
		return fmt.Errorf("geotest: %w", err)
	}
	for _, e := range entries {
		_, network, err := net.ParseCIDR(e.CIDR)
		if err != nil {
			return fmt.Errorf("geotest: %s: %w", e.CIDR, err)
		}
		if err := tree.Insert(network, record(e, flat)); err != nil {
			return fmt.Errorf("geotest: insert %s: %w", e.CIDR, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("geotest: %w", err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("geotest: write %s: %w", path, err)
	}
	return f.Close()
}

func record(e Entry, flat bool) mmdbtype.Map {
	m := mmdbtype.Map{}
	if flat {
		if e.Country != "" {
			m["country_code"] = mmdbtype.String(e.Country)
		}
		if e.HasCoords {
			m["latitude"] = mmdbtype.Float64(e.Lat)
			m["longitude"] = mmdbtype.Float64(e.Lon)
		}
		return m
	}
	if e.Country != "" {
		key := mmdbtype.String("country")
		if e.Registered {
			key = "registered_country"
		}
		m[key] = mmdbtype.Map{"iso_code": mmdbtype.String(e.Country)}
	}
	if e.HasCoords {
		m["location"] = mmdbtype.Map{"latitude": mmdbtype.Float64(e.Lat), "longitude": mmdbtype.Float64(e.Lon)}
	}
	return m
}
