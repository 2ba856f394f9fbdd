// Package geo answers where a viewer is: the ISO 3166-1 country (and, from
// a City database, the coordinates) of an address, read from a
// MaxMind-format database, and which address is the viewer's when the
// edge sits behind trusted proxies. The edge uses it for geo restriction
// and the CloudFront-Viewer-* headers; the router for its location
// lookups.
package geo

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is an open MaxMind-format (.mmdb) database. It reads both layouts in
// use: GeoIP2/GeoLite2 Country and City (country.iso_code, falling back to
// registered_country.iso_code; location.latitude/longitude), and the flat
// layout of the CC0 ip-location-db databases (country_code, and
// latitude/longitude in their city editions). A nil *DB knows nothing.
// It is safe for concurrent use.
type DB struct {
	r *maxminddb.Reader
}

// Open opens the database at path (memory-mapped).
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: open %s: %w", path, err)
	}
	return &DB{r: r}, nil
}

// Close releases the database.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	return db.r.Close()
}

// record holds the fields of both layouts; absent ones stay zero.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
	} `maxminddb:"location"`
	CountryCode string   `maxminddb:"country_code"`
	Latitude    *float64 `maxminddb:"latitude"`
	Longitude   *float64 `maxminddb:"longitude"`
}

func (db *DB) lookup(a netip.Addr) (record, bool) {
	var rec record
	if db == nil || !a.IsValid() {
		return rec, false
	}
	res := db.r.Lookup(a.Unmap())
	if !res.Found() || res.Decode(&rec) != nil {
		return rec, false
	}
	return rec, true
}

func (rec *record) country() string {
	c := rec.Country.ISOCode
	if c == "" {
		c = rec.RegisteredCountry.ISOCode
	}
	if c == "" {
		c = rec.CountryCode
	}
	return strings.ToUpper(c)
}

// Country returns the ISO 3166-1 alpha-2 code (upper case) of the country
// a belongs to, or "" when the database does not know it.
func (db *DB) Country(a netip.Addr) string {
	rec, ok := db.lookup(a)
	if !ok {
		return ""
	}
	return rec.country()
}

// Location returns a's coordinates and country; ok is false when the
// database has no coordinates for it (Country databases never do).
func (db *DB) Location(a netip.Addr) (lat, lon float64, country string, ok bool) {
	rec, found := db.lookup(a)
	if !found {
		return 0, 0, "", false
	}
	country = rec.country()
	switch {
	case rec.Location.Latitude != nil && rec.Location.Longitude != nil:
		return *rec.Location.Latitude, *rec.Location.Longitude, country, true
	case rec.Latitude != nil && rec.Longitude != nil:
		return *rec.Latitude, *rec.Longitude, country, true
	}
	return 0, 0, country, false
}
