package edge

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

func TestViewerProtocolPolicy(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	s := newTestEdge(t, nil)
	s.cfg.HTTPSPort = 8443
	mo := o.modelOrigin(t, "o1")
	d := simpleDist(distID('V'), "vpp.test", mo, nil)
	d.DefaultBehavior.ViewerProtocolPolicy = "redirect-to-https"
	d.DefaultBehavior.AllowedMethods = []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
	d.Behaviors = []model.Behavior{
		{PathPattern: "/only/*", TargetOriginID: "o1", ViewerProtocolPolicy: "https-only"},
		{PathPattern: "/any/*", TargetOriginID: "o1", ViewerProtocolPolicy: "allow-all"},
	}
	apply(t, s, 1, d)

	cases := []struct {
		method, target string
		https          bool
		status         int
		location       string
	}{
		{"GET", "http://vpp.test/a/b?x=1&y=%20", false, 301, "https://vpp.test:8443/a/b?x=1&y=%20"},
		{"HEAD", "http://vpp.test/", false, 301, "https://vpp.test:8443/"},
		{"POST", "http://vpp.test/form", false, 307, "https://vpp.test:8443/form"},
		{"DELETE", "http://vpp.test/x", false, 307, "https://vpp.test:8443/x"},
		{"GET", "http://vpp.test/only/x", false, 403, ""},
		{"GET", "http://vpp.test/any/x", false, 200, ""},
		{"GET", "https://vpp.test/a", true, 200, ""},
		{"GET", "https://vpp.test/only/x", true, 200, ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, nil)
		if c.https {
			r.TLS = &tls.ConnectionState{}
		} else {
			r.TLS = nil
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.target, w.Code, c.status)
			continue
		}
		if got := w.Header().Get("Location"); got != c.location {
			t.Errorf("%s %s: Location %q, want %q", c.method, c.target, got, c.location)
		}
		if c.location != "" && w.Header().Get("X-Cache") != "Redirect from pharos" {
			t.Errorf("%s %s: X-Cache %q", c.method, c.target, w.Header().Get("X-Cache"))
		}
		if c.status == 403 && w.Header().Get("X-Cache") != "Error from pharos" {
			t.Errorf("%s %s: X-Cache %q", c.method, c.target, w.Header().Get("X-Cache"))
		}
	}
	if n := o.count.Load(); n != 3 {
		t.Errorf("origin saw %d requests, want 3 (only the allowed ones)", n)
	}

	// Port 443 (or unset) is left out of the Location.
	s.cfg.HTTPSPort = 0
	apply(t, s, 2, d)
	r := httptest.NewRequest("GET", "http://vpp.test:8080/p", nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if got := w.Header().Get("Location"); got != "https://vpp.test/p" {
		t.Errorf("Location %q, want https://vpp.test/p", got)
	}
}

// Behaviours that check the viewer stay off the HTTP/1.1 fast path; the
// others keep it.
func TestViewerChecksLeaveTheFastPath(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	s := newTestEdge(t, nil)
	mo := o.modelOrigin(t, "o1")
	d := simpleDist(distID('F'), "fast.test", mo, nil)
	d.Behaviors = []model.Behavior{
		{PathPattern: "/vpp/*", TargetOriginID: "o1", ViewerProtocolPolicy: "https-only"},
		{PathPattern: "/signed/*", TargetOriginID: "o1", TrustedKeyGroups: []string{"g1"}, TrustedKeys: []model.TrustedKey{testSigningKey(t).trusted}},
		{PathPattern: "/redirect/*", TargetOriginID: "o1", ViewerProtocolPolicy: "redirect-to-https"},
	}
	apply(t, s, 1, d)
	dist := s.table.Load().Lookup("fast.test")
	for path, fast := range map[string]bool{"/vpp/a": false, "/signed/a": false, "/redirect/a": false, "/plain": true} {
		if got := dist.Match(path).fast; got != fast {
			t.Errorf("%s: fast = %v, want %v", path, got, fast)
		}
	}
	d.GeoRestriction = model.GeoRestriction{Type: "blacklist", Locations: []string{"DE"}}
	apply(t, s, 2, d)
	if s.table.Load().Lookup("fast.test").Match("/plain").fast {
		t.Error("a geo-restricted distribution's behaviour is on the fast path")
	}
}

// Behind a trusted proxy that ended the viewer's TLS, X-Forwarded-Proto:
// https counts as HTTPS; from anyone else it does not.
func TestViewerProtocolBehindTrustedProxy(t *testing.T) {
	o := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.Header.Get("X-Forwarded-Proto"))) })
	s := geoEdge(t) // trusts 127.0.0.9
	d := simpleDist(distID('L'), "lb.test", o.modelOrigin(t, "o1"), nil)
	d.DefaultBehavior.ViewerProtocolPolicy = "redirect-to-https"
	apply(t, s, 1, d)
	for _, c := range []struct {
		remote, proto string
		status        int
	}{
		{"127.0.0.9:1", "https", 200},
		{"127.0.0.9:1", "http, https", 200},
		{"127.0.0.9:1", "https, http", 301},
		{"127.0.0.9:1", "", 301},
		{"127.0.0.3:1", "https", 301},
	} {
		var h http.Header
		if c.proto != "" {
			h = http.Header{"X-Forwarded-Proto": {c.proto}}
		}
		w := serveFrom(s, c.remote, "http://lb.test/x", h)
		if w.Code != c.status {
			t.Errorf("from %s with X-Forwarded-Proto %q: %d, want %d", c.remote, c.proto, w.Code, c.status)
		}
		if w.Code == 200 && w.Body.String() != "https" {
			t.Errorf("origin saw X-Forwarded-Proto %q, want https", w.Body)
		}
	}
}
