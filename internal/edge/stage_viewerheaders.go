package edge

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/pharos-cdn/pharos/internal/model"
)

// CloudFront's opt-in viewer headers (CLOUDFRONT.md §2.2) that the edge
// fills in: a behaviour gets them when its cache policy or origin request
// policy names them, and only then. The values are the edge's own: a
// viewer that sends one of these fields never has its value believed.
var viewerHeaderValues = map[string]func(s *Server, x *Exchange) string{
	"Cloudfront-Viewer-Country": func(s *Server, x *Exchange) string {
		return s.cfg.GeoIP.Country(s.viewerAddr(x.R).Addr())
	},
	"Cloudfront-Viewer-Address": func(s *Server, x *Exchange) string {
		if a := s.viewerAddr(x.R); a.IsValid() {
			return a.String()
		}
		return ""
	},
	"Cloudfront-Viewer-Latitude":  func(s *Server, x *Exchange) string { return coordinate(s, x, true) },
	"Cloudfront-Viewer-Longitude": func(s *Server, x *Exchange) string { return coordinate(s, x, false) },
	"Cloudfront-Forwarded-Proto": func(s *Server, x *Exchange) string {
		if x.HTTPS {
			return "https"
		}
		return "http"
	},
	"Cloudfront-Viewer-Http-Version": func(s *Server, x *Exchange) string {
		return strconv.Itoa(x.R.ProtoMajor) + "." + strconv.Itoa(x.R.ProtoMinor)
	},
	"Cloudfront-Is-Desktop-Viewer": device(func(d deviceKind) bool { return d.desktop }),
	"Cloudfront-Is-Mobile-Viewer":  device(func(d deviceKind) bool { return d.mobile }),
	"Cloudfront-Is-Tablet-Viewer":  device(func(d deviceKind) bool { return d.tablet }),
	"Cloudfront-Is-Smarttv-Viewer": device(func(d deviceKind) bool { return d.smartTV }),
	"Cloudfront-Is-Android-Viewer": device(func(d deviceKind) bool { return d.android }),
	"Cloudfront-Is-Ios-Viewer":     device(func(d deviceKind) bool { return d.ios }),
}

// viewerHeaderNames returns the edge-made headers a behaviour's policies
// name (canonical form).
func viewerHeaderNames(cp model.CachePolicy, orp *model.OriginRequestPolicy) []string {
	var names []string
	add := func(l model.ListConfig) {
		if l.Behavior != "whitelist" && l.Behavior != "allViewerAndWhitelistCloudFront" {
			return
		}
		for _, n := range l.Items {
			n = http.CanonicalHeaderKey(n)
			if viewerHeaderValues[n] != nil && !contains(names, n) {
				names = append(names, n)
			}
		}
	}
	add(cp.Headers)
	if orp != nil {
		add(orp.Headers)
	}
	return names
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// isCloudFrontHeader reports whether a viewer's field claims to come from
// the CDN; such fields reach the origin only with the edge's own values.
func isCloudFrontHeader(name string) bool { return strings.HasPrefix(name, "Cloudfront-") }

// viewerHeadersStage sets the named CloudFront-* headers on the request
// before the cache stage, so a cache policy can key on them (the country,
// say) and the origin request carries them.
func viewerHeadersStage(s *Server, b *Behavior) Stage {
	if b.src == nil {
		return nil
	}
	cp, _ := b.src.EffectiveCachePolicy()
	names := viewerHeaderNames(cp, b.src.OriginRequest)
	if len(names) == 0 {
		return nil
	}
	return func(next Handler) Handler {
		return func(x *Exchange) {
			r2 := x.R.WithContext(x.R.Context())
			h := make(http.Header, len(x.R.Header)+len(names))
			for k, v := range x.R.Header {
				if !isCloudFrontHeader(k) {
					h[k] = v
				}
			}
			for _, n := range names {
				if v := viewerHeaderValues[n](s, x); v != "" {
					h[n] = []string{v}
				}
			}
			r2.Header = h
			x.R = r2
			next(x)
		}
	}
}

func coordinate(s *Server, x *Exchange, lat bool) string {
	la, lo, _, ok := s.cfg.GeoIP.Location(s.viewerAddr(x.R).Addr())
	if !ok {
		return ""
	}
	if lat {
		return strconv.FormatFloat(la, 'f', 6, 64)
	}
	return strconv.FormatFloat(lo, 'f', 6, 64)
}

// deviceKind is what a User-Agent says about the viewer's device, by the
// same coarse signs CloudFront documents (it too reads the User-Agent).
type deviceKind struct {
	desktop, mobile, tablet, smartTV, android, ios bool
}

func classify(ua string) deviceKind {
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(ua, s) {
				return true
			}
		}
		return false
	}
	var d deviceKind
	d.android = has("Android")
	d.ios = has("iPhone", "iPad", "iPod")
	d.smartTV = has("SmartTV", "SMART-TV", "Smart-TV", "GoogleTV", "AppleTV", "HbbTV", "Roku", "BRAVIA", "Web0S", "webOS.TV", "Tizen TV")
	d.tablet = !d.smartTV && (has("iPad", "Tablet", "Kindle", "Silk/") || d.android && !has("Mobile"))
	d.mobile = !d.smartTV && !d.tablet && (has("Mobile", "iPhone", "iPod", "Windows Phone", "Opera Mini") || d.android)
	d.desktop = !d.mobile && !d.tablet && !d.smartTV
	return d
}

func device(pick func(deviceKind) bool) func(*Server, *Exchange) string {
	return func(_ *Server, x *Exchange) string {
		return strconv.FormatBool(pick(classify(x.R.Header.Get("User-Agent"))))
	}
}
