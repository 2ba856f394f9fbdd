package edge

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

// list is a ListConfig shorthand: list("whitelist", "a", "b").
func list(behavior string, items ...string) model.ListConfig {
	return model.ListConfig{Behavior: behavior, Items: items}
}

// fwdCase describes one viewer request through a behaviour whose policies
// are given; nothing is cached (MaxTTL 0), so every request reaches the
// origin.
type fwdCase struct {
	cache  model.CachePolicy // TTLs are forced to 0
	orp    *model.OriginRequestPolicy
	origin func(*model.Origin) // adjusts the origin, may be nil
	viewer func(*http.Request) // adjusts the viewer request, may be nil
	target string              // default http://www.example.com/p
}

// forward sends c's viewer request through an edge and returns what the
// origin received.
func forward(t *testing.T, c fwdCase) (seenRequest, *testOrigin) {
	t.Helper()
	org := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, "ok")
	})
	o := org.modelOrigin(t, "o")
	if c.origin != nil {
		c.origin(&o)
	}
	cp := c.cache
	cp.MinTTL, cp.DefaultTTL, cp.MaxTTL = 0, 0, 0
	d := simpleDist(distID('A'), "www.example.com", o, &cp)
	d.DefaultBehavior.OriginRequest = c.orp
	s := newTestEdge(t, nil)
	apply(t, s, 1, d)
	target := c.target
	if target == "" {
		target = "http://www.example.com/p"
	}
	r := httptest.NewRequest("GET", target, nil)
	if c.viewer != nil {
		c.viewer(r)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	if n := org.count.Load(); n != 1 {
		t.Fatalf("origin saw %d requests, want 1", n)
	}
	return org.last(t), org
}

func setHeaders(kv ...string) func(*http.Request) {
	return func(r *http.Request) {
		for i := 0; i+1 < len(kv); i += 2 {
			r.Header.Add(kv[i], kv[i+1])
		}
	}
}

func TestForwardQueryStrings(t *testing.T) {
	tests := []struct {
		name  string
		cache model.ListConfig
		orp   *model.ListConfig
		query string
		want  string
	}{
		{"none", list("none"), nil, "a=1&b=2", ""},
		{"whitelist", list("whitelist", "a", "c"), nil, "a=1&b=2&c=3", "a=1&c=3"},
		{"whitelist keeps repeats and order", list("whitelist", "a"), nil, "a=1&b=2&a=3", "a=1&a=3"},
		{"whitelist matches decoded names", list("whitelist", "a b", "a"), nil, "%61=1&a+b=2&b=3", "%61=1&a+b=2"},
		{"whitelist is case-sensitive", list("whitelist", "a"), nil, "A=1&a=2", "a=2"},
		{"whitelist none present", list("whitelist", "z"), nil, "a=1", ""},
		{"allExcept", list("allExcept", "b"), nil, "a=1&b=2&c=3", "a=1&c=3"},
		{"all keeps the raw query", list("all"), nil, "b=2&a=1&a=3&flag&x=%20", "b=2&a=1&a=3&flag&x=%20"},
		{"no query", list("all"), nil, "", ""},
		{"union of whitelists", list("whitelist", "a"), &model.ListConfig{Behavior: "whitelist", Items: []string{"c"}},
			"a=1&b=2&c=3", "a=1&c=3"},
		{"origin request policy alone", list("none"), &model.ListConfig{Behavior: "whitelist", Items: []string{"b"}},
			"a=1&b=2&c=3", "b=2"},
		{"origin request policy all", list("none"), &model.ListConfig{Behavior: "all"}, "a=1&b=2", "a=1&b=2"},
		{"cache policy all, origin none", list("all"), &model.ListConfig{Behavior: "none"}, "a=1&b=2", "a=1&b=2"},
		{"whitelist and allExcept", list("whitelist", "a"), &model.ListConfig{Behavior: "allExcept", Items: []string{"a", "b"}},
			"a=1&b=2&c=3&d=4", "a=1&c=3&d=4"},
		{"two allExcept lists", list("allExcept", "a", "b"), &model.ListConfig{Behavior: "allExcept", Items: []string{"b", "c"}},
			"a=1&b=2&c=3&d=4", "a=1&c=3&d=4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fwdCase{cache: model.CachePolicy{QueryStrings: tt.cache}, target: "http://www.example.com/p"}
			if tt.query != "" {
				c.target += "?" + tt.query
			}
			if tt.orp != nil {
				c.orp = &model.OriginRequestPolicy{QueryStrings: *tt.orp}
			}
			got, _ := forward(t, c)
			if got.Query != tt.want {
				t.Errorf("origin query %q, want %q", got.Query, tt.want)
			}
			if got.Path != "/p" {
				t.Errorf("origin path %q", got.Path)
			}
		})
	}
}

func TestForwardHeaders(t *testing.T) {
	tests := []struct {
		name  string
		cache model.ListConfig
		orp   *model.ListConfig
		want  []string // which of X-A, X-B, X-C reach the origin
	}{
		{"none", list("none"), nil, nil},
		{"cache whitelist, other case", list("whitelist", "x-a"), nil, []string{"X-A"}},
		{"origin request whitelist", list("none"), &model.ListConfig{Behavior: "whitelist", Items: []string{"x-B"}}, []string{"X-B"}},
		{"union", list("whitelist", "X-A"), &model.ListConfig{Behavior: "whitelist", Items: []string{"X-C"}}, []string{"X-A", "X-C"}},
		{"allViewer", list("none"), &model.ListConfig{Behavior: "allViewer"}, []string{"X-A", "X-B", "X-C"}},
		{"allExcept", list("none"), &model.ListConfig{Behavior: "allExcept", Items: []string{"x-c"}}, []string{"X-A", "X-B"}},
		{"allExcept and cache whitelist", list("whitelist", "X-C"), &model.ListConfig{Behavior: "allExcept", Items: []string{"X-C", "x-b"}},
			[]string{"X-A", "X-C"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fwdCase{cache: model.CachePolicy{Headers: tt.cache}, viewer: setHeaders("X-A", "1", "X-B", "2", "X-C", "3")}
			if tt.orp != nil {
				c.orp = &model.OriginRequestPolicy{Headers: *tt.orp}
			}
			got, _ := forward(t, c)
			var present []string
			for _, h := range []string{"X-A", "X-B", "X-C"} {
				if len(got.Header[h]) > 0 {
					present = append(present, h)
				}
			}
			if !slices.Equal(present, tt.want) {
				t.Errorf("origin got %v, want %v", present, tt.want)
			}
		})
	}
}

func TestForwardHostAndUserAgent(t *testing.T) {
	viewer := func(r *http.Request) {
		r.Host = "www.example.com:8080"
		r.Header.Set("User-Agent", "viewer-ua/1.0")
	}
	tests := []struct {
		name             string
		cache            model.ListConfig
		orp              *model.ListConfig
		viewerHost       bool // Host is the viewer's, else the origin's host:port
		wantUA           string
		originHostHeader func(*testOrigin) string
	}{
		{"nothing forwarded", list("none"), nil, false, "Pharos", nil},
		{"Host whitelisted in the cache policy", list("whitelist", "host"), nil, true, "Pharos", nil},
		{"Host whitelisted in the origin request policy", list("none"), &model.ListConfig{Behavior: "whitelist", Items: []string{"HOST"}}, true, "Pharos", nil},
		{"User-Agent whitelisted", list("whitelist", "user-agent"), nil, false, "viewer-ua/1.0", nil},
		{"allViewer forwards both", list("none"), &model.ListConfig{Behavior: "allViewer"}, true, "viewer-ua/1.0", nil},
		{"allExcept naming both", list("none"), &model.ListConfig{Behavior: "allExcept", Items: []string{"Host", "User-Agent"}}, false, "Pharos", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fwdCase{cache: model.CachePolicy{Headers: tt.cache}, viewer: viewer}
			if tt.orp != nil {
				c.orp = &model.OriginRequestPolicy{Headers: *tt.orp}
			}
			got, org := forward(t, c)
			wantHost := org.Listener.Addr().String() // 127.0.0.1:port
			if tt.viewerHost {
				wantHost = "www.example.com:8080"
			}
			if got.Host != wantHost {
				t.Errorf("origin Host %q, want %q", got.Host, wantHost)
			}
			if ua := got.Header["User-Agent"]; len(ua) != 1 || ua[0] != tt.wantUA {
				t.Errorf("origin User-Agent %q, want %q", ua, tt.wantUA)
			}
		})
	}
}

// TestForwardUserAgentAbsent: when the policy forwards User-Agent and the
// viewer sent none, the origin gets none (not Go's "Go-http-client/1.1").
func TestForwardUserAgentAbsent(t *testing.T) {
	got, _ := forward(t, fwdCase{
		cache:  model.CachePolicy{Headers: list("whitelist", "User-Agent")},
		viewer: func(r *http.Request) { r.Header.Del("User-Agent") },
	})
	if ua := got.Header.Get("User-Agent"); ua != "" {
		t.Errorf("origin User-Agent %q, want none: the viewer sent none", ua)
	}
}

func TestForwardCookies(t *testing.T) {
	viewer := func(r *http.Request) {
		r.Header.Add("Cookie", "c=3; b=2")
		r.Header.Add("Cookie", "a=1") // HTTP/2 may split cookies over lines
	}
	tests := []struct {
		name  string
		cache model.ListConfig
		orp   *model.ListConfig
		want  string // "" means no Cookie field at all
	}{
		{"none", list("none"), nil, ""},
		{"whitelist, sorted", list("whitelist", "c", "a"), nil, "a=1; c=3"},
		{"whitelist is case-sensitive", list("whitelist", "A"), nil, ""},
		{"whitelist none present", list("whitelist", "zz"), nil, ""},
		{"allExcept", list("allExcept", "b"), nil, "a=1; c=3"},
		{"all", list("all"), nil, "a=1; b=2; c=3"},
		{"union", list("whitelist", "c"), &model.ListConfig{Behavior: "whitelist", Items: []string{"a"}}, "a=1; c=3"},
		{"origin request policy all", list("none"), &model.ListConfig{Behavior: "all"}, "a=1; b=2; c=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fwdCase{cache: model.CachePolicy{Cookies: tt.cache}, viewer: viewer}
			if tt.orp != nil {
				c.orp = &model.OriginRequestPolicy{Cookies: *tt.orp}
			}
			got, _ := forward(t, c)
			cookies := got.Header["Cookie"]
			switch {
			case tt.want == "" && len(cookies) != 0:
				t.Errorf("origin Cookie %q, want none", cookies)
			case tt.want != "" && (len(cookies) != 1 || cookies[0] != tt.want):
				t.Errorf("origin Cookie %q, want %q", cookies, tt.want)
			}
		})
	}
}

// TestForwardCookiesSortedByName: cookies are sorted by name (CloudFront:
// "in natural order by cookie name"), stably: two cookies of one name keep
// the viewer's order (RFC 6265 §5.4 puts the most specific first, and most
// servers take the first), and "id" sorts before "id2".
func TestForwardCookiesSortedByName(t *testing.T) {
	tests := []struct{ name, viewer, want string }{
		{"same name keeps the viewer's order", "sid=zzz; sid=aaa", "sid=zzz; sid=aaa"},
		{"name that prefixes another", "id2=2; id=1", "id=1; id2=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := forward(t, fwdCase{cache: model.CachePolicy{Cookies: list("all")},
				viewer: setHeaders("Cookie", tt.viewer)})
			if c := got.Header.Get("Cookie"); c != tt.want {
				t.Errorf("origin Cookie %q, want %q", c, tt.want)
			}
		})
	}
}

func TestForwardAcceptEncoding(t *testing.T) {
	aeWhitelist := &model.OriginRequestPolicy{Headers: list("whitelist", "Accept-Encoding")}
	tests := []struct {
		name     string
		gzip, br bool
		orp      *model.OriginRequestPolicy
		viewer   []string // nil: no Accept-Encoding
		want     string   // "" means the origin gets none
	}{
		{"gzip and br", true, true, nil, []string{"gzip, deflate, br"}, "br,gzip"},
		{"two lines", true, true, nil, []string{"br", "GZIP;q=0.5"}, "br,gzip"},
		{"gzip only policy", true, false, nil, []string{"gzip, br"}, "gzip"},
		{"br only policy", false, true, nil, []string{"gzip, br"}, "br"},
		{"refused by q=0", true, true, nil, []string{"gzip;q=0, br"}, "br"},
		{"identity", true, true, nil, []string{"identity"}, ""},
		{"viewer sends none", true, true, nil, nil, ""},
		{"compression off: not forwarded, not added", false, false, nil, []string{"gzip"}, ""},
		{"compression off, viewer sends none", false, false, nil, nil, ""},
		{"compression off, whitelisted: raw", false, false, aeWhitelist, []string{"gzip, deflate"}, "gzip, deflate"},
		{"normalisation wins over whitelist", true, false, aeWhitelist, []string{"gzip, deflate, br"}, "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := forward(t, fwdCase{
				cache: model.CachePolicy{EnableAcceptEncoding: model.AcceptEncoding{Gzip: tt.gzip, Brotli: tt.br}},
				orp:   tt.orp,
				viewer: func(r *http.Request) {
					for _, v := range tt.viewer {
						r.Header.Add("Accept-Encoding", v)
					}
				},
			})
			ae := got.Header["Accept-Encoding"]
			switch {
			case tt.want == "" && len(ae) != 0:
				t.Errorf("origin Accept-Encoding %q, want none", ae)
			case tt.want != "" && strings.Join(ae, ", ") != tt.want:
				t.Errorf("origin Accept-Encoding %q, want %q", ae, tt.want)
			}
		})
	}
}

func TestForwardProxyHeaders(t *testing.T) {
	allViewer := &model.OriginRequestPolicy{Headers: list("allViewer")}
	tests := []struct {
		name     string
		orp      *model.OriginRequestPolicy
		viewer   func(*http.Request)
		wantXFF  string
		wantXFP  string
		wantVia  string
		wantPath string
	}{
		{"plain", nil, nil, "192.0.2.1", "http", "1.1 e1 (pharos)", "/p"},
		{"XFF appended", nil, setHeaders("X-Forwarded-For", "203.0.113.9"),
			"203.0.113.9, 192.0.2.1", "http", "1.1 e1 (pharos)", "/p"},
		{"XFF lines joined then appended", nil, setHeaders("X-Forwarded-For", "203.0.113.9", "X-Forwarded-For", "198.51.100.2"),
			"203.0.113.9, 198.51.100.2, 192.0.2.1", "http", "1.1 e1 (pharos)", "/p"},
		{"XFF appended once with allViewer", allViewer, setHeaders("X-Forwarded-For", "203.0.113.9"),
			"203.0.113.9, 192.0.2.1", "http", "1.1 e1 (pharos)", "/p"},
		{"XFP set from the viewer connection, not the viewer's field", allViewer, setHeaders("X-Forwarded-Proto", "https"),
			"192.0.2.1", "http", "1.1 e1 (pharos)", "/p"},
		{"XFP https", nil, func(r *http.Request) { r.TLS = &tls.ConnectionState{} },
			"192.0.2.1", "https", "1.1 e1 (pharos)", "/p"},
		{"Via appended", nil, setHeaders("Via", "1.0 corp-proxy"),
			"192.0.2.1", "http", "1.0 corp-proxy, 1.1 e1 (pharos)", "/p"},
		{"Via appended once with allViewer", allViewer, setHeaders("Via", "1.0 a, 1.1 b"),
			"192.0.2.1", "http", "1.0 a, 1.1 b, 1.1 e1 (pharos)", "/p"},
		{"IPv6 viewer", nil, func(r *http.Request) { r.RemoteAddr = "[2001:db8::1]:4444" },
			"2001:db8::1", "http", "1.1 e1 (pharos)", "/p"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := forward(t, fwdCase{orp: tt.orp, viewer: tt.viewer})
			if v := strings.Join(got.Header["X-Forwarded-For"], ", "); v != tt.wantXFF {
				t.Errorf("X-Forwarded-For %q, want %q", v, tt.wantXFF)
			}
			if v := got.Header["X-Forwarded-Proto"]; len(v) != 1 || v[0] != tt.wantXFP {
				t.Errorf("X-Forwarded-Proto %q, want %q", v, tt.wantXFP)
			}
			if v := strings.Join(got.Header["Via"], ", "); v != tt.wantVia {
				t.Errorf("Via %q, want %q", v, tt.wantVia)
			}
			if got.Header.Get("X-Pharos-Request-Id") == "" {
				t.Error("no X-Pharos-Request-Id toward the origin")
			}
		})
	}
}

func TestForwardCustomOriginHeaders(t *testing.T) {
	got, _ := forward(t, fwdCase{
		orp: &model.OriginRequestPolicy{Headers: list("allViewer")},
		origin: func(o *model.Origin) {
			o.CustomHeaders = []model.CustomHeader{{Name: "X-Origin-Secret", Value: "s3cret"}, {Name: "x-env", Value: "prod"}}
		},
		viewer: setHeaders("X-Origin-Secret", "forged", "X-Env", "dev"),
	})
	if v := got.Header["X-Origin-Secret"]; len(v) != 1 || v[0] != "s3cret" {
		t.Errorf("X-Origin-Secret %q, want only the origin's value", v)
	}
	if v := got.Header["X-Env"]; len(v) != 1 || v[0] != "prod" {
		t.Errorf("X-Env %q, want only the origin's value", v)
	}
	// Without any header forwarding the custom headers are still sent.
	got, _ = forward(t, fwdCase{origin: func(o *model.Origin) {
		o.CustomHeaders = []model.CustomHeader{{Name: "X-Origin-Secret", Value: "s3cret"}}
	}})
	if v := got.Header.Get("X-Origin-Secret"); v != "s3cret" {
		t.Errorf("X-Origin-Secret %q without forwarding", v)
	}
}

func TestForwardRemovesHopByHop(t *testing.T) {
	got, _ := forward(t, fwdCase{
		orp: &model.OriginRequestPolicy{Headers: list("allViewer")},
		viewer: setHeaders(
			"Connection", "keep-alive, X-Conn-Opt",
			"Connection", "x-second-opt",
			"X-Conn-Opt", "1",
			"X-Second-Opt", "2",
			"Keep-Alive", "timeout=5",
			"Proxy-Authorization", "Basic Zm9vOmJhcg==",
			"Proxy-Connection", "keep-alive",
			"Te", "trailers",
			"Trailer", "X-T",
			"Upgrade", "websocket",
			"X-Keep", "yes",
		),
	})
	for _, h := range []string{"Connection", "X-Conn-Opt", "X-Second-Opt", "Keep-Alive", "Proxy-Authorization",
		"Proxy-Connection", "Te", "Trailer", "Upgrade"} {
		if v, ok := got.Header[h]; ok {
			t.Errorf("hop-by-hop %s reached the origin: %q", h, v)
		}
	}
	if got.Header.Get("X-Keep") != "yes" {
		t.Error("an end-to-end field was dropped with the hop-by-hop ones")
	}
}

// TestForwardRemovesConnectionOptionsWhitelisted: a field the viewer's
// Connection names is hop-by-hop (RFC 9110 §7.6.1: an intermediary MUST
// remove it before forwarding) even when the policy whitelists its name and
// does not forward Connection itself.
func TestForwardRemovesConnectionOptionsWhitelisted(t *testing.T) {
	got, _ := forward(t, fwdCase{
		cache:  model.CachePolicy{Headers: list("whitelist", "X-Conn-Opt")},
		orp:    &model.OriginRequestPolicy{Headers: list("whitelist", "X-Other")},
		viewer: setHeaders("Connection", "X-Conn-Opt, x-other", "X-Conn-Opt", "1", "X-Other", "2"),
	})
	for _, h := range []string{"X-Conn-Opt", "X-Other"} {
		if v, ok := got.Header[h]; ok {
			t.Errorf("%s, named by the viewer's Connection, reached the origin: %q", h, v)
		}
	}
}

func TestForwardOriginPath(t *testing.T) {
	tests := []struct {
		name, originPath, target, wantURI string
	}{
		{"no origin path", "", "/a/b?q=1", "/a/b?q=1"},
		{"prefixed", "/base", "/a/b?q=1", "/base/a/b?q=1"},
		{"deep prefix", "/v1/static", "/x.css", "/v1/static/x.css"},
		{"root", "/base", "/", "/base/"},
		{"escaped path kept as sent", "/base", "/a%20b/c%2Fd", "/base/a%20b/c%2Fd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := forward(t, fwdCase{
				cache:  model.CachePolicy{QueryStrings: list("all")},
				origin: func(o *model.Origin) { o.OriginPath = tt.originPath },
				target: "http://www.example.com" + tt.target,
			})
			if got.URI != tt.wantURI {
				t.Errorf("origin request URI %q, want %q", got.URI, tt.wantURI)
			}
		})
	}
}

// TestForwardPOSTBody checks that a request that is not cached carries its
// body and Content-Type to the origin, and the same forwarding rules.
func TestForwardPOSTBody(t *testing.T) {
	org := newTestOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	o := org.modelOrigin(t, "o")
	s := newTestEdge(t, nil)
	apply(t, s, 1, simpleDist(distID('A'), "www.example.com", o, nil))
	r := httptest.NewRequest("POST", "http://www.example.com/form?x=1", strings.NewReader("name=v"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Not-Forwarded", "1")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusCreated || w.Header().Get("X-Cache") != "Miss from pharos" {
		t.Fatalf("status %d, X-Cache %q", w.Code, w.Header().Get("X-Cache"))
	}
	got := org.last(t)
	if got.Method != "POST" || got.Body != "name=v" || got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Errorf("origin got %s %q with Content-Type %q", got.Method, got.Body, got.Header.Get("Content-Type"))
	}
	if got.Query != "x=1" || got.Header.Get("X-Not-Forwarded") != "" || got.Header.Get("User-Agent") != "Pharos" {
		t.Errorf("origin got query %q, headers %v", got.Query, got.Header)
	}
}

// originRequestFor builds, without sending it, the origin request for a
// viewer request through the default behaviour of a distribution in front
// of o.
func originRequestFor(t *testing.T, o model.Origin, viewerHTTPS bool) *http.Request {
	t.Helper()
	s := newTestEdge(t, nil)
	apply(t, s, 1, simpleDist(distID('A'), "www.example.com", o, nil))
	r := httptest.NewRequest("GET", "http://www.example.com/p", nil)
	x := &Exchange{R: r, B: s.table.Load().Lookup("www.example.com").Match("/p"), HTTPS: viewerHTTPS, ReqID: "rid"}
	req, err := s.originRequest(x, "GET", nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestOriginRequestHostMatchesPort: the Host sent to an origin is the
// authority of the URL the edge connects to (RFC 9110 §7.2), with the port
// only when it is not the scheme's default; for a match-viewer origin the
// scheme, and so the port, follow the viewer's protocol.
func TestOriginRequestHostMatchesPort(t *testing.T) {
	tests := []struct {
		name      string
		protocol  string
		http, tls int
		viewerTLS bool
		wantURL   string
		wantHost  string
	}{
		{"http-only default port", "http-only", 80, 443, true, "http://origin.example:80/p", "origin.example"},
		{"http-only other port", "http-only", 8080, 8443, true, "http://origin.example:8080/p", "origin.example:8080"},
		{"https-only default port", "https-only", 80, 443, false, "https://origin.example:443/p", "origin.example"},
		{"https-only other port", "https-only", 8080, 8443, false, "https://origin.example:8443/p", "origin.example:8443"},
		{"match-viewer over http", "match-viewer", 8080, 8443, false, "http://origin.example:8080/p", "origin.example:8080"},
		{"match-viewer over https", "match-viewer", 8080, 8443, true, "https://origin.example:8443/p", "origin.example:8443"},
		{"match-viewer over https, default port", "match-viewer", 8080, 443, true, "https://origin.example:443/p", "origin.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := model.Origin{ID: "o", DomainName: "origin.example", Protocol: tt.protocol, HTTPPort: tt.http, HTTPSPort: tt.tls}
			req := originRequestFor(t, o, tt.viewerTLS)
			if req.URL.String() != tt.wantURL {
				t.Errorf("URL %q, want %q", req.URL, tt.wantURL)
			}
			if req.Host != tt.wantHost {
				t.Errorf("Host %q, want %q (URL %s)", req.Host, tt.wantHost, req.URL)
			}
		})
	}
}
