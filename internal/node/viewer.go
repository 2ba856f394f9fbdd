package node

import (
	"fmt"
	"net"
	"strconv"

	"github.com/pharos-cdn/pharos/internal/edge"
	"github.com/pharos-cdn/pharos/internal/security/geo"
)

// viewerOptions fills in what an edge needs to know about its viewers:
// the GeoIP database (--geoip), the proxies whose X-Forwarded-For it
// believes (--trust-forwarded) and the HTTPS port it redirects to (the
// port of --https). The returned close releases the database.
func viewerOptions(cfg *edge.Config, geoPath, trust, httpsAddr string) (close func() error, err error) {
	close = func() error { return nil }
	if cfg.TrustForwarded, err = geo.ParseTrusted(trust); err != nil {
		return close, fmt.Errorf("--trust-forwarded: %w", err)
	}
	if httpsAddr != "" {
		_, p, err := net.SplitHostPort(httpsAddr)
		if err != nil {
			return close, fmt.Errorf("--https %s: %w", httpsAddr, err)
		}
		if cfg.HTTPSPort, err = strconv.Atoi(p); err != nil {
			return close, fmt.Errorf("--https %s: port: %w", httpsAddr, err)
		}
	}
	if geoPath != "" {
		db, err := geo.Open(geoPath)
		if err != nil {
			return close, fmt.Errorf("--geoip: %w", err)
		}
		cfg.GeoIP = db
		close = db.Close
	}
	return close, nil
}
