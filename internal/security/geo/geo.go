// Package geo places IP addresses with a MaxMind-format database: the
// country (ISO 3166-1 alpha-2) and, where the database has them, the
// coordinates. It reads both the GeoIP2/GeoLite2 City and Country layout
// (country.iso_code, falling back to registered_country.iso_code) and the
// flat layout of the CC0 ip-location-db databases (country_code). The
// edge's geo restriction and the router's client placement both use it.
package geo

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is an open database; safe for concurrent use.
type DB struct {
	r *maxminddb.Reader
}

// Open opens the database at path.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: open %s: %w", path, err)
	}
	return &DB{r: r}, nil
}

// Close releases the database.
func (db *DB) Close() error { return db.r.Close() }

// record holds the fields Pharos reads, in both layouts.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	CountryCode string `maxminddb:"country_code"`
	Location    struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
}

// Place is where an address is.
type Place struct {
	Country  string // ISO 3166-1 alpha-2, "" when the record has none
	Lat, Lon float64
	// HasCoords says Lat and Lon are known (City databases).
	HasCoords bool
}

// Locate returns where addr is; ok is false when the database does not
// hold addr or cannot be read there.
func (db *DB) Locate(addr netip.Addr) (p Place, ok bool) {
	var rec record
	res := db.r.Lookup(addr.Unmap())
	if res.Err() != nil || !res.Found() {
		return Place{}, false
	}
	if err := res.Decode(&rec); err != nil {
		return Place{}, false
	}
	p.Country = rec.Country.ISOCode
	if p.Country == "" {
		p.Country = rec.RegisteredCountry.ISOCode
	}
	if p.Country == "" {
		p.Country = rec.CountryCode
	}
	if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
		p.Lat, p.Lon, p.HasCoords = *rec.Location.Latitude, *rec.Location.Longitude, true
	}
	return p, true
}

// Country returns addr's ISO country code, "" when unknown.
func (db *DB) Country(addr netip.Addr) string {
	p, _ := db.Locate(addr)
	return p.Country
}
