package cfapi

import "encoding/xml"

// The XML form of DistributionConfig and what it nests, element for
// element as in the service model (shared/reference). Optional elements are
// pointers so that "absent" and "given at its zero value" differ where that
// matters; lists use the model's member names (CNAME, Origin, Method, …).
// Element order follows the model (the CLI's order); decoding does not
// depend on it (the SDK sorts elements alphabetically).
//
// Elements Pharos does not support are decoded as rawXML or as typed
// structs whose only accepted value is the default: mapping.go refuses
// anything else with InvalidArgument naming the element.

// rawXML keeps an element's content unparsed (for elements that are only
// accepted when absent or empty).
type rawXML struct {
	Inner string `xml:",innerxml"`
}

// unknownXML catches elements the model does not have, so they are
// refused rather than dropped.
type unknownXML struct {
	XMLName xml.Name
}

type distributionConfigXML struct {
	XMLName                       xml.Name                 `xml:"DistributionConfig"`
	Xmlns                         string                   `xml:"xmlns,attr,omitempty"`
	CallerReference               string                   `xml:"CallerReference"`
	Aliases                       *aliasesXML              `xml:"Aliases"`
	DefaultRootObject             *string                  `xml:"DefaultRootObject"`
	Origins                       *originsXML              `xml:"Origins"`
	OriginGroups                  *countedRawXML           `xml:"OriginGroups"`
	DefaultCacheBehavior          *behaviorXML             `xml:"DefaultCacheBehavior"`
	CacheBehaviors                *cacheBehaviorsXML       `xml:"CacheBehaviors"`
	CustomErrorResponses          *customErrorResponsesXML `xml:"CustomErrorResponses"`
	Comment                       *string                  `xml:"Comment"`
	Logging                       *loggingXML              `xml:"Logging"`
	PriceClass                    *string                  `xml:"PriceClass"`
	Enabled                       *bool                    `xml:"Enabled"`
	ViewerCertificate             *viewerCertificateXML    `xml:"ViewerCertificate"`
	Restrictions                  *restrictionsXML         `xml:"Restrictions"`
	WebACLId                      *string                  `xml:"WebACLId"`
	HttpVersion                   *string                  `xml:"HttpVersion"`
	IsIPV6Enabled                 *bool                    `xml:"IsIPV6Enabled"`
	ContinuousDeploymentPolicyId  *string                  `xml:"ContinuousDeploymentPolicyId"`
	Staging                       *bool                    `xml:"Staging"`
	AnycastIpListId               *string                  `xml:"AnycastIpListId"`
	TenantConfig                  *rawXML                  `xml:"TenantConfig"`
	ConnectionMode                *string                  `xml:"ConnectionMode"`
	ViewerMtlsConfig              *rawXML                  `xml:"ViewerMtlsConfig"`
	ConnectionFunctionAssociation *rawXML                  `xml:"ConnectionFunctionAssociation"`
	CacheTagConfig                *cacheTagConfigXML       `xml:"CacheTagConfig"`
	Unknown                       []unknownXML             `xml:",any"`
}

type aliasesXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>CNAME"`
	Unknown  []unknownXML `xml:",any"`
}

// countedRawXML is a list Pharos does not support: accepted only empty.
type countedRawXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    *rawXML      `xml:"Items"`
	Unknown  []unknownXML `xml:",any"`
}

type originsXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []originXML  `xml:"Items>Origin"`
	Unknown  []unknownXML `xml:",any"`
}

type originXML struct {
	Id                        string                 `xml:"Id"`
	DomainName                string                 `xml:"DomainName"`
	OriginPath                *string                `xml:"OriginPath"`
	CustomHeaders             *customHeadersXML      `xml:"CustomHeaders"`
	S3OriginConfig            *rawXML                `xml:"S3OriginConfig"`
	CustomOriginConfig        *customOriginConfigXML `xml:"CustomOriginConfig"`
	VpcOriginConfig           *rawXML                `xml:"VpcOriginConfig"`
	ConnectionAttempts        *int                   `xml:"ConnectionAttempts"`
	ConnectionTimeout         *int                   `xml:"ConnectionTimeout"`
	ResponseCompletionTimeout *int                   `xml:"ResponseCompletionTimeout"`
	OriginShield              *originShieldXML       `xml:"OriginShield"`
	OriginAccessControlId     *string                `xml:"OriginAccessControlId"`
	Unknown                   []unknownXML           `xml:",any"`
}

type customHeadersXML struct {
	Quantity *int              `xml:"Quantity"`
	Items    []customHeaderXML `xml:"Items>OriginCustomHeader"`
	Unknown  []unknownXML      `xml:",any"`
}

type customHeaderXML struct {
	HeaderName  string       `xml:"HeaderName"`
	HeaderValue string       `xml:"HeaderValue"`
	Unknown     []unknownXML `xml:",any"`
}

type customOriginConfigXML struct {
	HTTPPort               *int             `xml:"HTTPPort"`
	HTTPSPort              *int             `xml:"HTTPSPort"`
	OriginProtocolPolicy   string           `xml:"OriginProtocolPolicy"`
	OriginSslProtocols     *sslProtocolsXML `xml:"OriginSslProtocols"`
	OriginReadTimeout      *int             `xml:"OriginReadTimeout"`
	OriginKeepaliveTimeout *int             `xml:"OriginKeepaliveTimeout"`
	IpAddressType          *string          `xml:"IpAddressType"`
	OriginMtlsConfig       *rawXML          `xml:"OriginMtlsConfig"`
	Unknown                []unknownXML     `xml:",any"`
}

type sslProtocolsXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>SslProtocol"`
	Unknown  []unknownXML `xml:",any"`
}

type originShieldXML struct {
	Enabled            *bool        `xml:"Enabled"`
	OriginShieldRegion *string      `xml:"OriginShieldRegion"`
	Unknown            []unknownXML `xml:",any"`
}

// behaviorXML is DefaultCacheBehavior and CacheBehavior (which adds
// PathPattern).
type behaviorXML struct {
	PathPattern                *string              `xml:"PathPattern"`
	TargetOriginId             string               `xml:"TargetOriginId"`
	TrustedSigners             *trustedSignersXML   `xml:"TrustedSigners"`
	TrustedKeyGroups           *trustedKeyGroupsXML `xml:"TrustedKeyGroups"`
	ViewerProtocolPolicy       string               `xml:"ViewerProtocolPolicy"`
	AllowedMethods             *allowedMethodsXML   `xml:"AllowedMethods"`
	SmoothStreaming            *bool                `xml:"SmoothStreaming"`
	Compress                   *bool                `xml:"Compress"`
	LambdaFunctionAssociations *countedRawXML       `xml:"LambdaFunctionAssociations"`
	FunctionAssociations       *countedRawXML       `xml:"FunctionAssociations"`
	FieldLevelEncryptionId     *string              `xml:"FieldLevelEncryptionId"`
	RealtimeLogConfigArn       *string              `xml:"RealtimeLogConfigArn"`
	CachePolicyId              *string              `xml:"CachePolicyId"`
	OriginRequestPolicyId      *string              `xml:"OriginRequestPolicyId"`
	ResponseHeadersPolicyId    *string              `xml:"ResponseHeadersPolicyId"`
	GrpcConfig                 *grpcConfigXML       `xml:"GrpcConfig"`
	ForwardedValues            *forwardedValuesXML  `xml:"ForwardedValues"`
	MinTTL                     *int64               `xml:"MinTTL"`
	DefaultTTL                 *int64               `xml:"DefaultTTL"`
	MaxTTL                     *int64               `xml:"MaxTTL"`
	Unknown                    []unknownXML         `xml:",any"`
}

type trustedSignersXML struct {
	Enabled  *bool        `xml:"Enabled"`
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>AwsAccountNumber"`
	Unknown  []unknownXML `xml:",any"`
}

type trustedKeyGroupsXML struct {
	Enabled  *bool        `xml:"Enabled"`
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>KeyGroup"`
	Unknown  []unknownXML `xml:",any"`
}

type allowedMethodsXML struct {
	Quantity      *int              `xml:"Quantity"`
	Items         []string          `xml:"Items>Method"`
	CachedMethods *cachedMethodsXML `xml:"CachedMethods"`
	Unknown       []unknownXML      `xml:",any"`
}

type cachedMethodsXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>Method"`
	Unknown  []unknownXML `xml:",any"`
}

type grpcConfigXML struct {
	Enabled *bool        `xml:"Enabled"`
	Unknown []unknownXML `xml:",any"`
}

// forwardedValuesXML is the legacy cache settings form (with MinTTL,
// DefaultTTL and MaxTTL on the behaviour).
type forwardedValuesXML struct {
	QueryString          *bool        `xml:"QueryString"`
	Cookies              *cookiesXML  `xml:"Cookies"`
	Headers              *namesXML    `xml:"Headers"`
	QueryStringCacheKeys *namesXML    `xml:"QueryStringCacheKeys"`
	Unknown              []unknownXML `xml:",any"`
}

type cookiesXML struct {
	Forward          string       `xml:"Forward"`
	WhitelistedNames *namesXML    `xml:"WhitelistedNames"`
	Unknown          []unknownXML `xml:",any"`
}

// namesXML is a Quantity/Items list of Name elements (headers, cookies,
// query strings).
type namesXML struct {
	Quantity *int         `xml:"Quantity"`
	Items    []string     `xml:"Items>Name"`
	Unknown  []unknownXML `xml:",any"`
}

type cacheBehaviorsXML struct {
	Quantity *int          `xml:"Quantity"`
	Items    []behaviorXML `xml:"Items>CacheBehavior"`
	Unknown  []unknownXML  `xml:",any"`
}

type customErrorResponsesXML struct {
	Quantity *int                     `xml:"Quantity"`
	Items    []customErrorResponseXML `xml:"Items>CustomErrorResponse"`
	Unknown  []unknownXML             `xml:",any"`
}

type customErrorResponseXML struct {
	ErrorCode          *int         `xml:"ErrorCode"`
	ResponsePagePath   *string      `xml:"ResponsePagePath"`
	ResponseCode       *string      `xml:"ResponseCode"`
	ErrorCachingMinTTL *int64       `xml:"ErrorCachingMinTTL"`
	Unknown            []unknownXML `xml:",any"`
}

type loggingXML struct {
	Enabled        *bool        `xml:"Enabled"`
	IncludeCookies *bool        `xml:"IncludeCookies"`
	Bucket         *string      `xml:"Bucket"`
	Prefix         *string      `xml:"Prefix"`
	Unknown        []unknownXML `xml:",any"`
}

type viewerCertificateXML struct {
	CloudFrontDefaultCertificate *bool        `xml:"CloudFrontDefaultCertificate"`
	IAMCertificateId             *string      `xml:"IAMCertificateId"`
	ACMCertificateArn            *string      `xml:"ACMCertificateArn"`
	SSLSupportMethod             *string      `xml:"SSLSupportMethod"`
	MinimumProtocolVersion       *string      `xml:"MinimumProtocolVersion"`
	Certificate                  *string      `xml:"Certificate"`
	CertificateSource            *string      `xml:"CertificateSource"`
	Unknown                      []unknownXML `xml:",any"`
}

type restrictionsXML struct {
	GeoRestriction *geoRestrictionXML `xml:"GeoRestriction"`
	Unknown        []unknownXML       `xml:",any"`
}

type geoRestrictionXML struct {
	RestrictionType string       `xml:"RestrictionType"`
	Quantity        *int         `xml:"Quantity"`
	Items           []string     `xml:"Items>Location"`
	Unknown         []unknownXML `xml:",any"`
}

type cacheTagConfigXML struct {
	HeaderName string       `xml:"HeaderName"`
	Unknown    []unknownXML `xml:",any"`
}

// distributionConfigWithTagsXML is CreateDistributionWithTags' body.
type distributionConfigWithTagsXML struct {
	XMLName            xml.Name               `xml:"DistributionConfigWithTags"`
	DistributionConfig *distributionConfigXML `xml:"DistributionConfig"`
	Tags               *tagsXML               `xml:"Tags"`
	Unknown            []unknownXML           `xml:",any"`
}

type tagsXML struct {
	Items   []tagXML     `xml:"Items>Tag"`
	Unknown []unknownXML `xml:",any"`
}

type tagXML struct {
	Key     string       `xml:"Key"`
	Value   *string      `xml:"Value"`
	Unknown []unknownXML `xml:",any"`
}
