package cfapi

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/pharos-cdn/pharos/internal/model"
)

const defaultCert = "<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate></ViewerCertificate>"

func TestViewerCertificateMapping(t *testing.T) {
	id := model.NewCertificateID()
	for _, tc := range []struct {
		name, xml string
		want      model.ViewerCertificate
		fails     string // an element named in the error
	}{
		{name: "default certificate", xml: defaultCert},
		{name: "imported certificate and its policy",
			xml:  "<ViewerCertificate><IAMCertificateId>" + id + "</IAMCertificateId><SSLSupportMethod>sni-only</SSLSupportMethod><MinimumProtocolVersion>TLSv1.3_2025</MinimumProtocolVersion></ViewerCertificate>",
			want: model.ViewerCertificate{CertificateID: id, MinimumProtocolVersion: "TLSv1.3_2025"}},
		{name: "older Certificate form",
			xml:  "<ViewerCertificate><Certificate>" + id + "</Certificate><CertificateSource>iam</CertificateSource><SSLSupportMethod>sni-only</SSLSupportMethod></ViewerCertificate>",
			want: model.ViewerCertificate{CertificateID: id}},
		{name: "the default policy is stored as the default",
			xml: "<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><MinimumProtocolVersion>TLSv1.2_2021</MinimumProtocolVersion></ViewerCertificate>"},
		{name: "TLSv1 with the default certificate, as CloudFront returns it",
			xml:  "<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><MinimumProtocolVersion>TLSv1</MinimumProtocolVersion></ViewerCertificate>",
			want: model.ViewerCertificate{MinimumProtocolVersion: "TLSv1"}},
		{name: "ACM refused", xml: "<ViewerCertificate><ACMCertificateArn>arn:aws:acm:us-east-1:1:certificate/x</ACMCertificateArn></ViewerCertificate>",
			fails: "ViewerCertificate.ACMCertificateArn"},
		{name: "both default and imported", xml: "<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><IAMCertificateId>" + id + "</IAMCertificateId></ViewerCertificate>",
			fails: "ViewerCertificate.CloudFrontDefaultCertificate"},
		{name: "neither", xml: "<ViewerCertificate><CloudFrontDefaultCertificate>false</CloudFrontDefaultCertificate></ViewerCertificate>",
			fails: "ViewerCertificate.CloudFrontDefaultCertificate"},
		{name: "SSLv3", xml: "<ViewerCertificate><CloudFrontDefaultCertificate>true</CloudFrontDefaultCertificate><MinimumProtocolVersion>SSLv3</MinimumProtocolVersion></ViewerCertificate>",
			fails: "minimumProtocolVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(fullConfig, defaultCert) {
				t.Fatal("test bug: the full config's ViewerCertificate changed")
			}
			d, err := parse(t, strings.Replace(fullConfig, defaultCert, tc.xml, 1))
			if err == nil {
				d.ApplyDefaults()
				err = d.Validate() // the policy is the model's to check
			}
			if tc.fails != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fails) {
					t.Fatalf("got %v, want an error naming %s", err, tc.fails)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.ViewerCertificate != tc.want {
				t.Fatalf("mapped %+v, want %+v", d.ViewerCertificate, tc.want)
			}
			// And back: what GetDistributionConfig returns maps to the same.
			c := toConfigXML(&d)
			c.Xmlns = Namespace
			out, err := xml.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			back, err := parse(t, string(out))
			if err != nil || back.ViewerCertificate != tc.want {
				t.Fatalf("round trip: %v, %+v\n%s", err, back.ViewerCertificate, out)
			}
			if tc.want.CertificateID != "" && !strings.Contains(string(out), "<IAMCertificateId>"+id+"</IAMCertificateId>") {
				t.Fatalf("IAMCertificateId not written back:\n%s", out)
			}
		})
	}
}
