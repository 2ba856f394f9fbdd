package model

import (
	"errors"
	"strings"
	"testing"
)

func TestViewerCertificateValidation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vc      ViewerCertificate
		httpVer string
		field   string // "" expects no error
	}{
		{name: "empty", vc: ViewerCertificate{}},
		{name: "every policy but SSLv3", vc: ViewerCertificate{MinimumProtocolVersion: "TLSv1.3_2025"}, httpVer: "http2and3"},
		{name: "SSLv3 refused", vc: ViewerCertificate{MinimumProtocolVersion: "SSLv3"}, field: "viewerCertificate.minimumProtocolVersion"},
		{name: "unknown policy", vc: ViewerCertificate{MinimumProtocolVersion: "TLSv1.4"}, field: "viewerCertificate.minimumProtocolVersion"},
		{name: "bad certificate id", vc: ViewerCertificate{CertificateID: "E123"}, field: "viewerCertificate.certificateId"},
		{name: "good certificate id", vc: ViewerCertificate{CertificateID: NewCertificateID()}},
		{name: "bad http version", httpVer: "http4", field: "httpVersion"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validDist()
			d.ViewerCertificate, d.HTTPVersion = tc.vc, tc.httpVer
			err := d.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			var ve ValidationError
			if !errors.As(err, &ve) || ve[0].Field != tc.field {
				t.Fatalf("want an error on %s, got %v", tc.field, err)
			}
		})
	}
	for _, p := range MinimumProtocolVersions {
		d := validDist()
		d.ViewerCertificate.MinimumProtocolVersion = p
		if err := d.Validate(); err != nil {
			t.Errorf("%s refused: %v", p, err)
		}
	}
}

func TestHTTPVersionOffers(t *testing.T) {
	for v, want := range map[string][2]bool{"": {true, false}, "http1.1": {false, false}, "http2": {true, false},
		"http3": {false, true}, "http2and3": {true, true}} {
		d := Distribution{HTTPVersion: v}
		if got := [2]bool{d.OffersHTTP2(), d.OffersHTTP3()}; got != want {
			t.Errorf("%q: h2,h3 = %v, want %v", v, got, want)
		}
	}
}

func TestCertificateID(t *testing.T) {
	id := NewCertificateID()
	if !ValidCertificateID(id) || !strings.HasPrefix(id, "ASCA") || len(id) != 21 {
		t.Fatalf("bad id %q", id)
	}
	for _, bad := range []string{"", "ASCA", "ASCAabcdefghijklmnopq", "XSCA12345678901234567", id + "A"} {
		if ValidCertificateID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	c := Certificate{ID: id, PrivateKeyPEM: "secret"}
	if c.Public().PrivateKeyPEM != "" {
		t.Fatal("Public kept the private key")
	}
}
