package cfapi

import (
	"encoding/xml"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// OriginRequestPolicy operations under /origin-request-policy, shaped as
// the cache policy ones. Every element is supported; with
// allViewerAndWhitelistCloudFront the listed CloudFront-* headers the edge
// makes are sent (the others are absent).

type originRequestPolicyConfigXML struct {
	XMLName            xml.Name          `xml:"OriginRequestPolicyConfig"`
	Xmlns              string            `xml:"xmlns,attr,omitempty"`
	Comment            *string           `xml:"Comment"`
	Name               string            `xml:"Name"`
	HeadersConfig      *headersConfigXML `xml:"HeadersConfig"`
	CookiesConfig      *cookiesConfigXML `xml:"CookiesConfig"`
	QueryStringsConfig *queryConfigXML   `xml:"QueryStringsConfig"`
	Unknown            []unknownXML      `xml:",any"`
}

type originRequestPolicyXML struct {
	XMLName          xml.Name                     `xml:"OriginRequestPolicy"`
	Xmlns            string                       `xml:"xmlns,attr,omitempty"`
	Id               string                       `xml:"Id"`
	LastModifiedTime string                       `xml:"LastModifiedTime"`
	Config           originRequestPolicyConfigXML `xml:"OriginRequestPolicyConfig"`
}

type originRequestPolicyListXML struct {
	XMLName    xml.Name                     `xml:"OriginRequestPolicyList"`
	Xmlns      string                       `xml:"xmlns,attr"`
	NextMarker string                       `xml:"NextMarker,omitempty"`
	MaxItems   int                          `xml:"MaxItems"`
	Quantity   int                          `xml:"Quantity"`
	Items      *originRequestPolicyItemsXML `xml:"Items"`
}

type originRequestPolicyItemsXML struct {
	Summary []originRequestPolicySummaryXML `xml:"OriginRequestPolicySummary"`
}

type originRequestPolicySummaryXML struct {
	Type   string                 `xml:"Type"`
	Policy originRequestPolicyXML `xml:"OriginRequestPolicy"`
}

func (c *originRequestPolicyConfigXML) toModel() (model.OriginRequestPolicy, error) {
	if err := checkUnknown(c, "OriginRequestPolicyConfig"); err != nil {
		return model.OriginRequestPolicy{}, err
	}
	const f = "OriginRequestPolicyConfig"
	if c.HeadersConfig == nil || c.CookiesConfig == nil || c.QueryStringsConfig == nil {
		return model.OriginRequestPolicy{}, errInvalidArgument("%s: HeadersConfig, CookiesConfig and QueryStringsConfig are required", f)
	}
	p := model.OriginRequestPolicy{Name: c.Name, Comment: valueOf(c.Comment)}
	var err error
	if p.Headers, err = c.HeadersConfig.list(f + ".HeadersConfig"); err != nil {
		return p, err
	}
	if p.Cookies, err = c.CookiesConfig.list(f + ".CookiesConfig"); err != nil {
		return p, err
	}
	if p.QueryStrings, err = c.QueryStringsConfig.list(f + ".QueryStringsConfig"); err != nil {
		return p, err
	}
	return p, nil
}

func originRequestPolicyConfigOf(p *model.OriginRequestPolicy) originRequestPolicyConfigXML {
	return originRequestPolicyConfigXML{Comment: ptr(p.Comment), Name: p.Name,
		HeadersConfig:      &headersConfigXML{HeaderBehavior: p.Headers.Behavior, Headers: nameList(p.Headers.Items)},
		CookiesConfig:      &cookiesConfigXML{CookieBehavior: p.Cookies.Behavior, Cookies: nameList(p.Cookies.Items)},
		QueryStringsConfig: &queryConfigXML{QueryStringBehavior: p.QueryStrings.Behavior, QueryStrings: nameList(p.QueryStrings.Items)},
	}
}

func originRequestPolicyOf(v control.Versioned[model.OriginRequestPolicy]) originRequestPolicyXML {
	return originRequestPolicyXML{Id: v.Item.ID, LastModifiedTime: v.Item.LastModified.UTC().Format(timeLayout),
		Config: originRequestPolicyConfigOf(&v.Item)}
}

func readOriginRequestPolicy(r *http.Request) (model.OriginRequestPolicy, error) {
	var c originRequestPolicyConfigXML
	if err := decodeXML(r, &c); err != nil {
		return model.OriginRequestPolicy{}, err
	}
	return c.toModel()
}

func (s *Server) registerOriginRequestPolicies() {
	ops := s.svc.OriginRequestPolicies()
	registerCRUD(s, crudSpec[model.OriginRequestPolicy]{
		path: "/origin-request-policy", update: "/{Id}", field: "OriginRequestPolicyConfig",
		ops: ops, list: ops.List, typed: true, read: readOriginRequestPolicy,
		id: func(v control.Versioned[model.OriginRequestPolicy]) string { return v.Item.ID },
		one: func(v control.Versioned[model.OriginRequestPolicy]) any {
			x := originRequestPolicyOf(v)
			x.Xmlns = Namespace
			return x
		},
		config: func(p *model.OriginRequestPolicy) any {
			x := originRequestPolicyConfigOf(p)
			x.Xmlns = Namespace
			return x
		},
		page: func(items []control.Versioned[model.OriginRequestPolicy], maxItems int, next string) any {
			out := originRequestPolicyListXML{Xmlns: Namespace, NextMarker: next, MaxItems: maxItems, Quantity: len(items)}
			if len(items) > 0 {
				out.Items = &originRequestPolicyItemsXML{}
			}
			for _, v := range items {
				out.Items.Summary = append(out.Items.Summary, originRequestPolicySummaryXML{Type: policyType(v.Managed), Policy: originRequestPolicyOf(v)})
			}
			return out
		},
	})
}
