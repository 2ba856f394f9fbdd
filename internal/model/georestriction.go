package model

import "fmt"

// validateGeo checks the geo restriction: a known type, and for an allow
// or deny list at least one ISO 3166-1 alpha-2 code (CloudFront's
// Restrictions.GeoRestriction).
func (d *Distribution) validateGeo(v *validator) {
	g := d.GeoRestriction
	switch g.Type {
	case "", "none":
		if len(g.Locations) > 0 {
			v.fail("geoRestriction.locations", "must be empty when type is none")
		}
		return
	case "whitelist", "blacklist":
	default:
		v.fail("geoRestriction.type", "%q: must be none, whitelist or blacklist", g.Type)
		return
	}
	if len(g.Locations) == 0 {
		v.fail("geoRestriction.locations", "a %s needs at least one country code", g.Type)
	}
	for i, c := range g.Locations {
		if !isCountryCode(c) {
			v.fail(fmt.Sprintf("geoRestriction.locations[%d]", i), "%q is not an ISO 3166-1 alpha-2 code", c)
		}
	}
}

func isCountryCode(c string) bool {
	if len(c) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		if b := c[i] | 0x20; b < 'a' || b > 'z' {
			return false
		}
	}
	return true
}
