package edge

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
	"github.com/pharos-cdn/pharos/internal/security/geo"
	"github.com/pharos-cdn/pharos/internal/security/geo/geotest"
)

// geoEdge is an edge with a database placing 127.0.0.2 in DE, 127.0.0.3
// in US (with coordinates) and knowing nothing of other addresses, that
// trusts 127.0.0.9 as a proxy.
func geoEdge(t *testing.T) *Server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "geo.mmdb")
	if err := geotest.Write(path, false, []geotest.Entry{
		{CIDR: "127.0.0.2/32", Country: "DE"},
		{CIDR: "127.0.0.3/32", Country: "US", Lat: 37.75, Lon: -97.82, HasCoords: true},
	}); err != nil {
		t.Fatal(err)
	}
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := newTestEdge(t, nil)
	s.cfg.GeoIP = db
	s.cfg.TrustForwarded, _ = geo.ParseTrusted("127.0.0.9")
	return s
}

func serveFrom(s *Server, remote, target string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", target, nil)
	r.RemoteAddr = remote
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func TestGeoRestriction(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	s := geoEdge(t)
	allow := simpleDist(distID('A'), "allow.test", o.modelOrigin(t, "o1"), nil)
	allow.GeoRestriction = model.GeoRestriction{Type: "whitelist", Locations: []string{"de"}}
	deny := simpleDist(distID('D'), "deny.test", o.modelOrigin(t, "o1"), nil)
	deny.GeoRestriction = model.GeoRestriction{Type: "blacklist", Locations: []string{"DE"}}
	apply(t, s, 1, allow, deny)

	cases := []struct {
		host, remote string
		xff          string
		status       int
	}{
		{"allow.test", "127.0.0.2:1000", "", 200},
		{"allow.test", "127.0.0.3:1000", "", 403},
		{"allow.test", "127.0.0.4:1000", "", 200}, // unknown country: served
		{"deny.test", "127.0.0.2:1000", "", 403},
		{"deny.test", "127.0.0.3:1000", "", 200},
		{"deny.test", "127.0.0.4:1000", "", 200},
		// Behind the trusted proxy, X-Forwarded-For names the viewer.
		{"deny.test", "127.0.0.9:1000", "127.0.0.2", 403},
		{"deny.test", "127.0.0.9:1000", "127.0.0.2, 127.0.0.3", 200},
		{"allow.test", "127.0.0.9:1000", "127.0.0.3, 127.0.0.2", 200},
		// From anyone else, the header is not believed.
		{"deny.test", "127.0.0.3:1000", "127.0.0.2", 200},
		{"allow.test", "127.0.0.3:1000", "127.0.0.2", 403},
	}
	for _, c := range cases {
		var h http.Header
		if c.xff != "" {
			h = http.Header{"X-Forwarded-For": {c.xff}}
		}
		w := serveFrom(s, c.remote, "http://"+c.host+"/x", h)
		if w.Code != c.status {
			t.Errorf("%s from %s (XFF %q): %d, want %d", c.host, c.remote, c.xff, w.Code, c.status)
		}
		if w.Code == 403 && w.Header().Get("X-Cache") != "Error from pharos" {
			t.Errorf("%s from %s: X-Cache %q", c.host, c.remote, w.Header().Get("X-Cache"))
		}
	}
}

func TestViewerHeaders(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte(r.Header.Get("Cloudfront-Viewer-Country")))
	})
	s := geoEdge(t)
	named := simpleDist(distID('N'), "named.test", o.modelOrigin(t, "o1"), nil)
	named.DefaultBehavior.OriginRequest = &model.OriginRequestPolicy{Headers: model.ListConfig{Behavior: "whitelist", Items: []string{
		"CloudFront-Viewer-Country", "cloudfront-viewer-address", "CloudFront-Forwarded-Proto", "CloudFront-Is-Mobile-Viewer",
		"CloudFront-Is-Desktop-Viewer", "CloudFront-Viewer-Latitude", "CloudFront-Viewer-Http-Version",
	}}}
	plain := simpleDist(distID('P'), "plain.test", o.modelOrigin(t, "o1"), nil)
	plain.DefaultBehavior.OriginRequest = &model.OriginRequestPolicy{Headers: model.ListConfig{Behavior: "allViewer"}}
	apply(t, s, 1, named, plain)

	spoof := http.Header{"Cloudfront-Viewer-Country": {"XX"}, "Cloudfront-Viewer-City": {"Nowhere"},
		"User-Agent": {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"}}
	serveFrom(s, "127.0.0.3:4321", "http://named.test/a", spoof)
	h := o.last(t).Header
	for name, want := range map[string]string{
		"Cloudfront-Viewer-Country":      "US",
		"Cloudfront-Viewer-Address":      "127.0.0.3:4321",
		"Cloudfront-Forwarded-Proto":     "http",
		"Cloudfront-Is-Mobile-Viewer":    "true",
		"Cloudfront-Is-Desktop-Viewer":   "false",
		"Cloudfront-Viewer-Latitude":     "37.750000",
		"Cloudfront-Viewer-Http-Version": "1.1",
		"Cloudfront-Viewer-City":         "", // not named, and a viewer's anyway
	} {
		if got := h.Get(name); got != want {
			t.Errorf("named: origin got %s %q, want %q", name, got, want)
		}
	}
	// An unknown country is left out rather than invented.
	serveFrom(s, "127.0.0.4:1", "http://named.test/b", spoof)
	if got := o.last(t).Header.Values("Cloudfront-Viewer-Country"); len(got) != 0 {
		t.Errorf("unknown country sent as %q", got)
	}
	// Policies that name none of them send none, whatever the viewer says.
	serveFrom(s, "127.0.0.3:4321", "http://plain.test/a", spoof)
	for k := range o.last(t).Header {
		if isCloudFrontHeader(k) {
			t.Errorf("plain: origin got viewer-sent %s", k)
		}
	}
}

// A cache policy may key on the viewer's country: each country gets its
// own stored answer.
func TestViewerCountryInCacheKey(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Write([]byte(r.Header.Get("Cloudfront-Viewer-Country")))
	})
	s := geoEdge(t)
	d := simpleDist(distID('K'), "key.test", o.modelOrigin(t, "o1"), &model.CachePolicy{
		DefaultTTL: 60, MaxTTL: 600, Headers: model.ListConfig{Behavior: "whitelist", Items: []string{"CloudFront-Viewer-Country"}},
	})
	apply(t, s, 1, d)
	for _, c := range []struct{ remote, body, xcache string }{
		{"127.0.0.2:1", "DE", "Miss from pharos"},
		{"127.0.0.3:1", "US", "Miss from pharos"},
		{"127.0.0.2:2", "DE", "Hit from pharos"},
		{"127.0.0.3:2", "US", "Hit from pharos"},
	} {
		w := serveFrom(s, c.remote, "http://key.test/x", http.Header{"Cloudfront-Viewer-Country": {"FR"}})
		if w.Body.String() != c.body || w.Header().Get("X-Cache") != c.xcache {
			t.Errorf("from %s: %q %s, want %q %s", c.remote, w.Body, w.Header().Get("X-Cache"), c.body, c.xcache)
		}
	}
}

func TestClassifyDevice(t *testing.T) {
	for ua, want := range map[string]deviceKind{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36":       {desktop: true},
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36": {mobile: true, android: true},
		"Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120.0 Safari/537.36":        {tablet: true, android: true},
		"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148":              {tablet: true, ios: true},
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148":                          {mobile: true, ios: true},
		"Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 SamsungBrowser/4.0 TV Safari":      {smartTV: true},
		"": {desktop: true},
	} {
		if got := classify(ua); got != want {
			t.Errorf("classify(%q) = %+v, want %+v", ua, got, want)
		}
	}
}
