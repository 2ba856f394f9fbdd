package edge

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/pharos-cdn/pharos/internal/security/signedurl"
)

// signedStage requires a CloudFront signed URL or signed cookies on a
// behaviour that trusts key groups. A refusal is CloudFront's 403 with its
// small XML body; an accepted request goes on without the signing query
// parameters and cookies, so they reach neither the cache key nor the
// origin.
func signedStage(s *Server, b *Behavior) Stage {
	if !requiresSignature(b) {
		return nil
	}
	keys := signedurl.Keys{}
	for _, k := range b.src.TrustedKeys {
		pub, err := signedurl.ParsePublicKey([]byte(k.PEM))
		if err != nil {
			// The control plane checks keys when they are stored; one that
			// still fails here signs nothing (the behaviour stays closed).
			s.log.Error("trusted key unusable", "key", k.ID, "err", err)
			continue
		}
		keys[k.ID] = pub
	}
	return func(next Handler) Handler {
		return func(x *Exchange) {
			r := x.R
			path, _, _ := strings.Cut(requestTarget(r), "?")
			req := signedurl.Request{
				Scheme: "http", Host: r.Host, Path: path, RawQuery: r.URL.RawQuery,
				Cookies: r.Header["Cookie"], ClientIP: s.viewerAddr(r).Addr(), Now: x.Now,
			}
			if x.HTTPS {
				req.Scheme = "https"
			}
			res, err := signedurl.Verify(&req, keys)
			if err != nil {
				s.log.Debug("signed request refused", "request", x.ReqID, "err", err)
				s.signedError(x, err)
				return
			}
			x.R = withoutSigning(r, path, res.Query)
			next(x)
		}
	}
}

// requiresSignature reports whether the behaviour trusts signers: then
// every request must be signed. Keys without their groups (as unit tests
// set them) count too; groups whose keys are missing let nothing in.
func requiresSignature(b *Behavior) bool {
	return b.src != nil && (len(b.src.TrustedKeyGroups) > 0 || len(b.src.TrustedKeys) > 0)
}

// withoutSigning returns r, or a shallow copy of it, without the signing
// query parameters and cookies.
func withoutSigning(r *http.Request, path, query string) *http.Request {
	cookies := r.Header["Cookie"]
	signedCookies := slices.ContainsFunc(cookies, func(c string) bool {
		return strings.Contains(c, signedurl.CookiePrefix)
	})
	if query == r.URL.RawQuery && !signedCookies {
		return r
	}
	r2 := r.WithContext(r.Context())
	u := *r.URL
	u.RawQuery, u.ForceQuery = query, false
	r2.URL = &u
	r2.RequestURI = path
	if query != "" {
		r2.RequestURI += "?" + query
	}
	if signedCookies {
		h := r.Header.Clone()
		if kept := signedurl.StripCookies(cookies); kept != nil {
			h["Cookie"] = kept
		} else {
			delete(h, "Cookie")
		}
		r2.Header = h
	}
	return r2
}

// signedError answers as CloudFront does when a signature fails: 403,
// Content-Type text/xml, the error document.
func (s *Server) signedError(x *Exchange, e *signedurl.Error) {
	s.metrics.count(resultError)
	x.status = http.StatusForbidden
	body := e.Body()
	h := x.W.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	s.edgeHeaders(x, h, nil, resultError)
	x.W.WriteHeader(http.StatusForbidden)
	if x.R.Method != http.MethodHead {
		x.W.Write(body)
	}
}
