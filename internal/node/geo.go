package node

import (
	"github.com/pharos-cdn/pharos/internal/router"
	"github.com/pharos-cdn/pharos/internal/security/geo"
)

// geoDB is a GeoIP database the router can place clients with.
type geoDB interface {
	router.Locator
	Close() error
}

// openGeo opens a MaxMind-format database.
func openGeo(path string) (geoDB, error) { return geo.Open(path) }
