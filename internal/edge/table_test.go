package edge

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

// distID returns a valid distribution id made of one repeated character.
func distID(c byte) string { return "E" + strings.Repeat(string(c), 13) }

// taggedOrigin is o under a new id, adding X-Tag: tag to every request, so
// an echoTag origin says which distribution or behaviour forwarded it.
func taggedOrigin(o model.Origin, id, tag string) model.Origin {
	o.ID = id
	o.CustomHeaders = []model.CustomHeader{{Name: "X-Tag", Value: tag}}
	return o
}

// tagDist is an enabled distribution whose origin tags requests with tag.
func tagDist(base model.Origin, id byte, tag, domain string, aliases ...string) model.Distribution {
	o := taggedOrigin(base, "o-"+tag, tag)
	d := simpleDist(distID(id), domain, o, nil)
	d.Aliases = aliases
	return d
}

func TestHostRouting(t *testing.T) {
	org := newTestOrigin(t, echoTag)
	base := org.modelOrigin(t, "o")
	a := tagDist(base, 'A', "A", "www.example.com", "static.example.com")
	b := tagDist(base, 'B', "B", "d1.pharos.test", "*.example.com")
	c := tagDist(base, 'C', "C", "d2.pharos.test", "*.deep.example.com")
	def := tagDist(base, 'D', "D", "d3.pharos.test")
	def.Default = true
	off := tagDist(base, 'E', "E", "off.example.org", "*.off.example.org")
	off.Enabled = false

	tests := []struct {
		name, host, want string // want "" means 404 from the edge
	}{
		{"domain name", "d1.pharos.test", "B"},
		{"exact alias", "static.example.com", "A"},
		{"exact name beats wildcard", "www.example.com", "A"},
		{"upper case", "WWW.Example.COM", "A"},
		{"port stripped", "www.example.com:8080", "A"},
		{"upper case and port", "STATIC.EXAMPLE.COM:443", "A"},
		{"wildcard one label", "img.example.com", "B"},
		{"wildcard several labels", "a.b.example.com", "B"},
		{"wildcard upper case with port", "IMG.Example.Com:80", "B"},
		{"longest wildcard suffix wins", "x.deep.example.com", "C"},
		{"longest wildcard, deeper", "a.x.deep.example.com", "C"},
		{"apex of the longer wildcard falls to the shorter", "deep.example.com", "B"},
		{"apex not matched by wildcard", "example.com", "D"},
		{"suffix without a dot boundary", "badexample.com", "D"},
		{"IPv6 literal with port", "[::1]:80", "D"},
		{"IPv6 literal", "[::1]", "D"},
		{"IPv4 literal with port", "127.0.0.1:8080", "D"},
		{"unknown host", "unknown.test", "D"},
		{"empty host", "", "D"},
		{"disabled distribution skipped", "off.example.org", "D"},
		{"disabled wildcard skipped", "x.off.example.org", "D"},
	}
	s := newTestEdge(t, nil)
	apply(t, s, 1, a, b, c, def, off)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusOK || w.Body.String() != tt.want {
				t.Errorf("Host %q: status %d body %q (X-Cache %q), want distribution %s",
					tt.host, w.Code, w.Body.String(), w.Header().Get("X-Cache"), tt.want)
			}
		})
	}
}

func TestHostRoutingNoDistribution(t *testing.T) {
	org := newTestOrigin(t, echoTag)
	base := org.modelOrigin(t, "o")
	a := tagDist(base, 'A', "A", "www.example.com", "*.example.com")
	off := tagDist(base, 'E', "E", "off.example.org")
	off.Enabled = false
	s := newTestEdge(t, nil)
	apply(t, s, 1, a, off)

	tests := []struct {
		name, host, wantInBody string
	}{
		{"unknown host", "unknown.test", `"unknown.test"`},
		{"apex not matched by wildcard", "example.com", `"example.com"`},
		{"disabled distribution", "off.example.org:8080", `"off.example.org"`},
		{"IPv6 literal with port", "[::1]:80", `"[::1]"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusNotFound {
				t.Errorf("status %d, want 404", w.Code)
			}
			if got := w.Header().Get("X-Cache"); got != "Error from pharos" {
				t.Errorf("X-Cache %q, want Error from pharos", got)
			}
			if got := w.Header().Get("Via"); got != "1.1 e1 (pharos)" {
				t.Errorf("Via %q", got)
			}
			if got := w.Header().Get("X-Pharos-Pop"); got != "tst" {
				t.Errorf("X-Pharos-Pop %q", got)
			}
			if w.Header().Get("X-Pharos-Request-Id") == "" {
				t.Error("no X-Pharos-Request-Id")
			}
			if !strings.Contains(w.Body.String(), tt.wantInBody) {
				t.Errorf("body %q does not name host %s", w.Body.String(), tt.wantInBody)
			}
		})
	}
	if n := org.count.Load(); n != 0 {
		t.Errorf("origin saw %d requests for hosts no distribution answers", n)
	}
}

// TestHostRoutingPrecedence checks that when two distributions claim the
// same name, or both are default, the first by document key wins, whatever
// order the documents arrive in.
func TestHostRoutingPrecedence(t *testing.T) {
	org := newTestOrigin(t, echoTag)
	base := org.modelOrigin(t, "o")
	first := tagDist(base, 'A', "A", "d1.pharos.test", "shared.example.com", "*.wild.example.com")
	first.Default = true
	second := tagDist(base, 'B', "B", "d2.pharos.test", "shared.example.com", "*.wild.example.com")
	second.Default = true
	for _, order := range [][]model.Distribution{{first, second}, {second, first}} {
		s := newTestEdge(t, nil)
		apply(t, s, 1, order...)
		for _, host := range []string{"shared.example.com", "x.wild.example.com", "nobody.test"} {
			if w := serve(s, "GET", "http://"+host+"/", nil); w.Body.String() != "A" {
				t.Errorf("Host %s: answered by %q, want A (the first document key)", host, w.Body.String())
			}
		}
		if w := serve(s, "GET", "http://d2.pharos.test/", nil); w.Body.String() != "B" {
			t.Errorf("the second distribution's own name answered by %q", w.Body.String())
		}
	}
}

// TestHostRoutingTrailingDot: a Host in absolute form ("name.") names the
// same host (RFC 1034 §3.1) and is routed like the name without the dot.
func TestHostRoutingTrailingDot(t *testing.T) {
	org := newTestOrigin(t, echoTag)
	base := org.modelOrigin(t, "o")
	a := tagDist(base, 'A', "A", "www.example.com", "*.img.example.com")
	def := tagDist(base, 'D', "D", "d3.pharos.test")
	def.Default = true
	s := newTestEdge(t, nil)
	apply(t, s, 1, a, def)
	for _, host := range []string{"www.example.com.", "WWW.example.com.:8080", "x.img.example.com."} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Body.String() != "A" {
			t.Errorf("Host %q answered by %q, want A", host, w.Body.String())
		}
	}
}

func TestBehaviorOrder(t *testing.T) {
	org := newTestOrigin(t, echoTag)
	base := org.modelOrigin(t, "o")
	patterns := []string{
		"/images/*.jpg", // b0
		"/images/*",     // b1
		"*.gif",         // b2
		"/api/v?/*",     // b3
		"/exact",        // b4
		"docs/*",        // b5: the leading slash is optional
		"/a*b*c",        // b6: several stars
	}
	d := model.Distribution{ID: distID('A'), DomainName: "www.example.com", Enabled: true}
	def := taggedOrigin(base, "o-default", "default")
	d.Origins = append(d.Origins, def)
	d.DefaultBehavior = model.Behavior{TargetOriginID: def.ID}
	for i, p := range patterns {
		tag := "b" + string(rune('0'+i))
		o := taggedOrigin(base, "o-"+tag, tag)
		d.Origins = append(d.Origins, o)
		d.Behaviors = append(d.Behaviors, model.Behavior{PathPattern: p, TargetOriginID: o.ID})
	}
	s := newTestEdge(t, nil)
	apply(t, s, 1, d)

	tests := []struct{ path, want string }{
		{"/images/a.jpg", "b0"},
		{"/images/sub/dir/a.jpg", "b0"}, // * crosses slashes
		{"/images/a.png", "b1"},
		{"/images/a.gif", "b1"}, // b1 comes before b2: first match wins
		{"/images/", "b1"},
		{"/images", "default"},
		{"/x/y.gif", "b2"},
		{"/y.gif", "b2"},
		{"/api/v1/users", "b3"},
		{"/api/v12/users", "default"}, // ? is exactly one character
		{"/api/v/users", "default"},
		{"/exact", "b4"},
		{"/exact/", "default"},
		{"/EXACT", "default"}, // case-sensitive
		{"/exact.gif", "b2"},
		{"/docs/index.html", "b5"},
		{"/abc", "b6"},
		{"/a/x/b/y/c", "b6"},
		{"/a/x/b/y/cd", "default"},
		{"/", "default"},
		{"/IMAGES/a.jpg", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			w := serve(s, "GET", "http://www.example.com"+tt.path+"?q=1", nil)
			if w.Code != http.StatusOK || w.Body.String() != tt.want {
				t.Errorf("%s: status %d, behaviour %q, want %q", tt.path, w.Code, w.Body.String(), tt.want)
			}
		})
	}
	// The default behaviour is last even though the model lists it apart.
	dist := s.table.Load().Lookup("www.example.com")
	if n := len(dist.behaviors); n != len(patterns)+1 {
		t.Fatalf("%d compiled behaviours, want %d", n, len(patterns)+1)
	}
	if got := dist.behaviors[len(patterns)].pattern.String(); got != "*" {
		t.Errorf("last behaviour's pattern %q, want the default *", got)
	}
}

func TestApplyInvalidKeepsPreviousTable(t *testing.T) {
	org := newTestOrigin(t, echoTag)
	base := org.modelOrigin(t, "o")
	good := tagDist(base, 'A', "A", "www.example.com", "old.example.com")

	// Revision 2 would move old.example.com to a new distribution: if any of
	// it leaked in despite the error, old.example.com would answer "N".
	moved := good
	moved.Aliases = nil
	newer := tagDist(base, 'N', "N", "new.example.com", "old.example.com")

	noOrigins := tagDist(base, 'Z', "Z", "bad.example.com")
	noOrigins.Origins = nil
	badTarget := tagDist(base, 'Z', "Z", "bad.example.com")
	badTarget.DefaultBehavior.TargetOriginID = "nowhere"
	badPolicy := tagDist(base, 'Z', "Z", "bad.example.com")
	badPolicy.DefaultBehavior.CachePolicyID = "not-a-policy"
	badAlias := tagDist(base, 'Z', "Z", "bad.example.com", "bad host.example.com")

	tests := []struct {
		name string
		bad  []byte
	}{
		{"not JSON", []byte("{not json")},
		{"wrong JSON type", []byte(`{"origins": "nope"}`)},
		{"no origins", distDoc(t, noOrigins)},
		{"target names no origin", distDoc(t, badTarget)},
		{"unknown cache policy", distDoc(t, badPolicy)},
		{"invalid alias", distDoc(t, badAlias)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestEdge(t, nil)
			apply(t, s, 1, good)
			docs := map[string][]byte{
				"dist." + moved.ID: distDoc(t, moved),
				"dist." + newer.ID: distDoc(t, newer),
				"dist.zz-bad":      tt.bad,
			}
			err := s.Apply(2, docs)
			if err == nil {
				t.Fatal("Apply accepted an invalid document")
			}
			if !strings.Contains(err.Error(), "dist.zz-bad") {
				t.Errorf("error %q does not name the bad document", err)
			}
			if rev := s.Revision(); rev != 1 {
				t.Errorf("Revision() = %d after a failed Apply, want 1", rev)
			}
			for host, want := range map[string]string{"old.example.com": "A", "www.example.com": "A"} {
				if w := serve(s, "GET", "http://"+host+"/", nil); w.Body.String() != want {
					t.Errorf("%s answered by %q, want %q (the previous table)", host, w.Body.String(), want)
				}
			}
			if w := serve(s, "GET", "http://new.example.com/", nil); w.Code != http.StatusNotFound {
				t.Errorf("new.example.com answered %d: part of the rejected revision is in force", w.Code)
			}
			// A later valid revision still applies.
			delete(docs, "dist.zz-bad")
			if err := s.Apply(3, docs); err != nil {
				t.Fatalf("Apply(3): %v", err)
			}
			if w := serve(s, "GET", "http://old.example.com/", nil); s.Revision() != 3 || w.Body.String() != "N" {
				t.Errorf("after Apply(3): revision %d, old.example.com answered by %q", s.Revision(), w.Body.String())
			}
		})
	}
}

// TestApplyReusesOriginClients checks that an origin whose settings did not
// change keeps its client, and so its pooled connections, across Apply.
func TestApplyReusesOriginClients(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok"))
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	o, err := model.OriginFromURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	d := simpleDist(distID('A'), "www.example.com", o, nil)
	s := newTestEdge(t, nil)
	client := func() any {
		return s.table.Load().Lookup("www.example.com").behaviors[0].origin
	}
	get := func(path string) {
		t.Helper()
		if w := serve(s, "GET", "http://www.example.com"+path, nil); w.Code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, w.Code)
		}
	}

	apply(t, s, 1, d)
	c1 := client()
	get("/1")

	// Same origin, other settings changed: the client stays.
	d.Comment = "changed"
	d.Aliases = []string{"alias.example.com"}
	d.Behaviors = []model.Behavior{{PathPattern: "/b/*", TargetOriginID: o.ID}}
	apply(t, s, 2, d)
	if c2 := client(); c2 != c1 {
		t.Error("origin client replaced although the origin did not change")
	}
	if b := s.table.Load().Lookup("www.example.com").behaviors; b[0].origin != b[1].origin {
		t.Error("two behaviours with one origin got two clients")
	}
	get("/2")
	if n := conns.Load(); n != 1 {
		t.Errorf("origin saw %d connections across an Apply that kept its client, want 1", n)
	}

	// A failed Apply changes nothing.
	if err := s.Apply(3, map[string][]byte{"x": []byte("{")}); err == nil {
		t.Fatal("bad document accepted")
	}
	if client() != c1 {
		t.Error("failed Apply replaced the origin client")
	}

	// The origin's settings change: a new client; the old one is dropped.
	d.Origins[0].ReadTimeout = 7
	apply(t, s, 4, d)
	if client() == c1 {
		t.Error("origin client kept although the origin changed")
	}
	s.pool.mu.Lock()
	n := len(s.pool.clients)
	s.pool.mu.Unlock()
	if n != 1 {
		t.Errorf("pool holds %d clients, want 1 (the unused one closed)", n)
	}
	get("/3")
}
