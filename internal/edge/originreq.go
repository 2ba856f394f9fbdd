package edge

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/pharos-cdn/pharos/internal/httpcache"
	"github.com/pharos-cdn/pharos/internal/model"
)

// forwardRules say which viewer values reach the origin: those in the cache
// key, plus those the origin request policy names (CloudFront's rule, which
// keeps values that are not in the key from shaping a stored response).
type forwardRules struct {
	allQuery     bool
	query        nameFilter
	headers      nameFilter
	allHeaders   bool
	cookies      nameFilter
	allCookies   bool
	forwardHost  bool
	forwardUA    bool
	acceptEnc    bool // key policy normalises Accept-Encoding
	gzip, brotli bool
	// edgeCloudFront: the request's CloudFront-* fields are the edge's
	// own (stage_viewerheaders.go); otherwise they are a viewer's, never sent.
	edgeCloudFront bool
}

// nameFilter matches names by a whitelist or an all-except list.
type nameFilter struct {
	except bool
	names  []string
	fold   bool // case-insensitive names (headers)
}

func (f nameFilter) match(name string) bool {
	found := slices.ContainsFunc(f.names, func(n string) bool {
		if f.fold {
			return strings.EqualFold(n, name)
		}
		return n == name
	})
	return found != f.except
}

func (f nameFilter) empty() bool { return !f.except && len(f.names) == 0 }

func listFilter(l model.ListConfig, fold bool) (nameFilter, bool) {
	switch l.Behavior {
	case "all", "allViewer", "allViewerAndWhitelistCloudFront":
		return nameFilter{}, true
	case "whitelist":
		return nameFilter{names: l.Items, fold: fold}, false
	case "allExcept":
		return nameFilter{except: true, names: l.Items, fold: fold}, false
	}
	return nameFilter{}, false
}

func union(a, b nameFilter, aAll, bAll bool) (nameFilter, bool) {
	switch {
	case aAll || bAll:
		return nameFilter{}, true
	case a.empty():
		return b, false
	case b.empty():
		return a, false
	case !a.except && !b.except:
		return nameFilter{names: append(slices.Clone(a.names), b.names...), fold: a.fold}, false
	}
	// Mixed except lists: forward what either would; rare, so keep it simple
	// and exact with a closure-free representation: names excluded by both.
	var excluded []string
	for _, n := range append(slices.Clone(a.names), b.names...) {
		if !a.match(n) && !b.match(n) {
			excluded = append(excluded, n)
		}
	}
	return nameFilter{except: true, names: excluded, fold: a.fold}, false
}

func newForwardRules(cp model.CachePolicy, orp *model.OriginRequestPolicy) forwardRules {
	var r forwardRules
	kq, kqAll := listFilter(cp.QueryStrings, false)
	kh, _ := listFilter(cp.Headers, true)
	kc, kcAll := listFilter(cp.Cookies, false)
	var oq, oh, oc nameFilter
	var oqAll, ohAll, ocAll bool
	if orp != nil {
		oq, oqAll = listFilter(orp.QueryStrings, false)
		oh, ohAll = listFilter(orp.Headers, true)
		oc, ocAll = listFilter(orp.Cookies, false)
	}
	r.query, r.allQuery = union(kq, oq, kqAll, oqAll)
	r.headers, r.allHeaders = union(kh, oh, false, ohAll)
	r.cookies, r.allCookies = union(kc, oc, kcAll, ocAll)
	r.forwardHost = !r.allHeaders && r.headers.match("Host") || r.allHeaders
	r.forwardUA = r.allHeaders || r.headers.match("User-Agent")
	r.gzip, r.brotli = cp.EnableAcceptEncoding.Gzip, cp.EnableAcceptEncoding.Brotli
	r.acceptEnc = r.gzip || r.brotli
	r.edgeCloudFront = len(viewerHeaderNames(cp, orp)) > 0
	return r
}

// hopByHop are the fields that describe one connection, never forwarded
// (RFC 9110 §7.6.1), plus the proxy fields CloudFront always drops.
var hopByHop = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// removeHopByHop deletes hop-by-hop fields, including those the Connection
// field names, from h.
func removeHopByHop(h http.Header) {
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, k := range hopByHop {
		delete(h, k)
	}
}

// connectionNames reports whether the viewer's Connection field names
// name: such a field is hop-by-hop whatever a policy forwards (RFC 9110
// §7.6.1).
func connectionNames(h http.Header, name string) bool {
	for _, v := range h["Connection"] {
		for n := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(n), name) {
				return true
			}
		}
	}
	return false
}

// forwardedQuery returns the query string sent to the origin.
func (r *forwardRules) forwardedQuery(raw string) string {
	if r.allQuery || raw == "" {
		return raw
	}
	if r.query.empty() {
		return ""
	}
	var b strings.Builder
	for part := range strings.SplitSeq(raw, "&") {
		name, _, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil && r.query.match(n) {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(part)
		}
	}
	return b.String()
}

// originRequest builds the request to the origin for viewer exchange x.
// Only what the rules allow is copied from the viewer; the edge adds
// X-Forwarded-For, X-Forwarded-Proto and Via.
func (s *Server) originRequest(x *Exchange, method string, conditional http.Header) (*http.Request, error) {
	b := x.B
	r := x.R
	u := b.origin.URL(x.HTTPS, r.URL.EscapedPath(), b.forward.forwardedQuery(r.URL.RawQuery))
	var body = r.Body
	if method == http.MethodGet || method == http.MethodHead {
		body = nil
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = r.ContentLength
		req.Header["Content-Type"] = r.Header["Content-Type"]
	}
	h := req.Header
	fr := &b.forward
	for name, vals := range r.Header {
		switch name {
		case "Cookie", "Host", "Accept-Encoding", "X-Forwarded-For", "X-Forwarded-Proto", "Via":
			continue
		}
		if isCloudFrontHeader(name) && !fr.edgeCloudFront {
			continue
		}
		if (fr.allHeaders || fr.headers.match(name)) && !connectionNames(r.Header, name) {
			h[name] = vals
		}
	}
	removeHopByHop(h)
	if fr.acceptEnc {
		if ae := httpcache.NormaliseAcceptEncoding(r.Header["Accept-Encoding"], fr.gzip, fr.brotli); ae != "" {
			h.Set("Accept-Encoding", ae)
		}
	} else if fr.allHeaders || fr.headers.match("Accept-Encoding") {
		h["Accept-Encoding"] = r.Header["Accept-Encoding"]
	}
	if c := fr.cookieHeader(r.Header["Cookie"]); c != "" {
		h.Set("Cookie", c)
	}
	if fr.forwardHost {
		req.Host = r.Host
	} else {
		req.Host = b.origin.HostHeader(x.HTTPS)
	}
	if !fr.forwardUA {
		h.Set("User-Agent", "Pharos")
	} else if _, sent := r.Header["User-Agent"]; !sent {
		// Forward the viewer's absence too: an empty value stops Go's
		// client from adding its own.
		h["User-Agent"] = []string{""}
	}
	clientIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		clientIP = r.RemoteAddr
	}
	if prior := r.Header["X-Forwarded-For"]; len(prior) > 0 {
		h.Set("X-Forwarded-For", strings.Join(prior, ", ")+", "+clientIP)
	} else {
		h.Set("X-Forwarded-For", clientIP)
	}
	if x.HTTPS {
		h.Set("X-Forwarded-Proto", "https")
	} else {
		h.Set("X-Forwarded-Proto", "http")
	}
	h["Via"] = append(slices.Clone(r.Header["Via"]), s.via)
	h.Set("X-Pharos-Request-Id", x.ReqID)
	for _, ch := range b.origin.CustomHeaders() {
		h.Set(ch.Name, ch.Value)
	}
	for k, v := range conditional {
		h[k] = v
	}
	return req, nil
}

// cookieHeader returns the Cookie field to forward: the cookies the rules
// name, sorted by name as CloudFront sends them.
func (r *forwardRules) cookieHeader(vals []string) string {
	if len(vals) == 0 || (!r.allCookies && r.cookies.empty()) {
		return ""
	}
	var kept []string
	for _, v := range vals {
		for c := range strings.SplitSeq(v, ";") {
			c = strings.TrimSpace(c)
			name, _, ok := strings.Cut(c, "=")
			if ok && (r.allCookies || r.cookies.match(name)) {
				kept = append(kept, c)
			}
		}
	}
	slices.SortStableFunc(kept, func(a, b string) int {
		an, _, _ := strings.Cut(a, "=")
		bn, _, _ := strings.Cut(b, "=")
		return strings.Compare(an, bn)
	})
	return strings.Join(kept, "; ")
}
