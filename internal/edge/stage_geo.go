package edge

import (
	"net/http"
	"strings"
)

// geoStage applies the distribution's geo restriction: a whitelist serves
// only viewers in its countries, a blacklist refuses those in its
// countries, with 403. A viewer whose country the database does not know
// is served either way, as CloudFront does (CLOUDFRONT.md §4.1).
func geoStage(s *Server, b *Behavior) Stage {
	if !restrictsGeo(b) {
		return nil
	}
	gr := b.dist.Model.GeoRestriction
	if s.cfg.GeoIP == nil {
		s.log.Warn("geo restriction configured but no --geoip database: every viewer's country is unknown, so all are served",
			"distribution", b.dist.Model.ID)
	}
	listed := make(map[string]bool, len(gr.Locations))
	for _, c := range gr.Locations {
		listed[strings.ToUpper(c)] = true
	}
	allowList := gr.Type == "whitelist"
	return func(next Handler) Handler {
		return func(x *Exchange) {
			c := s.cfg.GeoIP.Country(s.viewerAddr(x.R).Addr())
			// A custom error page is what a refused viewer is meant to
			// see: its fetch is not refused again.
			if c != "" && listed[c] != allowList && !x.errorPage {
				s.edgeError(x, http.StatusForbidden, "403 Forbidden: this distribution does not serve viewers in your country")
				return
			}
			next(x)
		}
	}
}

// restrictsGeo reports whether the behaviour's distribution limits
// countries.
func restrictsGeo(b *Behavior) bool {
	t := b.dist.Model.GeoRestriction.Type
	return t == "whitelist" || t == "blacklist"
}
