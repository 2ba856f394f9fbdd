package cfapi

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/model"
)

// fullConfig is a DistributionConfig in the CLI's (model) order using
// every element Pharos maps.
const fullConfig = `<?xml version="1.0" encoding="UTF-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">
  <CallerReference>ref-1</CallerReference>
  <Aliases><Quantity>2</Quantity><Items><CNAME>a.example.com</CNAME><CNAME>*.b.example.com</CNAME></Items></Aliases>
  <DefaultRootObject></DefaultRootObject>
  <Origins><Quantity>2</Quantity><Items>
    <Origin><Id>web</Id><DomainName>origin.example.com</DomainName><OriginPath>/v1</OriginPath>
      <CustomHeaders><Quantity>1</Quantity><Items><OriginCustomHeader><HeaderName>X-Secret</HeaderName><HeaderValue>s</HeaderValue></OriginCustomHeader></Items></CustomHeaders>
      <CustomOriginConfig><HTTPPort>8080</HTTPPort><HTTPSPort>8443</HTTPSPort><OriginProtocolPolicy>https-only</OriginProtocolPolicy>
        <OriginSslProtocols><Quantity>2</Quantity><Items><SslProtocol>TLSv1.1</SslProtocol><SslProtocol>TLSv1.2</SslProtocol></Items></OriginSslProtocols>
        <OriginReadTimeout>40</OriginReadTimeout><OriginKeepaliveTimeout>7</OriginKeepaliveTimeout></CustomOriginConfig>
      <ConnectionAttempts>2</ConnectionAttempts><ConnectionTimeout>4</ConnectionTimeout>
      <OriginShield><Enabled>false</Enabled></OriginShield><OriginAccessControlId></OriginAccessControlId></Origin>
    <Origin><Id>api</Id><DomainName>127.0.0.1</DomainName>
      <CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin>
  </Items></Origins>
  <OriginGroups><Quantity>0</Quantity></OriginGroups>
  <DefaultCacheBehavior>
    <TargetOriginId>web</TargetOriginId>
    <TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>
    <TrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></TrustedKeyGroups>
    <ViewerProtocolPolicy>redirect-to-https</ViewerProtocolPolicy>
    <AllowedMethods><Quantity>3</Quantity><Items><Method>GET</Method><Method>HEAD</Method><Method>OPTIONS</Method></Items>
      <CachedMethods><Quantity>2</Quantity><Items><Method>GET</Method><Method>HEAD</Method></Items></CachedMethods></AllowedMethods>
    <SmoothStreaming>false</SmoothStreaming><Compress>true</Compress>
    <LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>
    <FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>
    <FieldLevelEncryptionId></FieldLevelEncryptionId>
    <CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId>
    <OriginRequestPolicyId>216adef6-5c7f-47e4-b989-5492eafa07d3</OriginRequestPolicyId>
  </DefaultCacheBehavior>
  <CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior>
    <PathPattern>/api/*</PathPattern><TargetOriginId>api</TargetOriginId>
    <ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy>
    <ForwardedValues><QueryString>true</QueryString><Cookies><Forward>whitelist</Forward>
      <WhitelistedNames><Quantity>1</Quantity><Items><Name>session</Name></Items></WhitelistedNames></Cookies>
      <Headers><Quantity>1</Quantity><Items><Name>Accept-Language</Name></Items></Headers>
      <QueryStringCacheKeys><Quantity>1</Quantity><Items><Name>page</Name></Items></QueryStringCacheKeys></ForwardedValues>
    <MinTTL>5</MinTTL><DefaultTTL>60</DefaultTTL><MaxTTL>600</MaxTTL>
  </CacheBehavior></Items></CacheBehaviors>
  <CustomErrorResponses><Quantity>1</Quantity><Items><CustomErrorResponse><ErrorCode>404</ErrorCode><ErrorCachingMinTTL>30</ErrorCachingMinTTL></CustomErrorResponse></Items></CustomErrorResponses>
  <Comment>all of it</Comment>
  <Logging><Enabled>false</Enabled><IncludeCookies>false</IncludeCookies><Bucket></Bucket><Prefix></Prefix></Logging>
  <PriceClass>PriceClass_All</PriceClass>
  <Enabled>true</Enabled>
  <ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate></ViewerCertificate>
  <Restrictions><GeoRestriction><RestrictionType>blacklist</RestrictionType><Quantity>2</Quantity><Items><Location>FR</Location><Location>DE</Location></Items></GeoRestriction></Restrictions>
  <WebACLId></WebACLId>
  <HttpVersion>http1.1</HttpVersion>
  <IsIPV6Enabled>true</IsIPV6Enabled>
</DistributionConfig>`

func parse(t *testing.T, body string) (model.Distribution, error) {
	t.Helper()
	r := httptest.NewRequest("POST", "/2020-05-31/distribution", strings.NewReader(body))
	var c distributionConfigXML
	if err := decodeXML(r, &c); err != nil {
		return model.Distribution{}, err
	}
	if err := checkUnknown(&c, "DistributionConfig"); err != nil {
		return model.Distribution{}, err
	}
	return toModel(&c)
}

func TestMapFullConfig(t *testing.T) {
	d, err := parse(t, fullConfig)
	if err != nil {
		t.Fatal(err)
	}
	o := d.Origins[0]
	if d.CallerReference != "ref-1" || len(d.Aliases) != 2 || d.Comment != "all of it" || !d.Enabled || d.HTTPVersion != "http1.1" {
		t.Errorf("top level: %+v", d)
	}
	if o.ID != "web" || o.DomainName != "origin.example.com" || o.OriginPath != "/v1" || o.HTTPPort != 8080 || o.HTTPSPort != 8443 ||
		o.Protocol != "https-only" || o.ReadTimeout != 40 || o.KeepaliveTimeout != 7 || o.ConnectionAttempts != 2 ||
		o.ConnectionTimeout != 4 || len(o.CustomHeaders) != 1 || o.CustomHeaders[0] != (model.CustomHeader{Name: "X-Secret", Value: "s"}) {
		t.Errorf("origin: %+v", o)
	}
	b := d.DefaultBehavior
	if b.TargetOriginID != "web" || b.ViewerProtocolPolicy != "redirect-to-https" || !b.Compress || len(b.AllowedMethods) != 3 ||
		b.CachePolicyID != "658327ea-f89d-4fab-a63d-7e88639e58f6" || b.OriginRequestPolicyID != "216adef6-5c7f-47e4-b989-5492eafa07d3" {
		t.Errorf("default behaviour: %+v", b)
	}
	p := d.Behaviors[0].CachePolicy
	if d.Behaviors[0].PathPattern != "/api/*" || p == nil || p.MinTTL != 5 || p.DefaultTTL != 60 || p.MaxTTL != 600 ||
		p.QueryStrings.Behavior != "whitelist" || p.QueryStrings.Items[0] != "page" || p.Headers.Items[0] != "Accept-Language" ||
		p.Cookies.Behavior != "whitelist" || p.Cookies.Items[0] != "session" {
		t.Errorf("legacy behaviour: %+v %+v", d.Behaviors[0], p)
	}
	if d.GeoRestriction.Type != "blacklist" || len(d.GeoRestriction.Locations) != 2 {
		t.Errorf("geo: %+v", d.GeoRestriction)
	}
	if len(d.CustomErrorResponses) != 1 || *d.CustomErrorResponses[0].ErrorCachingMinTTL != 30 {
		t.Errorf("errors: %+v", d.CustomErrorResponses)
	}
}

// sortElements rewrites an XML document with every element's children in
// alphabetical order, as the AWS SDK sends them.
func sortElements(t *testing.T, doc string) string {
	t.Helper()
	type node struct {
		XMLName xml.Name
		Attrs   []xml.Attr `xml:",any,attr"`
		Text    string     `xml:",chardata"`
		Kids    []*node    `xml:",any"`
	}
	var root node
	if err := xml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	var sortNode func(n *node)
	sortNode = func(n *node) {
		if len(n.Kids) > 0 {
			n.Text = ""
		}
		// Items keep their order: the list's order is meaningful.
		if n.XMLName.Local != "Items" {
			for i := 1; i < len(n.Kids); i++ {
				for j := i; j > 0 && n.Kids[j].XMLName.Local < n.Kids[j-1].XMLName.Local; j-- {
					n.Kids[j], n.Kids[j-1] = n.Kids[j-1], n.Kids[j]
				}
			}
		}
		for _, k := range n.Kids {
			sortNode(k)
		}
	}
	sortNode(&root)
	b, err := xml.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestElementOrderDoesNotMatter(t *testing.T) {
	a, err := parse(t, fullConfig)
	if err != nil {
		t.Fatal(err)
	}
	sorted := sortElements(t, fullConfig)
	if strings.Index(sorted, "<Aliases") > strings.Index(sorted, "<CallerReference") {
		t.Fatal("the document was not reordered")
	}
	b, err := parse(t, sorted)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("alphabetical order maps differently:\n%+v\n%+v", a, b)
	}
}

// TestRoundTrip: what GetDistributionConfig returns, sent back unchanged,
// maps onto the same distribution.
func TestRoundTrip(t *testing.T) {
	d, err := parse(t, fullConfig)
	if err != nil {
		t.Fatal(err)
	}
	d.ApplyDefaults()
	c := toConfigXML(&d)
	c.Xmlns = Namespace
	out, err := xml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parse(t, string(out))
	if err != nil {
		t.Fatalf("GetDistributionConfig's document is refused: %v\n%s", err, out)
	}
	back.ApplyDefaults()
	if a, b := js(d), js(back); a != b {
		t.Fatalf("round trip changed the distribution:\n%s\n%s", a, b)
	}
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestNativeSettingsSurviveXMLUpdate: a distribution made through the
// native API carries settings the XML cannot say; an XML update that sends
// back GetDistributionConfig's document keeps them.
func TestNativeSettingsSurviveXMLUpdate(t *testing.T) {
	orp := &model.OriginRequestPolicy{QueryStrings: model.ListConfig{Behavior: "all"}, Headers: model.ListConfig{Behavior: "whitelist", Items: []string{"X-A"}}}
	cp := &model.CachePolicy{Name: "mine", MinTTL: 1, DefaultTTL: 2, MaxTTL: 3, QueryStrings: model.ListConfig{Behavior: "allExcept", Items: []string{"utm"}},
		EnableAcceptEncoding: model.AcceptEncoding{Gzip: true}}
	old := model.Distribution{ID: "EABCDEFGHIJKLM", DomainName: "dabc.pharos.test", Enabled: true, Default: true,
		Origins:         []model.Origin{{ID: "o", DomainName: "127.0.0.1"}},
		DefaultBehavior: model.Behavior{TargetOriginID: "o", SliceSize: 1 << 20, OriginRequest: orp, CachePolicy: cp}}
	old.ApplyDefaults()
	out, _ := xml.Marshal(toConfigXML(&old))
	d, err := parse(t, string(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if d.CallerReference != old.ID {
		t.Errorf("a distribution without CallerReference shows its id, got %q", d.CallerReference)
	}
	d.CallerReference = ""
	keepUnexpressed(&d, &old)
	d.ID, d.DomainName = old.ID, old.DomainName
	d.ApplyDefaults()
	if a, b := js(old), js(d); a != b {
		t.Fatalf("native settings lost:\n%s\n%s", a, b)
	}
}

func TestUnsupportedElementsAreRefused(t *testing.T) {
	cases := []struct{ find, replace, element string }{
		{"<DefaultRootObject></DefaultRootObject>", "<DefaultRootObject>index.html</DefaultRootObject>", "DistributionConfig.DefaultRootObject"},
		{"<Logging><Enabled>false</Enabled>", "<Logging><Enabled>true</Enabled>", "DistributionConfig.Logging.Enabled"},
		{"<PriceClass>PriceClass_All</PriceClass>", "<PriceClass>PriceClass_100</PriceClass>", "DistributionConfig.PriceClass"},
		{"<WebACLId></WebACLId>", "<WebACLId>acl</WebACLId>", "DistributionConfig.WebACLId"},
		{"<IsIPV6Enabled>true</IsIPV6Enabled>", "<IsIPV6Enabled>false</IsIPV6Enabled>", "DistributionConfig.IsIPV6Enabled"},
		{"<OriginGroups><Quantity>0</Quantity></OriginGroups>", "<OriginGroups><Quantity>1</Quantity><Items><OriginGroup><Id>g</Id></OriginGroup></Items></OriginGroups>", "DistributionConfig.OriginGroups"},
		{"<SmoothStreaming>false</SmoothStreaming>", "<SmoothStreaming>true</SmoothStreaming>", "DefaultCacheBehavior.SmoothStreaming"},
		{"<FunctionAssociations><Quantity>0</Quantity></FunctionAssociations>", "<FunctionAssociations><Quantity>1</Quantity><Items><FunctionAssociation><EventType>viewer-request</EventType><FunctionARN>arn</FunctionARN></FunctionAssociation></Items></FunctionAssociations>", "DefaultCacheBehavior.FunctionAssociations"},
		{"<LambdaFunctionAssociations><Quantity>0</Quantity></LambdaFunctionAssociations>", "<LambdaFunctionAssociations><Quantity>1</Quantity><Items><LambdaFunctionAssociation/></Items></LambdaFunctionAssociations>", "DefaultCacheBehavior.LambdaFunctionAssociations"},
		{"<FieldLevelEncryptionId></FieldLevelEncryptionId>", "<FieldLevelEncryptionId>f</FieldLevelEncryptionId>", "DefaultCacheBehavior.FieldLevelEncryptionId"},
		{"<TrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></TrustedSigners>", "<TrustedSigners><Enabled>true</Enabled><Quantity>1</Quantity><Items><AwsAccountNumber>self</AwsAccountNumber></Items></TrustedSigners>", "DefaultCacheBehavior.TrustedSigners"},
		{"<OriginShield><Enabled>false</Enabled></OriginShield>", "<OriginShield><Enabled>true</Enabled><OriginShieldRegion>us-east-1</OriginShieldRegion></OriginShield>", "OriginShield.Enabled"},
		{"<OriginAccessControlId></OriginAccessControlId>", "<OriginAccessControlId>oac</OriginAccessControlId>", "OriginAccessControlId"},
		{"<CustomOriginConfig><HTTPPort>80</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig>", "<S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig>", "Origins.Items[1].S3OriginConfig"},
		{"<CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate>", "<ACMCertificateArn>arn:aws:acm:us-east-1:1:certificate/x</ACMCertificateArn><SSLSupportMethod>sni-only</SSLSupportMethod>", "DistributionConfig.ViewerCertificate"},
		{"<WebACLId></WebACLId>", "<WebACLId></WebACLId><Staging>true</Staging>", "DistributionConfig.Staging"},
		{"<WebACLId></WebACLId>", "<WebACLId></WebACLId><ContinuousDeploymentPolicyId>c</ContinuousDeploymentPolicyId>", "DistributionConfig.ContinuousDeploymentPolicyId"},
		{"<WebACLId></WebACLId>", "<WebACLId></WebACLId><CacheTagConfig><HeaderName>x-amz-meta-tag</HeaderName></CacheTagConfig>", "DistributionConfig.CacheTagConfig.HeaderName"},
		{"<Headers><Quantity>1</Quantity><Items><Name>Accept-Language</Name>", "<Headers><Quantity>1</Quantity><Items><Name>*</Name>", "ForwardedValues.Headers"},
	}
	for _, c := range cases {
		t.Run(c.element, func(t *testing.T) {
			if !strings.Contains(fullConfig, c.find) {
				t.Fatalf("test bug: %q not in the config", c.find)
			}
			_, err := parse(t, strings.Replace(fullConfig, c.find, c.replace, 1))
			var ae *apiError
			if !errors.As(err, &ae) || ae.Code != "InvalidArgument" || !strings.Contains(ae.Message, c.element) {
				t.Fatalf("got %v, want InvalidArgument naming %s", err, c.element)
			}
		})
	}
}

func TestQuantitiesAndUnknownElements(t *testing.T) {
	cases := []struct{ find, replace, code, mention string }{
		{"<Aliases><Quantity>2</Quantity>", "<Aliases><Quantity>3</Quantity>", "InconsistentQuantities", "Aliases"},
		{"<Origins><Quantity>2</Quantity>", "<Origins><Quantity>1</Quantity>", "InconsistentQuantities", "Origins"},
		{"<CachedMethods><Quantity>2</Quantity>", "<CachedMethods><Quantity>0</Quantity>", "InconsistentQuantities", "CachedMethods"},
		{"<Comment>all of it</Comment>", "<Comment>all of it</Comment><Frobnicate>1</Frobnicate>", "MalformedInput", "DistributionConfig.Frobnicate"},
		{"<OriginPath>/v1</OriginPath>", "<OriginPath>/v1</OriginPath><Weight>3</Weight>", "MalformedInput", "Origin[0].Weight"},
		{"</DistributionConfig>", "", "MalformedInput", "well-formed"},
	}
	for _, c := range cases {
		t.Run(c.mention, func(t *testing.T) {
			_, err := parse(t, strings.Replace(fullConfig, c.find, c.replace, 1))
			var ae *apiError
			if !errors.As(err, &ae) || ae.Code != c.code || !strings.Contains(ae.Message, c.mention) {
				t.Fatalf("got %v, want %s mentioning %s", err, c.code, c.mention)
			}
		})
	}
}

func TestInvalidationLimits(t *testing.T) {
	inProgress := func(paths ...string) control.InvalidationRecord {
		return control.InvalidationRecord{Paths: paths, Status: "InProgress"}
	}
	many := make([]string, 2999)
	for i := range many {
		many[i] = fmt.Sprintf("/p%d", i)
	}
	wild := []string{"/a*", "/b*", "/c*", "/d*", "/e*", "/f*", "/g*", "/h*", "/i*", "/j*", "/k*", "/l*", "/m*", "/n*"}
	cases := []struct {
		name     string
		existing []control.InvalidationRecord
		add      []string
		refused  bool
	}{
		{"3000 paths", []control.InvalidationRecord{inProgress(many...)}, []string{"/x"}, false},
		{"3001 paths", []control.InvalidationRecord{inProgress(many...)}, []string{"/x", "/y"}, true},
		{"completed ones do not count", []control.InvalidationRecord{{Paths: many, Status: "Completed"}, {Paths: many, Status: "Completed"}}, []string{"/x", "/y"}, false},
		{"15 wildcards", []control.InvalidationRecord{inProgress(wild...)}, []string{"/z*"}, false},
		{"16 wildcards", []control.InvalidationRecord{inProgress(wild...)}, []string{"/y*", "/z*"}, true},
		{"wildcards have their own budget", []control.InvalidationRecord{inProgress(many...), inProgress(wild...)}, []string{"/z*"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkInProgress(c.existing, c.add)
			var ae *apiError
			if refused := errors.As(err, &ae) && ae.Code == "TooManyInvalidationsInProgress"; refused != c.refused {
				t.Fatalf("got %v, want refused=%v", err, c.refused)
			}
		})
	}
}
