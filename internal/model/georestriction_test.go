package model

import (
	"strings"
	"testing"
)

func TestValidateGeoRestriction(t *testing.T) {
	for _, c := range []struct {
		g    GeoRestriction
		want string // "" = valid; else a fragment of the error
	}{
		{GeoRestriction{}, ""},
		{GeoRestriction{Type: "none"}, ""},
		{GeoRestriction{Type: "whitelist", Locations: []string{"DE", "us"}}, ""},
		{GeoRestriction{Type: "blacklist", Locations: []string{"FR"}}, ""},
		{GeoRestriction{Type: "allowlist", Locations: []string{"FR"}}, "geoRestriction.type"},
		{GeoRestriction{Type: "whitelist"}, "at least one country code"},
		{GeoRestriction{Type: "none", Locations: []string{"FR"}}, "must be empty"},
		{GeoRestriction{Type: "blacklist", Locations: []string{"FRA"}}, "locations[0]"},
		{GeoRestriction{Type: "blacklist", Locations: []string{"F1"}}, "locations[0]"},
	} {
		v := &validator{}
		d := Distribution{GeoRestriction: c.g}
		d.validateGeo(v)
		err := v.err()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.g, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: error %v, want one mentioning %q", c.g, err, c.want)
		}
	}
}
