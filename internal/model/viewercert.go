package model

import (
	"slices"
	"strings"
)

// ViewerCertificate is how an edge answers a distribution's viewers over
// HTTPS (CloudFront's ViewerCertificate, reduced to what Pharos uses).
type ViewerCertificate struct {
	// CertificateID names an imported certificate (CloudFront's
	// IAMCertificateId). Empty: the edge picks an imported certificate by
	// SNI, else one its local certificate authority issues.
	CertificateID string `json:"certificateId,omitempty"`
	// MinimumProtocolVersion is CloudFront's security policy name (see
	// MinimumProtocolVersions); "" means TLSv1.2_2021.
	MinimumProtocolVersion string `json:"minimumProtocolVersion,omitempty"`
}

// MinimumProtocolVersions are CloudFront's security policies that Pharos
// serves. SSLv3 is CloudFront's too but refused: no current TLS stack
// offers it, and Go's never did.
var MinimumProtocolVersions = []string{
	"TLSv1", "TLSv1_2016", "TLSv1.1_2016", "TLSv1.2_2018", "TLSv1.2_2019",
	"TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025",
}

// DefaultMinimumProtocolVersion applies when a distribution names none.
const DefaultMinimumProtocolVersion = "TLSv1.2_2021"

// HTTPVersions are CloudFront's HttpVersion values ("" is http2).
var HTTPVersions = []string{"http1.1", "http2", "http3", "http2and3"}

// OffersHTTP2 reports whether viewers may speak HTTP/2 to the distribution.
func (d *Distribution) OffersHTTP2() bool {
	return d.HTTPVersion == "" || d.HTTPVersion == "http2" || d.HTTPVersion == "http2and3"
}

// OffersHTTP3 reports whether viewers may speak HTTP/3 (QUIC) to the
// distribution; only then do edges advertise it with Alt-Svc.
func (d *Distribution) OffersHTTP3() bool {
	return d.HTTPVersion == "http3" || d.HTTPVersion == "http2and3"
}

// EffectiveMinimumProtocolVersion is the policy in force.
func (v ViewerCertificate) EffectiveMinimumProtocolVersion() string {
	if v.MinimumProtocolVersion == "" {
		return DefaultMinimumProtocolVersion
	}
	return v.MinimumProtocolVersion
}

// validateTLS checks the HTTP version and the viewer certificate.
func (d *Distribution) validateTLS(v *validator) {
	if d.HTTPVersion != "" && !slices.Contains(HTTPVersions, d.HTTPVersion) {
		v.fail("httpVersion", "%q: must be %s", d.HTTPVersion, strings.Join(HTTPVersions, ", "))
	}
	vc := d.ViewerCertificate
	if p := vc.MinimumProtocolVersion; p == "SSLv3" {
		v.fail("viewerCertificate.minimumProtocolVersion", "SSLv3 is not supported: use TLSv1 or later")
	} else if p != "" && !slices.Contains(MinimumProtocolVersions, p) {
		v.fail("viewerCertificate.minimumProtocolVersion", "%q: must be one of %s", p, strings.Join(MinimumProtocolVersions, ", "))
	}
	if vc.CertificateID != "" && !ValidCertificateID(vc.CertificateID) {
		v.fail("viewerCertificate.certificateId", "%q: must be ASCA followed by 17 of [A-Z0-9], as pharos cert import prints", vc.CertificateID)
	}
}
