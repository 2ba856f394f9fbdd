package cfapi

import "encoding/xml"

// distributionXML is the Distribution a create, get or update returns.
type distributionXML struct {
	XMLName                       xml.Name               `xml:"Distribution"`
	Xmlns                         string                 `xml:"xmlns,attr,omitempty"`
	Id                            string                 `xml:"Id"`
	ARN                           string                 `xml:"ARN"`
	Status                        string                 `xml:"Status"`
	LastModifiedTime              string                 `xml:"LastModifiedTime"`
	InProgressInvalidationBatches int                    `xml:"InProgressInvalidationBatches"`
	DomainName                    string                 `xml:"DomainName"`
	ActiveTrustedSigners          activeTrustedXML       `xml:"ActiveTrustedSigners"`
	ActiveTrustedKeyGroups        activeTrustedXML       `xml:"ActiveTrustedKeyGroups"`
	DistributionConfig            *distributionConfigXML `xml:"DistributionConfig"`
}

// activeTrustedXML lists the key groups in use (their key ids are left
// out: KeyPairIds is optional in the model).
type activeTrustedXML struct {
	Enabled  bool             `xml:"Enabled"`
	Quantity int              `xml:"Quantity"`
	Items    []activeGroupXML `xml:"Items>KeyGroup,omitempty"`
}

type activeGroupXML struct {
	KeyGroupId string `xml:"KeyGroupId"`
}

// distributionListXML is ListDistributions' answer.
type distributionListXML struct {
	XMLName     xml.Name                 `xml:"DistributionList"`
	Xmlns       string                   `xml:"xmlns,attr"`
	Marker      string                   `xml:"Marker"`
	NextMarker  string                   `xml:"NextMarker,omitempty"`
	MaxItems    int                      `xml:"MaxItems"`
	IsTruncated bool                     `xml:"IsTruncated"`
	Quantity    int                      `xml:"Quantity"`
	Items       []distributionSummaryXML `xml:"Items>DistributionSummary"`
}

type distributionSummaryXML struct {
	Id                   string                   `xml:"Id"`
	ARN                  string                   `xml:"ARN"`
	ETag                 string                   `xml:"ETag"`
	Status               string                   `xml:"Status"`
	LastModifiedTime     string                   `xml:"LastModifiedTime"`
	DomainName           string                   `xml:"DomainName"`
	Aliases              *aliasesXML              `xml:"Aliases"`
	Origins              *originsXML              `xml:"Origins"`
	OriginGroups         *countedRawXML           `xml:"OriginGroups"`
	DefaultCacheBehavior *behaviorXML             `xml:"DefaultCacheBehavior"`
	CacheBehaviors       *cacheBehaviorsXML       `xml:"CacheBehaviors"`
	CustomErrorResponses *customErrorResponsesXML `xml:"CustomErrorResponses"`
	Comment              string                   `xml:"Comment"`
	PriceClass           string                   `xml:"PriceClass"`
	Enabled              bool                     `xml:"Enabled"`
	ViewerCertificate    *viewerCertificateXML    `xml:"ViewerCertificate"`
	Restrictions         *restrictionsXML         `xml:"Restrictions"`
	WebACLId             string                   `xml:"WebACLId"`
	HttpVersion          string                   `xml:"HttpVersion"`
	IsIPV6Enabled        bool                     `xml:"IsIPV6Enabled"`
	Staging              bool                     `xml:"Staging"`
}
