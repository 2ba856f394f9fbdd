package cfapi

import (
	"encoding/xml"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// CachePolicy operations: POST /cache-policy, GET /cache-policy[?Type=],
// GET /cache-policy/{Id}[/config], PUT and DELETE /cache-policy/{Id}.
// Every element of CachePolicyConfig is supported.

type cachePolicyConfigXML struct {
	XMLName    xml.Name           `xml:"CachePolicyConfig"`
	Xmlns      string             `xml:"xmlns,attr,omitempty"`
	Comment    *string            `xml:"Comment"`
	Name       string             `xml:"Name"`
	DefaultTTL *int64             `xml:"DefaultTTL"`
	MaxTTL     *int64             `xml:"MaxTTL"`
	MinTTL     *int64             `xml:"MinTTL"`
	Params     *cacheKeyParamsXML `xml:"ParametersInCacheKeyAndForwardedToOrigin"`
	Unknown    []unknownXML       `xml:",any"`
}

type cacheKeyParamsXML struct {
	EnableAcceptEncodingGzip   *bool             `xml:"EnableAcceptEncodingGzip"`
	EnableAcceptEncodingBrotli *bool             `xml:"EnableAcceptEncodingBrotli"`
	HeadersConfig              *headersConfigXML `xml:"HeadersConfig"`
	CookiesConfig              *cookiesConfigXML `xml:"CookiesConfig"`
	QueryStringsConfig         *queryConfigXML   `xml:"QueryStringsConfig"`
	Unknown                    []unknownXML      `xml:",any"`
}

type headersConfigXML struct {
	HeaderBehavior string          `xml:"HeaderBehavior"`
	Headers        *policyNamesXML `xml:"Headers"`
	Unknown        []unknownXML    `xml:",any"`
}

type cookiesConfigXML struct {
	CookieBehavior string          `xml:"CookieBehavior"`
	Cookies        *policyNamesXML `xml:"Cookies"`
	Unknown        []unknownXML    `xml:",any"`
}

type queryConfigXML struct {
	QueryStringBehavior string          `xml:"QueryStringBehavior"`
	QueryStrings        *policyNamesXML `xml:"QueryStrings"`
	Unknown             []unknownXML    `xml:",any"`
}

func (h *headersConfigXML) list(field string) (model.ListConfig, error) {
	if h == nil {
		return model.ListConfig{}, nil
	}
	items, err := nameItems(h.Headers, field+".Headers")
	return model.ListConfig{Behavior: h.HeaderBehavior, Items: items}, err
}

func (c *cookiesConfigXML) list(field string) (model.ListConfig, error) {
	if c == nil {
		return model.ListConfig{}, nil
	}
	items, err := nameItems(c.Cookies, field+".Cookies")
	return model.ListConfig{Behavior: c.CookieBehavior, Items: items}, err
}

func (q *queryConfigXML) list(field string) (model.ListConfig, error) {
	if q == nil {
		return model.ListConfig{}, nil
	}
	items, err := nameItems(q.QueryStrings, field+".QueryStrings")
	return model.ListConfig{Behavior: q.QueryStringBehavior, Items: items}, err
}

type cachePolicyXML struct {
	XMLName          xml.Name             `xml:"CachePolicy"`
	Xmlns            string               `xml:"xmlns,attr,omitempty"`
	Id               string               `xml:"Id"`
	LastModifiedTime string               `xml:"LastModifiedTime"`
	Config           cachePolicyConfigXML `xml:"CachePolicyConfig"`
}

type cachePolicyListXML struct {
	XMLName    xml.Name             `xml:"CachePolicyList"`
	Xmlns      string               `xml:"xmlns,attr"`
	NextMarker string               `xml:"NextMarker,omitempty"`
	MaxItems   int                  `xml:"MaxItems"`
	Quantity   int                  `xml:"Quantity"`
	Items      *cachePolicyItemsXML `xml:"Items"`
}

type cachePolicyItemsXML struct {
	Summary []cachePolicySummaryXML `xml:"CachePolicySummary"`
}

type cachePolicySummaryXML struct {
	Type        string         `xml:"Type"`
	CachePolicy cachePolicyXML `xml:"CachePolicy"`
}

// toModel maps the XML onto a cache policy. CloudFront's defaults apply to
// what is left out: DefaultTTL 86400 (or MaxTTL when lower), MaxTTL
// 31536000; MinTTL is required.
func (c *cachePolicyConfigXML) toModel() (model.CachePolicy, error) {
	if err := checkUnknown(c, "CachePolicyConfig"); err != nil {
		return model.CachePolicy{}, err
	}
	if c.MinTTL == nil {
		return model.CachePolicy{}, errInvalidArgument("CachePolicyConfig.MinTTL is required")
	}
	p := model.CachePolicy{Name: c.Name, Comment: valueOf(c.Comment), MinTTL: *c.MinTTL, MaxTTL: 31536000}
	if c.MaxTTL != nil {
		p.MaxTTL = *c.MaxTTL
	}
	p.DefaultTTL = min(86400, p.MaxTTL)
	if c.DefaultTTL != nil {
		p.DefaultTTL = *c.DefaultTTL
	}
	if k := c.Params; k != nil {
		const f = "CachePolicyConfig.ParametersInCacheKeyAndForwardedToOrigin"
		p.EnableAcceptEncoding = model.AcceptEncoding{Gzip: valueOf(k.EnableAcceptEncodingGzip), Brotli: valueOf(k.EnableAcceptEncodingBrotli)}
		var err error
		if p.Headers, err = k.HeadersConfig.list(f + ".HeadersConfig"); err != nil {
			return p, err
		}
		if p.Cookies, err = k.CookiesConfig.list(f + ".CookiesConfig"); err != nil {
			return p, err
		}
		if p.QueryStrings, err = k.QueryStringsConfig.list(f + ".QueryStringsConfig"); err != nil {
			return p, err
		}
	}
	return p, nil
}

func cachePolicyConfigOf(p *model.CachePolicy) cachePolicyConfigXML {
	return cachePolicyConfigXML{Comment: ptr(p.Comment), Name: p.Name,
		DefaultTTL: ptr(p.DefaultTTL), MaxTTL: ptr(p.MaxTTL), MinTTL: ptr(p.MinTTL),
		Params: &cacheKeyParamsXML{
			EnableAcceptEncodingGzip:   ptr(p.EnableAcceptEncoding.Gzip),
			EnableAcceptEncodingBrotli: ptr(p.EnableAcceptEncoding.Brotli),
			HeadersConfig:              &headersConfigXML{HeaderBehavior: p.Headers.Behavior, Headers: nameList(p.Headers.Items)},
			CookiesConfig:              &cookiesConfigXML{CookieBehavior: p.Cookies.Behavior, Cookies: nameList(p.Cookies.Items)},
			QueryStringsConfig:         &queryConfigXML{QueryStringBehavior: p.QueryStrings.Behavior, QueryStrings: nameList(p.QueryStrings.Items)},
		}}
}

func cachePolicyOf(v control.Versioned[model.CachePolicy]) cachePolicyXML {
	return cachePolicyXML{Id: v.Item.ID, LastModifiedTime: v.Item.LastModified.UTC().Format(timeLayout),
		Config: cachePolicyConfigOf(&v.Item)}
}

func readCachePolicy(r *http.Request) (model.CachePolicy, error) {
	var c cachePolicyConfigXML
	if err := decodeXML(r, &c); err != nil {
		return model.CachePolicy{}, err
	}
	return c.toModel()
}

func (s *Server) registerCachePolicies() {
	ops := s.svc.CachePolicies()
	registerCRUD(s, crudSpec[model.CachePolicy]{
		path: "/cache-policy", update: "/{Id}", field: "CachePolicyConfig",
		ops: ops, list: ops.List, typed: true, read: readCachePolicy,
		id: func(v control.Versioned[model.CachePolicy]) string { return v.Item.ID },
		one: func(v control.Versioned[model.CachePolicy]) any {
			x := cachePolicyOf(v)
			x.Xmlns = Namespace
			return x
		},
		config: func(p *model.CachePolicy) any {
			x := cachePolicyConfigOf(p)
			x.Xmlns = Namespace
			return x
		},
		page: func(items []control.Versioned[model.CachePolicy], maxItems int, next string) any {
			out := cachePolicyListXML{Xmlns: Namespace, NextMarker: next, MaxItems: maxItems, Quantity: len(items)}
			if len(items) > 0 {
				out.Items = &cachePolicyItemsXML{}
			}
			for _, v := range items {
				out.Items.Summary = append(out.Items.Summary, cachePolicySummaryXML{Type: policyType(v.Managed), CachePolicy: cachePolicyOf(v)})
			}
			return out
		},
	})
}

func policyType(managed bool) string {
	if managed {
		return "managed"
	}
	return "custom"
}
