package cfapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pharos-cdn/pharos/internal/model"
)

// inMapper turns a DistributionConfig into the model. It collects every
// refused element (InvalidArgument naming each one) but stops at the first
// inconsistent Quantity, as CloudFront answers InconsistentQuantities for
// that alone.
type inMapper struct {
	errs  []string
	quant error
}

func (m *inMapper) fail(path, format string, args ...any) {
	m.errs = append(m.errs, path+": "+fmt.Sprintf(format, args...))
}

// unsupported refuses an element given at other than its default value.
func (m *inMapper) unsupported(path, accepted string) {
	m.fail(path, "not supported by Pharos (only %s is accepted)", accepted)
}

func (m *inMapper) quantity(path string, q *int, n int) {
	if m.quant == nil {
		m.quant = checkQuantity(path, q, n)
	}
}

func (m *inMapper) err() error {
	if m.quant != nil {
		return m.quant
	}
	if len(m.errs) > 0 {
		return errInvalidArgument("%s", strings.Join(m.errs, "; "))
	}
	return nil
}

// onlyEmpty refuses a string element with a value.
func (m *inMapper) onlyEmpty(path string, s *string) {
	if s != nil && *s != "" {
		m.unsupported(path, "an empty value")
	}
}

func (m *inMapper) onlyFalse(path string, b *bool) {
	if b != nil && *b {
		m.unsupported(path, "false")
	}
}

func (m *inMapper) absent(path string, r *rawXML) {
	if r != nil {
		m.fail(path, "not supported by Pharos (leave it out)")
	}
}

func (m *inMapper) emptyList(path string, l *countedRawXML) {
	if l == nil {
		return
	}
	if l.Items != nil && strings.TrimSpace(l.Items.Inner) != "" || l.Quantity != nil && *l.Quantity != 0 {
		m.unsupported(path, "Quantity 0")
	}
}

// toModel maps c onto a new model.Distribution (before defaults).
func toModel(c *distributionConfigXML) (model.Distribution, error) {
	m := &inMapper{}
	const p = "DistributionConfig"
	var d model.Distribution
	d.CallerReference = c.CallerReference
	if c.CallerReference == "" {
		m.fail(p+".CallerReference", "required")
	}
	if a := c.Aliases; a != nil {
		m.quantity(p+".Aliases", a.Quantity, len(a.Items))
		d.Aliases = a.Items
	}
	m.onlyEmpty(p+".DefaultRootObject", c.DefaultRootObject)
	if c.Origins == nil {
		m.fail(p+".Origins", "required")
	} else {
		m.quantity(p+".Origins", c.Origins.Quantity, len(c.Origins.Items))
		for i := range c.Origins.Items {
			d.Origins = append(d.Origins, m.origin(fmt.Sprintf("%s.Origins.Items[%d]", p, i), &c.Origins.Items[i]))
		}
	}
	m.emptyList(p+".OriginGroups", c.OriginGroups)
	if c.DefaultCacheBehavior == nil {
		m.fail(p+".DefaultCacheBehavior", "required")
	} else {
		if c.DefaultCacheBehavior.PathPattern != nil {
			m.fail(p+".DefaultCacheBehavior.PathPattern", "not part of the default cache behavior")
		}
		d.DefaultBehavior = m.behavior(p+".DefaultCacheBehavior", c.DefaultCacheBehavior)
	}
	if cb := c.CacheBehaviors; cb != nil {
		m.quantity(p+".CacheBehaviors", cb.Quantity, len(cb.Items))
		for i := range cb.Items {
			f := fmt.Sprintf("%s.CacheBehaviors.Items[%d]", p, i)
			b := m.behavior(f, &cb.Items[i])
			if cb.Items[i].PathPattern == nil || *cb.Items[i].PathPattern == "" {
				m.fail(f+".PathPattern", "required")
			} else {
				b.PathPattern = *cb.Items[i].PathPattern
			}
			d.Behaviors = append(d.Behaviors, b)
		}
	}
	if ce := c.CustomErrorResponses; ce != nil {
		m.quantity(p+".CustomErrorResponses", ce.Quantity, len(ce.Items))
		for i, e := range ce.Items {
			f := fmt.Sprintf("%s.CustomErrorResponses.Items[%d]", p, i)
			var r model.CustomErrorResponse
			if e.ErrorCode == nil {
				m.fail(f+".ErrorCode", "required")
			} else {
				r.ErrorCode = *e.ErrorCode
			}
			r.ErrorCachingMinTTL = e.ErrorCachingMinTTL
			if e.ResponsePagePath != nil {
				r.ResponsePagePath = *e.ResponsePagePath
			}
			if e.ResponseCode != nil {
				r.ResponseCode = *e.ResponseCode
			}
			d.CustomErrorResponses = append(d.CustomErrorResponses, r)
		}
	}
	if c.Comment != nil {
		d.Comment = *c.Comment
		if len(d.Comment) > 128 {
			m.fail(p+".Comment", "at most 128 characters")
		}
	}
	if l := c.Logging; l != nil {
		m.onlyFalse(p+".Logging.Enabled", l.Enabled)
		m.onlyFalse(p+".Logging.IncludeCookies", l.IncludeCookies)
		m.onlyEmpty(p+".Logging.Bucket", l.Bucket)
		m.onlyEmpty(p+".Logging.Prefix", l.Prefix)
	}
	if c.PriceClass != nil && *c.PriceClass != "PriceClass_All" {
		m.unsupported(p+".PriceClass", "PriceClass_All: every edge serves")
	}
	if c.Enabled == nil {
		m.fail(p+".Enabled", "required")
	} else {
		d.Enabled = *c.Enabled
	}
	m.viewerCertificate(p+".ViewerCertificate", c.ViewerCertificate, &d.ViewerCertificate)
	if r := c.Restrictions; r != nil && r.GeoRestriction != nil {
		g := r.GeoRestriction
		m.quantity(p+".Restrictions.GeoRestriction", g.Quantity, len(g.Items))
		switch g.RestrictionType {
		case "none":
			if len(g.Items) > 0 {
				m.fail(p+".Restrictions.GeoRestriction.Items", "must be empty with RestrictionType none")
			}
		case "whitelist", "blacklist":
			d.GeoRestriction = model.GeoRestriction{Type: g.RestrictionType, Locations: g.Items}
		default:
			m.fail(p+".Restrictions.GeoRestriction.RestrictionType", "%q: must be none, whitelist or blacklist", g.RestrictionType)
		}
	}
	m.onlyEmpty(p+".WebACLId", c.WebACLId)
	if v := c.HttpVersion; v != nil {
		switch *v {
		case "http2":
			// "" is the model's http2
		case "http1.1", "http3", "http2and3":
			d.HTTPVersion = *v
		default:
			m.fail(p+".HttpVersion", "%q: must be http1.1, http2, http3 or http2and3", *v)
		}
	}
	if c.IsIPV6Enabled != nil && !*c.IsIPV6Enabled {
		m.unsupported(p+".IsIPV6Enabled", "true: edges answer on every address they listen on")
	}
	m.onlyEmpty(p+".ContinuousDeploymentPolicyId", c.ContinuousDeploymentPolicyId)
	m.onlyFalse(p+".Staging", c.Staging)
	m.onlyEmpty(p+".AnycastIpListId", c.AnycastIpListId)
	m.absent(p+".TenantConfig", c.TenantConfig)
	if c.ConnectionMode != nil && *c.ConnectionMode != "direct" {
		m.unsupported(p+".ConnectionMode", "direct")
	}
	m.absent(p+".ViewerMtlsConfig", c.ViewerMtlsConfig)
	m.absent(p+".ConnectionFunctionAssociation", c.ConnectionFunctionAssociation)
	if t := c.CacheTagConfig; t != nil && !strings.EqualFold(t.HeaderName, "Surrogate-Key") && !strings.EqualFold(t.HeaderName, "Cache-Tag") {
		m.unsupported(p+".CacheTagConfig.HeaderName", "Surrogate-Key or Cache-Tag, the headers Pharos always reads tags from")
	}
	return d, m.err()
}

func (m *inMapper) origin(p string, o *originXML) model.Origin {
	out := model.Origin{ID: o.Id, DomainName: o.DomainName}
	if o.OriginPath != nil {
		out.OriginPath = *o.OriginPath
	}
	if h := o.CustomHeaders; h != nil {
		m.quantity(p+".CustomHeaders", h.Quantity, len(h.Items))
		for _, it := range h.Items {
			out.CustomHeaders = append(out.CustomHeaders, model.CustomHeader{Name: it.HeaderName, Value: it.HeaderValue})
		}
	}
	if o.S3OriginConfig != nil {
		m.fail(p+".S3OriginConfig", "S3 origins are not supported by Pharos yet; give the bucket's HTTP endpoint with CustomOriginConfig")
	}
	m.absent(p+".VpcOriginConfig", o.VpcOriginConfig)
	if c := o.CustomOriginConfig; c != nil {
		if c.HTTPPort != nil {
			out.HTTPPort = *c.HTTPPort
		}
		if c.HTTPSPort != nil {
			out.HTTPSPort = *c.HTTPSPort
		}
		out.Protocol = c.OriginProtocolPolicy
		if s := c.OriginSslProtocols; s != nil {
			m.quantity(p+".CustomOriginConfig.OriginSslProtocols", s.Quantity, len(s.Items))
			if !slices.Contains(s.Items, "TLSv1.2") {
				m.unsupported(p+".CustomOriginConfig.OriginSslProtocols", "a list including TLSv1.2 (Pharos speaks TLS 1.2 and 1.3 to origins)")
			}
		}
		if c.OriginReadTimeout != nil {
			out.ReadTimeout = *c.OriginReadTimeout
		}
		if c.OriginKeepaliveTimeout != nil {
			out.KeepaliveTimeout = *c.OriginKeepaliveTimeout
		}
		if t := c.IpAddressType; t != nil && *t != "dualstack" {
			m.unsupported(p+".CustomOriginConfig.IpAddressType", "dualstack (Pharos dials whatever addresses the origin's name has)")
		}
		m.absent(p+".CustomOriginConfig.OriginMtlsConfig", c.OriginMtlsConfig)
	} else if o.S3OriginConfig == nil && o.VpcOriginConfig == nil {
		m.fail(p+".CustomOriginConfig", "required")
	}
	if o.ConnectionAttempts != nil {
		out.ConnectionAttempts = *o.ConnectionAttempts
	}
	if o.ConnectionTimeout != nil {
		out.ConnectionTimeout = *o.ConnectionTimeout
	}
	if o.ResponseCompletionTimeout != nil && *o.ResponseCompletionTimeout != 0 {
		m.unsupported(p+".ResponseCompletionTimeout", "0")
	}
	if s := o.OriginShield; s != nil {
		m.onlyFalse(p+".OriginShield.Enabled", s.Enabled)
		m.onlyEmpty(p+".OriginShield.OriginShieldRegion", s.OriginShieldRegion)
	}
	m.onlyEmpty(p+".OriginAccessControlId", o.OriginAccessControlId)
	return out
}

func (m *inMapper) behavior(p string, b *behaviorXML) model.Behavior {
	out := model.Behavior{TargetOriginID: b.TargetOriginId, ViewerProtocolPolicy: b.ViewerProtocolPolicy}
	if b.TargetOriginId == "" {
		m.fail(p+".TargetOriginId", "required")
	}
	if b.ViewerProtocolPolicy == "" {
		m.fail(p+".ViewerProtocolPolicy", "required")
	}
	if t := b.TrustedSigners; t != nil {
		m.quantity(p+".TrustedSigners", t.Quantity, len(t.Items))
		if len(t.Items) > 0 || t.Enabled != nil && *t.Enabled {
			m.unsupported(p+".TrustedSigners", "Enabled false, Quantity 0: use TrustedKeyGroups")
		}
	}
	if t := b.TrustedKeyGroups; t != nil {
		m.quantity(p+".TrustedKeyGroups", t.Quantity, len(t.Items))
		if enabled := t.Enabled != nil && *t.Enabled; enabled != (len(t.Items) > 0) {
			m.fail(p+".TrustedKeyGroups.Enabled", "must be true exactly when key groups are listed")
		}
		out.TrustedKeyGroups = t.Items
	}
	out.AllowedMethods, out.CachedMethods = []string{"GET", "HEAD"}, []string{"GET", "HEAD"}
	if a := b.AllowedMethods; a != nil {
		m.quantity(p+".AllowedMethods", a.Quantity, len(a.Items))
		out.AllowedMethods = a.Items
		if c := a.CachedMethods; c != nil {
			m.quantity(p+".AllowedMethods.CachedMethods", c.Quantity, len(c.Items))
			out.CachedMethods = c.Items
		}
	}
	m.onlyFalse(p+".SmoothStreaming", b.SmoothStreaming)
	if b.Compress != nil {
		out.Compress = *b.Compress
	}
	m.emptyList(p+".LambdaFunctionAssociations", b.LambdaFunctionAssociations)
	m.emptyList(p+".FunctionAssociations", b.FunctionAssociations)
	m.onlyEmpty(p+".FieldLevelEncryptionId", b.FieldLevelEncryptionId)
	m.onlyEmpty(p+".RealtimeLogConfigArn", b.RealtimeLogConfigArn)
	if g := b.GrpcConfig; g != nil {
		m.onlyFalse(p+".GrpcConfig.Enabled", g.Enabled)
	}
	if b.OriginRequestPolicyId != nil {
		out.OriginRequestPolicyID = *b.OriginRequestPolicyId
	}
	if b.ResponseHeadersPolicyId != nil {
		out.ResponseHeadersPolicyID = *b.ResponseHeadersPolicyId
	}
	legacy := b.ForwardedValues != nil || b.MinTTL != nil || b.DefaultTTL != nil || b.MaxTTL != nil
	switch {
	case b.CachePolicyId != nil && *b.CachePolicyId != "" && legacy:
		m.fail(p+".CachePolicyId", "give CachePolicyId or the legacy ForwardedValues with MinTTL, DefaultTTL and MaxTTL, not both")
	case b.CachePolicyId != nil && *b.CachePolicyId != "":
		out.CachePolicyID = *b.CachePolicyId
	case legacy:
		out.CachePolicy = m.legacyPolicy(p, b, out.Compress)
	}
	return out
}

// legacyPolicy maps ForwardedValues and the behaviour's TTLs onto an
// inline cache policy: what CloudFront forwarded it also keyed on.
func (m *inMapper) legacyPolicy(p string, b *behaviorXML, compress bool) *model.CachePolicy {
	pol := model.CachePolicy{MinTTL: 0, DefaultTTL: 86400, MaxTTL: 31536000,
		EnableAcceptEncoding: model.AcceptEncoding{Gzip: compress, Brotli: compress}}
	if b.MinTTL != nil {
		pol.MinTTL = *b.MinTTL
	}
	if b.DefaultTTL != nil {
		pol.DefaultTTL = *b.DefaultTTL
	}
	if b.MaxTTL != nil {
		pol.MaxTTL = *b.MaxTTL
	}
	fv := b.ForwardedValues
	if fv == nil {
		m.fail(p+".ForwardedValues", "required with MinTTL, DefaultTTL or MaxTTL")
		return &pol
	}
	f := p + ".ForwardedValues"
	var keys []string
	if k := fv.QueryStringCacheKeys; k != nil {
		m.quantity(f+".QueryStringCacheKeys", k.Quantity, len(k.Items))
		keys = k.Items
	}
	switch {
	case fv.QueryString == nil:
		m.fail(f+".QueryString", "required")
	case !*fv.QueryString && len(keys) > 0:
		m.fail(f+".QueryStringCacheKeys", "only used when QueryString is true")
	case !*fv.QueryString:
		pol.QueryStrings = model.ListConfig{Behavior: "none"}
	case len(keys) > 0:
		pol.QueryStrings = model.ListConfig{Behavior: "whitelist", Items: keys}
	default:
		pol.QueryStrings = model.ListConfig{Behavior: "all"}
	}
	pol.Headers = model.ListConfig{Behavior: "none"}
	if h := fv.Headers; h != nil {
		m.quantity(f+".Headers", h.Quantity, len(h.Items))
		if slices.Contains(h.Items, "*") {
			m.unsupported(f+".Headers", "named headers (\"*\", every header, would make every request a miss)")
		} else if len(h.Items) > 0 {
			pol.Headers = model.ListConfig{Behavior: "whitelist", Items: h.Items}
		}
	}
	pol.Cookies = model.ListConfig{Behavior: "none"}
	if c := fv.Cookies; c == nil {
		m.fail(f+".Cookies", "required")
	} else {
		var names []string
		if w := c.WhitelistedNames; w != nil {
			m.quantity(f+".Cookies.WhitelistedNames", w.Quantity, len(w.Items))
			names = w.Items
		}
		switch c.Forward {
		case "none", "all":
			if len(names) > 0 {
				m.fail(f+".Cookies.WhitelistedNames", "only used when Forward is whitelist")
			}
			pol.Cookies = model.ListConfig{Behavior: c.Forward}
		case "whitelist":
			pol.Cookies = model.ListConfig{Behavior: "whitelist", Items: names}
		default:
			m.fail(f+".Cookies.Forward", "%q: must be none, whitelist or all", c.Forward)
		}
	}
	return &pol
}

func (m *inMapper) viewerCertificate(p string, v *viewerCertificateXML, out *model.ViewerCertificate) {
	if v == nil {
		return
	}
	if v.ACMCertificateArn != nil && *v.ACMCertificateArn != "" {
		m.fail(p+".ACMCertificateArn", "ACM is not available to Pharos: import the certificate (pharos cert import or POST /v1/certificates) and give its id as IAMCertificateId")
		return
	}
	iam := ""
	if v.IAMCertificateId != nil {
		iam = *v.IAMCertificateId
	}
	// Certificate with CertificateSource is the older form of the same.
	if v.Certificate != nil && *v.Certificate != "" && *v.Certificate != iam {
		if iam != "" || v.CertificateSource == nil || *v.CertificateSource != "iam" {
			m.fail(p+".Certificate", "give the imported certificate's id as IAMCertificateId")
			return
		}
		iam = *v.Certificate
	}
	def := v.CloudFrontDefaultCertificate != nil && *v.CloudFrontDefaultCertificate
	switch {
	case iam != "" && def:
		m.fail(p+".CloudFrontDefaultCertificate", "must not be true with IAMCertificateId")
	case iam == "" && !def:
		m.fail(p+".CloudFrontDefaultCertificate", "must be true when no certificate is given")
	}
	out.CertificateID = iam
	if s := v.CertificateSource; s != nil && *s != "cloudfront" && *s != "iam" {
		m.unsupported(p+".CertificateSource", "cloudfront or iam")
	}
	if s := v.SSLSupportMethod; s != nil && *s != "vip" && *s != "sni-only" {
		m.unsupported(p+".SSLSupportMethod", "vip or sni-only (edges choose certificates by SNI)")
	}
	// The model validates the policy; its default is stored as "" so a
	// configuration read back and sent again does not change.
	if s := v.MinimumProtocolVersion; s != nil && *s != model.DefaultMinimumProtocolVersion {
		out.MinimumProtocolVersion = *s
	}
}
