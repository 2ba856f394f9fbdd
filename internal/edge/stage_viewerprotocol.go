package edge

import (
	"net/http"
	"strconv"
)

// viewerProtocolStage applies the behaviour's ViewerProtocolPolicy to
// viewers on plain HTTP, as CloudFront does: redirect-to-https answers
// GET and HEAD with 301 and other methods with 307 (which keeps the method
// and body), https-only answers 403. allow-all has no stage.
func viewerProtocolStage(s *Server, b *Behavior) Stage {
	if !redirectsViewer(b) {
		return nil
	}
	policy := b.src.ViewerProtocolPolicy
	return func(next Handler) Handler {
		return func(x *Exchange) {
			if x.HTTPS {
				next(x)
				return
			}
			if policy == "https-only" {
				s.edgeError(x, http.StatusForbidden, "403 Forbidden: this content is served over HTTPS only")
				return
			}
			s.redirectToHTTPS(x)
		}
	}
}

// redirectsViewer reports whether plain-HTTP viewers are turned away.
func redirectsViewer(b *Behavior) bool {
	return b.src != nil && (b.src.ViewerProtocolPolicy == "redirect-to-https" || b.src.ViewerProtocolPolicy == "https-only")
}

// redirectToHTTPS sends the viewer to the same URL over HTTPS: the Host's
// name, the edge's HTTPS port unless it is 443, and the path and query as
// sent.
func (s *Server) redirectToHTTPS(x *Exchange) {
	status := http.StatusMovedPermanently
	if m := x.R.Method; m != http.MethodGet && m != http.MethodHead {
		status = http.StatusTemporaryRedirect
	}
	loc := "https://" + hostOnly(x.R.Host)
	if p := s.cfg.HTTPSPort; p != 0 && p != 443 {
		loc += ":" + strconv.Itoa(p)
	}
	loc += requestTarget(x.R)
	x.status = status
	h := x.W.Header()
	h.Set("Location", loc)
	h.Set("Content-Length", "0")
	s.edgeHeaders(x, h, nil, resultError)
	// CloudFront reports its HTTP→HTTPS redirects as "Redirect".
	h["X-Cache"] = xCacheRedirect
	x.W.WriteHeader(status)
}

var xCacheRedirect = []string{"Redirect from pharos"}

// requestTarget is the path and query as the viewer sent them.
func requestTarget(r *http.Request) string {
	if u := r.RequestURI; len(u) > 0 && u[0] == '/' {
		return u
	}
	if r.URL.RawQuery != "" {
		return r.URL.EscapedPath() + "?" + r.URL.RawQuery
	}
	return r.URL.EscapedPath()
}
