package cfapi

import "github.com/pharos-cdn/pharos/internal/model"

func ptr[T any](v T) *T { return &v }

// toConfigXML renders a stored distribution as CloudFront would return its
// DistributionConfig: every element present, unsupported ones at their
// defaults, so that the document fed back to UpdateDistribution unchanged
// is accepted (the AWS CLI's get-config, edit, update workflow).
func toConfigXML(d *model.Distribution) *distributionConfigXML {
	c := &distributionConfigXML{
		CallerReference:              d.CallerReference,
		Aliases:                      &aliasesXML{Quantity: ptr(len(d.Aliases)), Items: d.Aliases},
		DefaultRootObject:            ptr(""),
		Origins:                      &originsXML{Quantity: ptr(len(d.Origins))},
		OriginGroups:                 &countedRawXML{Quantity: ptr(0)},
		DefaultCacheBehavior:         behaviorToXML(&d.DefaultBehavior, false),
		CacheBehaviors:               &cacheBehaviorsXML{Quantity: ptr(len(d.Behaviors))},
		CustomErrorResponses:         &customErrorResponsesXML{Quantity: ptr(len(d.CustomErrorResponses))},
		Comment:                      ptr(d.Comment),
		Logging:                      &loggingXML{Enabled: ptr(false), IncludeCookies: ptr(false), Bucket: ptr(""), Prefix: ptr("")},
		PriceClass:                   ptr("PriceClass_All"),
		Enabled:                      ptr(d.Enabled),
		ViewerCertificate:            viewerCertificateToXML(d.ViewerCertificate),
		Restrictions:                 &restrictionsXML{GeoRestriction: geoToXML(d.GeoRestriction)},
		WebACLId:                     ptr(""),
		HttpVersion:                  ptr(d.HTTPVersion),
		IsIPV6Enabled:                ptr(true),
		ContinuousDeploymentPolicyId: ptr(""),
		Staging:                      ptr(false),
	}
	if d.CallerReference == "" {
		// Created through the native API without one: CloudFront always
		// has one, and the id is unique.
		c.CallerReference = d.ID
	}
	if d.HTTPVersion == "" {
		c.HttpVersion = ptr("http2")
	}
	for _, o := range d.Origins {
		c.Origins.Items = append(c.Origins.Items, originToXML(o))
	}
	for i := range d.Behaviors {
		c.CacheBehaviors.Items = append(c.CacheBehaviors.Items, *behaviorToXML(&d.Behaviors[i], true))
	}
	for _, e := range d.CustomErrorResponses {
		x := customErrorResponseXML{ErrorCode: ptr(e.ErrorCode), ResponsePagePath: ptr(e.ResponsePagePath),
			ResponseCode: ptr(e.ResponseCode), ErrorCachingMinTTL: e.ErrorCachingMinTTL}
		if x.ErrorCachingMinTTL == nil {
			x.ErrorCachingMinTTL = ptr(int64(model.DefaultErrorCachingMinTTL))
		}
		c.CustomErrorResponses.Items = append(c.CustomErrorResponses.Items, x)
	}
	return c
}

func geoToXML(g model.GeoRestriction) *geoRestrictionXML {
	if g.Type == "" || g.Type == "none" {
		return &geoRestrictionXML{RestrictionType: "none", Quantity: ptr(0)}
	}
	return &geoRestrictionXML{RestrictionType: g.Type, Quantity: ptr(len(g.Locations)), Items: g.Locations}
}

func originToXML(o model.Origin) originXML {
	x := originXML{
		Id: o.ID, DomainName: o.DomainName, OriginPath: ptr(o.OriginPath),
		CustomHeaders: &customHeadersXML{Quantity: ptr(len(o.CustomHeaders))},
		CustomOriginConfig: &customOriginConfigXML{
			HTTPPort: ptr(o.HTTPPort), HTTPSPort: ptr(o.HTTPSPort), OriginProtocolPolicy: o.Protocol,
			OriginSslProtocols: &sslProtocolsXML{Quantity: ptr(1), Items: []string{"TLSv1.2"}},
			OriginReadTimeout:  ptr(o.ReadTimeout), OriginKeepaliveTimeout: ptr(o.KeepaliveTimeout),
		},
		ConnectionAttempts: ptr(o.ConnectionAttempts), ConnectionTimeout: ptr(o.ConnectionTimeout),
		OriginShield:          &originShieldXML{Enabled: ptr(false)},
		OriginAccessControlId: ptr(""),
	}
	for _, h := range o.CustomHeaders {
		x.CustomHeaders.Items = append(x.CustomHeaders.Items, customHeaderXML{HeaderName: h.Name, HeaderValue: h.Value})
	}
	return x
}

func behaviorToXML(b *model.Behavior, withPath bool) *behaviorXML {
	x := &behaviorXML{
		TargetOriginId:       b.TargetOriginID,
		TrustedSigners:       &trustedSignersXML{Enabled: ptr(false), Quantity: ptr(0)},
		TrustedKeyGroups:     &trustedKeyGroupsXML{Enabled: ptr(len(b.TrustedKeyGroups) > 0), Quantity: ptr(len(b.TrustedKeyGroups)), Items: b.TrustedKeyGroups},
		ViewerProtocolPolicy: b.ViewerProtocolPolicy,
		AllowedMethods: &allowedMethodsXML{Quantity: ptr(len(b.AllowedMethods)), Items: b.AllowedMethods,
			CachedMethods: &cachedMethodsXML{Quantity: ptr(len(b.CachedMethods)), Items: b.CachedMethods}},
		SmoothStreaming:            ptr(false),
		Compress:                   ptr(b.Compress),
		LambdaFunctionAssociations: &countedRawXML{Quantity: ptr(0)},
		FunctionAssociations:       &countedRawXML{Quantity: ptr(0)},
		FieldLevelEncryptionId:     ptr(""),
	}
	if withPath {
		x.PathPattern = ptr(b.PathPattern)
	}
	if b.OriginRequestPolicyID != "" {
		x.OriginRequestPolicyId = ptr(b.OriginRequestPolicyID)
	}
	if b.ResponseHeadersPolicyID != "" {
		x.ResponseHeadersPolicyId = ptr(b.ResponseHeadersPolicyID)
	}
	switch {
	case b.CachePolicyID != "":
		x.CachePolicyId = ptr(b.CachePolicyID)
	case b.CachePolicy != nil:
		legacyToXML(b.CachePolicy, x)
	}
	return x
}

// legacyToXML renders an inline cache policy in the legacy form. allExcept
// lists and the Accept-Encoding settings have no legacy spelling: the XML
// shows the nearest, and an update that sends it back unchanged keeps the
// stored policy (see keepUnexpressed).
func legacyToXML(p *model.CachePolicy, x *behaviorXML) {
	fv := &forwardedValuesXML{QueryString: ptr(p.QueryStrings.Behavior != "none"),
		Cookies: &cookiesXML{Forward: p.Cookies.Behavior},
		Headers: &namesXML{Quantity: ptr(0)}, QueryStringCacheKeys: &namesXML{Quantity: ptr(0)}}
	if p.QueryStrings.Behavior == "whitelist" {
		fv.QueryStringCacheKeys = &namesXML{Quantity: ptr(len(p.QueryStrings.Items)), Items: p.QueryStrings.Items}
	}
	if p.Headers.Behavior == "whitelist" {
		fv.Headers = &namesXML{Quantity: ptr(len(p.Headers.Items)), Items: p.Headers.Items}
	}
	switch p.Cookies.Behavior {
	case "whitelist":
		fv.Cookies.WhitelistedNames = &namesXML{Quantity: ptr(len(p.Cookies.Items)), Items: p.Cookies.Items}
	case "allExcept":
		fv.Cookies.Forward = "all"
	case "":
		fv.Cookies.Forward = "none"
	}
	x.ForwardedValues = fv
	x.MinTTL, x.DefaultTTL, x.MaxTTL = ptr(p.MinTTL), ptr(p.DefaultTTL), ptr(p.MaxTTL)
}

// viewerCertificateToXML writes the viewer certificate as CloudFront does:
// an imported certificate as IAMCertificateId (and its older twin,
// Certificate), else the default certificate; the policy in force.
func viewerCertificateToXML(v model.ViewerCertificate) *viewerCertificateXML {
	x := &viewerCertificateXML{MinimumProtocolVersion: ptr(v.EffectiveMinimumProtocolVersion())}
	if v.CertificateID != "" {
		x.IAMCertificateId, x.Certificate = ptr(v.CertificateID), ptr(v.CertificateID)
		x.SSLSupportMethod, x.CertificateSource = ptr("sni-only"), ptr("iam")
		return x
	}
	x.CloudFrontDefaultCertificate, x.SSLSupportMethod, x.CertificateSource = ptr(true), ptr("vip"), ptr("cloudfront")
	return x
}
