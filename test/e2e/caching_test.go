package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Caching rules over real HTTP: RFC 9111 (HTTP caching), RFC 5861 (stale
// directives), RFC 9213 (targeted Cache-Control), RFC 9211 (Cache-Status)
// and CloudFront's TTL rules, each test on its own pharos and origin.

const (
	hit        = "Hit from pharos"
	miss       = "Miss from pharos"
	refreshHit = "RefreshHit from pharos"
	staleHit   = "StaleHit from pharos"
	edgeError  = "Error from pharos"
)

// quickStart starts an origin and `pharos up --origin` in front of it.
func quickStart(t *testing.T, args ...string) (origin string, ph *pharos) {
	t.Helper()
	origin = startOrigin(t)
	ph = startPharos(t, append([]string{"--origin", origin}, args...)...)
	return origin, ph
}

// sleepUntil sleeps until t.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// neverHit requests uri n times and fails if any answer is a hit.
func neverHit(t *testing.T, ph *pharos, origin, uri string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		r := get(t, "GET", ph.Edge+uri)
		expect(t, uri+" status", r.Status, 200)
		if xc := r.xcache(); xc != miss {
			t.Errorf("%s request %d: X-Cache %q, want %q", uri, i+1, xc, miss)
		}
		expect(t, uri+" body", r.Body, "origin "+strings.SplitN(uri, "?", 2)[0]+" #"+strconv.Itoa(i+1)+"\n")
	}
	expect(t, "origin requests for "+uri, originCount(t, origin, uri), n)
}

// missThenHit requests uri twice: a miss, then a hit with the same body.
func missThenHit(t *testing.T, ph *pharos, origin, uri string, hdr ...string) (first, second reply) {
	t.Helper()
	first = get(t, "GET", ph.Edge+uri, hdr...)
	expect(t, uri+" first X-Cache", first.xcache(), miss)
	second = get(t, "GET", ph.Edge+uri, hdr...)
	expect(t, uri+" second X-Cache", second.xcache(), hit)
	expect(t, uri+" second status", second.Status, first.Status)
	expect(t, uri+" second body", second.Body, first.Body)
	expect(t, "origin requests for "+uri, originCount(t, origin, uri), 1)
	return first, second
}

// RFC 9111 §5.2.2.5: no-store responses are never stored (MinTTL 0).
func TestE2E_RFC9111_5_2_2_5_NoStore(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	neverHit(t, ph, origin, "/nostore?cc=no-store", 3)
}

// RFC 9111 §5.2.2.7: a shared cache never stores private responses.
func TestE2E_RFC9111_5_2_2_7_Private(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	neverHit(t, ph, origin, "/private?cc=private,max-age=60", 3)
}

// RFC 9111 §4.3: a stale response with a validator is revalidated with a
// conditional request; a 304 refreshes it and the stored body is served
// (RefreshHit).
func TestE2E_RFC9111_4_3_RevalidationRefreshHit(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	for _, tc := range []struct{ name, uri string }{
		{"ETag", "/reval-etag?cc=max-age=1&etag=%22v1%22"},
		{"LastModified", "/reval-lm?cc=max-age=1&lm=1700000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first := get(t, "GET", ph.Edge+tc.uri)
			expect(t, "first X-Cache", first.xcache(), miss)
			sleepUntil(time.Now().Add(1200 * time.Millisecond))
			r := get(t, "GET", ph.Edge+tc.uri)
			expect(t, "status after expiry", r.Status, 200)
			expect(t, "X-Cache after expiry", r.xcache(), refreshHit)
			// The body is the first one (#1): the origin answered 304, and
			// the 304's own fields (X-Origin-Count: 2) were merged in.
			expect(t, "body after expiry", r.Body, first.Body)
			expect(t, "X-Origin-Count of the refreshed response", r.Header.Get("X-Origin-Count"), "2")
			expect(t, "origin requests", originCount(t, origin, tc.uri), 2)
			if r.Header.Get("Age") == "" {
				t.Errorf("a RefreshHit has no Age header")
			}
		})
	}
}

// RFC 9110 §13.1.2, RFC 9111 §4.3.2: a viewer's If-None-Match that matches
// the cached ETag is answered 304 from the cache.
func TestE2E_RFC9111_4_3_2_IfNoneMatchFromCache(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	uri := "/inm?etag=%22v1%22"
	first := get(t, "GET", ph.Edge+uri)
	expect(t, "first X-Cache", first.xcache(), miss)

	r := get(t, "GET", ph.Edge+uri, `If-None-Match: "v1"`)
	expect(t, "status with a matching If-None-Match", r.Status, http.StatusNotModified)
	expect(t, "X-Cache of the 304", r.xcache(), hit)
	expect(t, "ETag of the 304", r.Header.Get("ETag"), `"v1"`)
	expect(t, "body of the 304", r.Body, "")

	r = get(t, "GET", ph.Edge+uri, `If-None-Match: "other", W/"v1"`)
	expect(t, "status with a weakly matching list", r.Status, http.StatusNotModified)

	r = get(t, "GET", ph.Edge+uri, `If-None-Match: "v2"`)
	expect(t, "status with another ETag", r.Status, http.StatusOK)
	expect(t, "X-Cache with another ETag", r.xcache(), hit)
	expect(t, "body with another ETag", r.Body, first.Body)
	expect(t, "origin requests", originCount(t, origin, uri), 1)
}

// RFC 9110 §9.3.2 and RFC 9111 §4: HEAD is answered from a stored GET
// response, and a HEAD miss stores the response for a later GET. The HEAD
// answers are read off the wire: no body bytes may follow the header.
func TestE2E_RFC9111_4_HeadFromCache(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	addr := hostPort(t, ph.Edge)
	head := func(uri string) rawReply {
		t.Helper()
		return rawExchange(t, addr, "HEAD "+uri+" HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n", 10*time.Second)
	}

	t.Run("GETThenHEAD", func(t *testing.T) {
		uri := "/head-after-get?size=1234"
		g := get(t, "GET", ph.Edge+uri)
		expect(t, "GET X-Cache", g.xcache(), miss)
		h := head(uri)
		expect(t, "HEAD status", h.Status, 200)
		resp := h.response(t)
		expect(t, "HEAD X-Cache", resp.Header.Get("X-Cache"), hit)
		expect(t, "HEAD Content-Length", resp.Header.Get("Content-Length"), "1234")
		expect(t, "HEAD body bytes on the wire", len(h.Body), 0)
		expect(t, "origin requests", originCount(t, origin, uri), 1)
	})
	t.Run("HEADThenGET", func(t *testing.T) {
		uri := "/get-after-head?size=4321"
		h := head(uri)
		expect(t, "HEAD status", h.Status, 200)
		expect(t, "HEAD X-Cache", h.response(t).Header.Get("X-Cache"), miss)
		expect(t, "HEAD body bytes on the wire", len(h.Body), 0)
		g := get(t, "GET", ph.Edge+uri)
		expect(t, "GET X-Cache", g.xcache(), hit)
		expect(t, "GET body length", len(g.Body), 4321)
		expect(t, "origin requests", originCount(t, origin, uri), 1)
	})
}

// RFC 9111 §4.1: a response with Vary is stored per value of the named
// request fields; each variant is then served as a hit.
func TestE2E_RFC9111_4_1_VaryVariants(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	uri := "/vary?vary=Accept-Language"
	en := get(t, "GET", ph.Edge+uri, "Accept-Language: en")
	fr := get(t, "GET", ph.Edge+uri, "Accept-Language: fr")
	none := get(t, "GET", ph.Edge+uri)
	expect(t, "en first X-Cache", en.xcache(), miss)
	expect(t, "fr first X-Cache", fr.xcache(), miss)
	expect(t, "no Accept-Language first X-Cache", none.xcache(), miss)
	expect(t, "origin requests after three variants", originCount(t, origin, uri), 3)
	for _, v := range []struct {
		hdr   []string
		first reply
	}{{[]string{"Accept-Language: en"}, en}, {[]string{"Accept-Language: fr"}, fr}, {nil, none}} {
		r := get(t, "GET", ph.Edge+uri, v.hdr...)
		expect(t, "X-Cache for "+strings.Join(v.hdr, ""), r.xcache(), hit)
		expect(t, "body for "+strings.Join(v.hdr, ""), r.Body, v.first.Body)
	}
	expect(t, "origin requests", originCount(t, origin, uri), 3)
}

// RFC 9111 §4.1: "Vary: *" always fails to match, so it is never a hit.
func TestE2E_RFC9111_4_1_VaryStar(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	neverHit(t, ph, origin, "/varystar?vary=*&cc=max-age=60", 3)
}

// CloudFront caches origin errors for the error caching minimum TTL
// (10 s by default): a second request is a hit and the origin sees one.
func TestE2E_CloudFront_ErrorCaching(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	for _, status := range []int{500, 404} {
		uri := "/err?status=" + strconv.Itoa(status)
		first, _ := missThenHit(t, ph, origin, uri)
		expect(t, uri+" status", first.Status, status)
	}
}

// RFC 9111 §4.4: a successful unsafe request (POST) invalidates the stored
// response for its target URI.
func TestE2E_RFC9111_4_4_UnsafeMethodInvalidates(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	uri := "/unsafe?cc=max-age=60"
	missThenHit(t, ph, origin, uri)
	p := get(t, "POST", ph.Edge+uri)
	expect(t, "POST status", p.Status, 200)
	expect(t, "POST reached the origin as", p.Header.Get("X-Origin-Method"), "POST")
	r := get(t, "GET", ph.Edge+uri)
	expect(t, "GET after POST X-Cache", r.xcache(), miss)
	expect(t, "GET after POST body", r.Body, "origin /unsafe #3\n")
	expect(t, "origin requests (GET, POST, GET)", originCount(t, origin, uri), 3)
}

// RFC 9111 §5.2.2.10: for a shared cache s-maxage overrides max-age, both
// ways.
func TestE2E_RFC9111_5_2_2_10_SMaxAgeBeatsMaxAge(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	missThenHit(t, ph, origin, "/smaxage-long?cc=max-age=0,s-maxage=60")
	uri := "/smaxage-zero?cc=s-maxage=0,max-age=60"
	for i := 0; i < 2; i++ {
		if xc := get(t, "GET", ph.Edge+uri).xcache(); xc == hit {
			t.Errorf("%s request %d: X-Cache %q: s-maxage=0 must override max-age=60", uri, i+1, xc)
		}
	}
	expect(t, "origin requests for "+uri, originCount(t, origin, uri), 2)
}

// RFC 9213: CDN-Cache-Control overrides Cache-Control for a CDN, and
// Pharos-CDN-Cache-Control (targeted at Pharos alone) overrides both and is
// never passed on to viewers.
func TestE2E_RFC9213_TargetedCacheControl(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	t.Run("CDNCacheControlAllows", func(t *testing.T) {
		missThenHit(t, ph, origin, "/cdncc-allow?cc=no-store&cdncc=max-age=60")
	})
	t.Run("CDNCacheControlForbids", func(t *testing.T) {
		neverHit(t, ph, origin, "/cdncc-forbid?cc=max-age=60&cdncc=no-store", 2)
	})
	t.Run("PharosCDNCacheControlAllows", func(t *testing.T) {
		first, second := missThenHit(t, ph, origin, "/pcc-allow?cc=no-store&cdncc=no-store&pcc=max-age=60")
		for i, r := range []reply{first, second} {
			if v := r.Header.Values("Pharos-CDN-Cache-Control"); len(v) > 0 {
				t.Errorf("response %d passed Pharos-CDN-Cache-Control %q on to the viewer", i+1, v)
			}
		}
	})
	t.Run("PharosCDNCacheControlForbids", func(t *testing.T) {
		neverHit(t, ph, origin, "/pcc-forbid?cc=max-age=60&cdncc=max-age=60&pcc=no-store", 2)
	})
}

// RFC 9211: every answer carries a well-formed Cache-Status: a miss that
// was stored says fwd=uri-miss and stored, a hit says hit and its ttl.
func TestE2E_RFC9211_CacheStatus(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	first, second := missThenHit(t, ph, origin, "/cache-status?cc=max-age=60")

	cs, err := parseCacheStatus(first.Header.Get("Cache-Status"))
	if err != nil {
		t.Fatalf("miss Cache-Status %q: %v", first.Header.Get("Cache-Status"), err)
	}
	expect(t, "miss Cache-Status fwd", cs.Params["fwd"], "uri-miss")
	expect(t, "miss Cache-Status stored", cs.Params["stored"], "?1")
	expect(t, "miss Cache-Status fwd-status", cs.Params["fwd-status"], "200")
	if _, ok := cs.Params["hit"]; ok {
		t.Errorf("miss Cache-Status %q says hit", first.Header.Get("Cache-Status"))
	}

	cs, err = parseCacheStatus(second.Header.Get("Cache-Status"))
	if err != nil {
		t.Fatalf("hit Cache-Status %q: %v", second.Header.Get("Cache-Status"), err)
	}
	expect(t, "hit Cache-Status hit", cs.Params["hit"], "?1")
	if _, ok := cs.Params["fwd"]; ok {
		t.Errorf("hit Cache-Status %q has fwd", second.Header.Get("Cache-Status"))
	}
	ttl, err := strconv.Atoi(cs.Params["ttl"])
	if err != nil || ttl <= 0 || ttl > 60 {
		t.Errorf("hit Cache-Status ttl = %q, want an integer in (0, 60]", cs.Params["ttl"])
	}
}

// RFC 5861 §3: within stale-while-revalidate a stale response is served at
// once (StaleHit) while one background request refreshes it.
func TestE2E_RFC5861_3_StaleWhileRevalidate(t *testing.T) {
	t.Parallel()
	origin, ph := quickStart(t)
	// delay=600: the origin takes 0.6 s, which a stale answer must not wait for.
	uri := "/swr?cc=max-age=3,stale-while-revalidate=30&delay=600"
	first := get(t, "GET", ph.Edge+uri)
	expect(t, "first X-Cache", first.xcache(), miss)
	stored := time.Now()
	sleepUntil(stored.Add(3100 * time.Millisecond))

	start := time.Now()
	r := get(t, "GET", ph.Edge+uri)
	took := time.Since(start)
	expect(t, "stale X-Cache", r.xcache(), staleHit)
	expect(t, "stale body", r.Body, first.Body)
	if took >= 550*time.Millisecond {
		t.Errorf("the stale answer took %v: it waited for the origin (0.6 s)", took)
	}
	eventually(t, 5*time.Second, "the background refresh to reach the origin", func() bool {
		return originCount(t, origin, uri) == 2
	})
	var last reply
	eventually(t, 5*time.Second, "a hit on the refreshed object", func() bool {
		last = get(t, "GET", ph.Edge+uri)
		return last.xcache() == hit
	})
	expect(t, "refreshed body", last.Body, "origin /swr #2\n")
	expect(t, "origin requests (one background refresh)", originCount(t, origin, uri), 2)
}

// RFC 5861 §4: within stale-if-error a stale response is served when the
// origin cannot be reached; must-revalidate, stale-if-error=0 or an
// elapsed window mean 502 instead.
func TestE2E_RFC5861_4_StaleIfError(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	o := startOriginAt(t, addr)
	origin := "http://" + addr
	ph := startPharos(t, "--origin", origin)

	const (
		sie     = "/sie?cc=max-age=1,stale-if-error=60"
		sieGone = "/sie-elapsed?cc=max-age=1,stale-if-error=1"
		sie0    = "/sie0?cc=max-age=1,stale-if-error=0"
		mustRev = "/sie-mr?cc=max-age=1,must-revalidate"
		plain   = "/sie-plain?cc=max-age=1"
	)
	bodies := map[string]string{}
	for _, uri := range []string{sie, sieGone, sie0, mustRev, plain} {
		r := get(t, "GET", ph.Edge+uri)
		expect(t, uri+" first X-Cache", r.xcache(), miss)
		bodies[uri] = r.Body
	}
	stored := time.Now()
	o.stop(syscall.SIGTERM)
	// Every object is stale after 1 s; stale-if-error=1 has run out after
	// 2 s of staleness.
	sleepUntil(stored.Add(3200 * time.Millisecond))

	for _, uri := range []string{sie, plain} {
		r := get(t, "GET", ph.Edge+uri)
		expect(t, uri+" status with the origin down", r.Status, 200)
		expect(t, uri+" X-Cache with the origin down", r.xcache(), staleHit)
		expect(t, uri+" body with the origin down", r.Body, bodies[uri])
	}
	for _, uri := range []string{sieGone, sie0, mustRev} {
		r := get(t, "GET", ph.Edge+uri)
		expect(t, uri+" status with the origin down", r.Status, http.StatusBadGateway)
		expect(t, uri+" X-Cache with the origin down", r.xcache(), edgeError)
	}
}

// RFC 9111 §5.3: an invalid Expires means "already expired", not "no
// lifetime given" (which would be DefaultTTL).
func TestE2E_RFC9111_5_3_InvalidExpires(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t)
	ph.createDist(t, distSpec{Alias: "expires.example", Origin: origin, MinTTL: 0, DefaultTTL: 60, MaxTTL: 3600})
	uri := "/expires?expires=garbage"
	for i := 1; i <= 3; i++ {
		r := get(t, "GET", ph.Edge+uri, "Host: expires.example")
		expect(t, "status", r.Status, 200)
		expect(t, "X-Cache of request "+strconv.Itoa(i), r.xcache(), miss)
	}
	expect(t, "origin requests", originCount(t, origin, uri), 3)
}

// CloudFront: the origin's lifetime is clamped into [MinTTL, MaxTTL].
func TestE2E_CloudFront_TTLClamping(t *testing.T) {
	t.Parallel()
	origin := startOrigin(t)
	ph := startPharos(t)
	ph.createDist(t, distSpec{Alias: "min.example", Origin: origin, MinTTL: 5, DefaultTTL: 60, MaxTTL: 3600})
	ph.createDist(t, distSpec{Alias: "max.example", Origin: origin, MinTTL: 0, DefaultTTL: 1, MaxTTL: 1})

	minURI, maxURI := "/min?cc=max-age=1", "/max?cc=max-age=3600"
	expect(t, "MinTTL first X-Cache", get(t, "GET", ph.Edge+minURI, "Host: min.example").xcache(), miss)
	expect(t, "MaxTTL first X-Cache", get(t, "GET", ph.Edge+maxURI, "Host: max.example").xcache(), miss)
	stored := time.Now()
	sleepUntil(stored.Add(1500 * time.Millisecond))

	r := get(t, "GET", ph.Edge+minURI, "Host: min.example")
	expect(t, "MinTTL 5, max-age=1: X-Cache after 1.5 s", r.xcache(), hit)
	expect(t, "MinTTL origin requests", originCount(t, origin, minURI), 1)

	r = get(t, "GET", ph.Edge+maxURI, "Host: max.example")
	if xc := r.xcache(); xc != miss && xc != refreshHit {
		t.Errorf("MaxTTL 1, max-age=3600: X-Cache after 1.5 s = %q, want a Miss or RefreshHit", xc)
	}
	expect(t, "MaxTTL origin requests", originCount(t, origin, maxURI), 2)
}
