package cfapi

import (
	"encoding/xml"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// ResponseHeadersPolicy operations under /response-headers-policy, shaped
// as the cache policy ones. Every element of ResponseHeadersPolicyConfig
// is supported and applied by the edges.

type responseHeadersPolicyConfigXML struct {
	XMLName      xml.Name            `xml:"ResponseHeadersPolicyConfig"`
	Xmlns        string              `xml:"xmlns,attr,omitempty"`
	Comment      *string             `xml:"Comment"`
	Name         string              `xml:"Name"`
	Cors         *corsXML            `xml:"CorsConfig"`
	Security     *securityXML        `xml:"SecurityHeadersConfig"`
	ServerTiming *serverTimingXML    `xml:"ServerTimingHeadersConfig"`
	Custom       *rhCustomHeadersXML `xml:"CustomHeadersConfig"`
	Remove       *removeHeadersXML   `xml:"RemoveHeadersConfig"`
	Unknown      []unknownXML        `xml:",any"`
}

type corsXML struct {
	AllowOrigins     *corsOriginsXML `xml:"AccessControlAllowOrigins"`
	AllowHeaders     *corsHeadersXML `xml:"AccessControlAllowHeaders"`
	AllowMethods     *corsMethodsXML `xml:"AccessControlAllowMethods"`
	AllowCredentials *bool           `xml:"AccessControlAllowCredentials"`
	ExposeHeaders    *corsHeadersXML `xml:"AccessControlExposeHeaders"`
	MaxAgeSec        *int64          `xml:"AccessControlMaxAgeSec"`
	OriginOverride   *bool           `xml:"OriginOverride"`
	Unknown          []unknownXML    `xml:",any"`
}

type corsOriginsXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>Origin"`
	Unknown  []unknownXML `xml:",any"`
}

type corsHeadersXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>Header"`
	Unknown  []unknownXML `xml:",any"`
}

type corsMethodsXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>Method"`
	Unknown  []unknownXML `xml:",any"`
}

type securityXML struct {
	XSSProtection           *xssXML            `xml:"XSSProtection"`
	FrameOptions            *frameOptionsXML   `xml:"FrameOptions"`
	ReferrerPolicy          *referrerXML       `xml:"ReferrerPolicy"`
	ContentSecurityPolicy   *cspXML            `xml:"ContentSecurityPolicy"`
	ContentTypeOptions      *contentTypeOptXML `xml:"ContentTypeOptions"`
	StrictTransportSecurity *hstsXML           `xml:"StrictTransportSecurity"`
	Unknown                 []unknownXML       `xml:",any"`
}

type xssXML struct {
	Override   *bool        `xml:"Override"`
	Protection *bool        `xml:"Protection"`
	ModeBlock  *bool        `xml:"ModeBlock"`
	ReportUri  *string      `xml:"ReportUri"`
	Unknown    []unknownXML `xml:",any"`
}

type frameOptionsXML struct {
	Override    *bool        `xml:"Override"`
	FrameOption string       `xml:"FrameOption"`
	Unknown     []unknownXML `xml:",any"`
}

type referrerXML struct {
	Override       *bool        `xml:"Override"`
	ReferrerPolicy string       `xml:"ReferrerPolicy"`
	Unknown        []unknownXML `xml:",any"`
}

type cspXML struct {
	Override              *bool        `xml:"Override"`
	ContentSecurityPolicy string       `xml:"ContentSecurityPolicy"`
	Unknown               []unknownXML `xml:",any"`
}

type contentTypeOptXML struct {
	Override *bool        `xml:"Override"`
	Unknown  []unknownXML `xml:",any"`
}

type hstsXML struct {
	Override          *bool        `xml:"Override"`
	IncludeSubdomains *bool        `xml:"IncludeSubdomains"`
	Preload           *bool        `xml:"Preload"`
	MaxAgeSec         *int64       `xml:"AccessControlMaxAgeSec"`
	Unknown           []unknownXML `xml:",any"`
}

type serverTimingXML struct {
	Enabled      *bool        `xml:"Enabled"`
	SamplingRate *float64     `xml:"SamplingRate"`
	Unknown      []unknownXML `xml:",any"`
}

type rhCustomHeadersXML struct {
	Quantity *int                `xml:"Quantity"`
	Items    []rhCustomHeaderXML `xml:"Items>ResponseHeadersPolicyCustomHeader"`
	Unknown  []unknownXML        `xml:",any"`
}

type rhCustomHeaderXML struct {
	Header   string       `xml:"Header"`
	Value    string       `xml:"Value"`
	Override *bool        `xml:"Override"`
	Unknown  []unknownXML `xml:",any"`
}

type removeHeadersXML struct {
	Quantity *int              `xml:"Quantity"`
	Items    []removeHeaderXML `xml:"Items>ResponseHeadersPolicyRemoveHeader"`
	Unknown  []unknownXML      `xml:",any"`
}

type removeHeaderXML struct {
	Header  string       `xml:"Header"`
	Unknown []unknownXML `xml:",any"`
}

type responseHeadersPolicyXML struct {
	XMLName          xml.Name                       `xml:"ResponseHeadersPolicy"`
	Xmlns            string                         `xml:"xmlns,attr,omitempty"`
	Id               string                         `xml:"Id"`
	LastModifiedTime string                         `xml:"LastModifiedTime"`
	Config           responseHeadersPolicyConfigXML `xml:"ResponseHeadersPolicyConfig"`
}

type responseHeadersPolicyListXML struct {
	XMLName    xml.Name                       `xml:"ResponseHeadersPolicyList"`
	Xmlns      string                         `xml:"xmlns,attr"`
	NextMarker string                         `xml:"NextMarker,omitempty"`
	MaxItems   int                            `xml:"MaxItems"`
	Quantity   int                            `xml:"Quantity"`
	Items      *responseHeadersPolicyItemsXML `xml:"Items"`
}

type responseHeadersPolicyItemsXML struct {
	Summary []responseHeadersPolicySummaryXML `xml:"ResponseHeadersPolicySummary"`
}

type responseHeadersPolicySummaryXML struct {
	Type   string                   `xml:"Type"`
	Policy responseHeadersPolicyXML `xml:"ResponseHeadersPolicy"`
}

func (c *responseHeadersPolicyConfigXML) toModel() (model.ResponseHeadersPolicy, error) {
	const f = "ResponseHeadersPolicyConfig"
	if err := checkUnknown(c, f); err != nil {
		return model.ResponseHeadersPolicy{}, err
	}
	p := model.ResponseHeadersPolicy{Name: c.Name, Comment: valueOf(c.Comment)}
	if x := c.Cors; x != nil {
		cors, err := x.toModel(f + ".CorsConfig")
		if err != nil {
			return p, err
		}
		p.CorsConfig = cors
	}
	if x := c.Security; x != nil {
		p.SecurityHeadersConfig = x.toModel()
	}
	if x := c.ServerTiming; x != nil {
		p.ServerTimingHeadersConfig = &model.ServerTimingHeaders{Enabled: valueOf(x.Enabled), SamplingRate: valueOf(x.SamplingRate)}
	}
	if x := c.Custom; x != nil {
		if err := checkQuantity(f+".CustomHeadersConfig", x.Quantity, len(x.Items)); err != nil {
			return p, err
		}
		for _, h := range x.Items {
			p.CustomHeadersConfig = append(p.CustomHeadersConfig, model.ResponseHeader{Header: h.Header, Value: h.Value, Override: valueOf(h.Override)})
		}
	}
	if x := c.Remove; x != nil {
		if err := checkQuantity(f+".RemoveHeadersConfig", x.Quantity, len(x.Items)); err != nil {
			return p, err
		}
		for _, h := range x.Items {
			p.RemoveHeadersConfig = append(p.RemoveHeadersConfig, h.Header)
		}
	}
	return p, nil
}

func (x *corsXML) toModel(f string) (*model.CorsConfig, error) {
	if x.AllowOrigins == nil || x.AllowHeaders == nil || x.AllowMethods == nil {
		return nil, errInvalidArgument("%s: AccessControlAllowOrigins, AccessControlAllowHeaders and AccessControlAllowMethods are required", f)
	}
	if err := checkQuantity(f+".AccessControlAllowOrigins", x.AllowOrigins.Quantity, len(x.AllowOrigins.Items)); err != nil {
		return nil, err
	}
	if err := checkQuantity(f+".AccessControlAllowHeaders", x.AllowHeaders.Quantity, len(x.AllowHeaders.Items)); err != nil {
		return nil, err
	}
	if err := checkQuantity(f+".AccessControlAllowMethods", x.AllowMethods.Quantity, len(x.AllowMethods.Items)); err != nil {
		return nil, err
	}
	c := &model.CorsConfig{AllowOrigins: x.AllowOrigins.Items, AllowHeaders: x.AllowHeaders.Items,
		AllowMethods: x.AllowMethods.Items, AllowCredentials: valueOf(x.AllowCredentials),
		MaxAgeSec: x.MaxAgeSec, OriginOverride: valueOf(x.OriginOverride)}
	if e := x.ExposeHeaders; e != nil {
		if err := checkQuantity(f+".AccessControlExposeHeaders", e.Quantity, len(e.Items)); err != nil {
			return nil, err
		}
		c.ExposeHeaders = e.Items
	}
	return c, nil
}

func (x *securityXML) toModel() *model.SecurityHeaders {
	s := &model.SecurityHeaders{}
	if v := x.XSSProtection; v != nil {
		s.XSSProtection = &model.XSSProtection{Override: valueOf(v.Override), Protection: valueOf(v.Protection),
			ModeBlock: valueOf(v.ModeBlock), ReportURI: valueOf(v.ReportUri)}
	}
	if v := x.FrameOptions; v != nil {
		s.FrameOptions = &model.ValueHeader{Override: valueOf(v.Override), Value: v.FrameOption}
	}
	if v := x.ReferrerPolicy; v != nil {
		s.ReferrerPolicy = &model.ValueHeader{Override: valueOf(v.Override), Value: v.ReferrerPolicy}
	}
	if v := x.ContentSecurityPolicy; v != nil {
		s.ContentSecurityPolicy = &model.ValueHeader{Override: valueOf(v.Override), Value: v.ContentSecurityPolicy}
	}
	if v := x.ContentTypeOptions; v != nil {
		s.ContentTypeOptions = &model.OverrideOnly{Override: valueOf(v.Override)}
	}
	if v := x.StrictTransportSecurity; v != nil {
		s.StrictTransportSecurity = &model.HSTS{Override: valueOf(v.Override), MaxAgeSec: valueOf(v.MaxAgeSec),
			IncludeSubdomains: valueOf(v.IncludeSubdomains), Preload: valueOf(v.Preload)}
	}
	return s
}

func responseHeadersPolicyConfigOf(p *model.ResponseHeadersPolicy) responseHeadersPolicyConfigXML {
	x := responseHeadersPolicyConfigXML{Comment: ptr(p.Comment), Name: p.Name}
	if c := p.CorsConfig; c != nil {
		x.Cors = &corsXML{
			AllowOrigins:     &corsOriginsXML{Quantity: ptr(len(c.AllowOrigins)), Items: c.AllowOrigins},
			AllowHeaders:     &corsHeadersXML{Quantity: ptr(len(c.AllowHeaders)), Items: c.AllowHeaders},
			AllowMethods:     &corsMethodsXML{Quantity: ptr(len(c.AllowMethods)), Items: c.AllowMethods},
			AllowCredentials: ptr(c.AllowCredentials),
			MaxAgeSec:        c.MaxAgeSec, OriginOverride: ptr(c.OriginOverride),
		}
		if len(c.ExposeHeaders) > 0 {
			x.Cors.ExposeHeaders = &corsHeadersXML{Quantity: ptr(len(c.ExposeHeaders)), Items: c.ExposeHeaders}
		}
	}
	if s := p.SecurityHeadersConfig; s != nil {
		sx := &securityXML{}
		if v := s.XSSProtection; v != nil {
			sx.XSSProtection = &xssXML{Override: ptr(v.Override), Protection: ptr(v.Protection), ModeBlock: ptr(v.ModeBlock)}
			if v.ReportURI != "" {
				sx.XSSProtection.ReportUri = ptr(v.ReportURI)
			}
		}
		if v := s.FrameOptions; v != nil {
			sx.FrameOptions = &frameOptionsXML{Override: ptr(v.Override), FrameOption: v.Value}
		}
		if v := s.ReferrerPolicy; v != nil {
			sx.ReferrerPolicy = &referrerXML{Override: ptr(v.Override), ReferrerPolicy: v.Value}
		}
		if v := s.ContentSecurityPolicy; v != nil {
			sx.ContentSecurityPolicy = &cspXML{Override: ptr(v.Override), ContentSecurityPolicy: v.Value}
		}
		if v := s.ContentTypeOptions; v != nil {
			sx.ContentTypeOptions = &contentTypeOptXML{Override: ptr(v.Override)}
		}
		if v := s.StrictTransportSecurity; v != nil {
			sx.StrictTransportSecurity = &hstsXML{Override: ptr(v.Override), IncludeSubdomains: ptr(v.IncludeSubdomains),
				Preload: ptr(v.Preload), MaxAgeSec: ptr(v.MaxAgeSec)}
		}
		x.Security = sx
	}
	if st := p.ServerTimingHeadersConfig; st != nil {
		x.ServerTiming = &serverTimingXML{Enabled: ptr(st.Enabled), SamplingRate: ptr(st.SamplingRate)}
	}
	if len(p.CustomHeadersConfig) > 0 {
		x.Custom = &rhCustomHeadersXML{Quantity: ptr(len(p.CustomHeadersConfig))}
		for _, h := range p.CustomHeadersConfig {
			x.Custom.Items = append(x.Custom.Items, rhCustomHeaderXML{Header: h.Header, Value: h.Value, Override: ptr(h.Override)})
		}
	}
	if len(p.RemoveHeadersConfig) > 0 {
		x.Remove = &removeHeadersXML{Quantity: ptr(len(p.RemoveHeadersConfig))}
		for _, h := range p.RemoveHeadersConfig {
			x.Remove.Items = append(x.Remove.Items, removeHeaderXML{Header: h})
		}
	}
	return x
}

func responseHeadersPolicyOf(v control.Versioned[model.ResponseHeadersPolicy]) responseHeadersPolicyXML {
	return responseHeadersPolicyXML{Id: v.Item.ID, LastModifiedTime: v.Item.LastModified.UTC().Format(timeLayout),
		Config: responseHeadersPolicyConfigOf(&v.Item)}
}

func readResponseHeadersPolicy(r *http.Request) (model.ResponseHeadersPolicy, error) {
	var c responseHeadersPolicyConfigXML
	if err := decodeXML(r, &c); err != nil {
		return model.ResponseHeadersPolicy{}, err
	}
	return c.toModel()
}

func (s *Server) registerResponseHeadersPolicies() {
	ops := s.svc.ResponseHeadersPolicies()
	registerCRUD(s, crudSpec[model.ResponseHeadersPolicy]{
		path: "/response-headers-policy", update: "/{Id}", field: "ResponseHeadersPolicyConfig",
		ops: ops, list: ops.List, typed: true, read: readResponseHeadersPolicy,
		id: func(v control.Versioned[model.ResponseHeadersPolicy]) string { return v.Item.ID },
		one: func(v control.Versioned[model.ResponseHeadersPolicy]) any {
			x := responseHeadersPolicyOf(v)
			x.Xmlns = Namespace
			return x
		},
		config: func(p *model.ResponseHeadersPolicy) any {
			x := responseHeadersPolicyConfigOf(p)
			x.Xmlns = Namespace
			return x
		},
		page: func(items []control.Versioned[model.ResponseHeadersPolicy], maxItems int, next string) any {
			out := responseHeadersPolicyListXML{Xmlns: Namespace, NextMarker: next, MaxItems: maxItems, Quantity: len(items)}
			if len(items) > 0 {
				out.Items = &responseHeadersPolicyItemsXML{}
			}
			for _, v := range items {
				out.Items.Summary = append(out.Items.Summary, responseHeadersPolicySummaryXML{Type: policyType(v.Managed), Policy: responseHeadersPolicyOf(v)})
			}
			return out
		},
	})
}
