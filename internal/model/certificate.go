package model

import "time"

// Certificate is an imported TLS certificate: a PEM chain (leaf first) and
// its private key, stored in the engine under cert.<ID> and served by every
// edge for the names it covers. The names and dates are read from the leaf
// when it is imported, never taken from the user.
type Certificate struct {
	// ID looks like an IAM server certificate id (ASCA + 17 of [A-Z0-9]),
	// which is what CloudFront's ViewerCertificate.IAMCertificateId holds.
	ID        string    `json:"id"`
	Comment   string    `json:"comment,omitempty"`
	Names     []string  `json:"names"` // the leaf's DNS names (SANs), lower case
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	// CertificatePEM is the chain, leaf first.
	CertificatePEM string `json:"certificate"`
	// PrivateKeyPEM is the leaf's key. Listings leave it out.
	PrivateKeyPEM string    `json:"privateKey,omitempty"`
	Uploaded      time.Time `json:"uploaded"`
}

// NewCertificateID returns ASCA + 17 of [A-Z0-9], IAM's shape.
func NewCertificateID() string { return "ASCA" + randomString(upperAlnum, 17) }

// ValidCertificateID reports whether id has NewCertificateID's shape.
func ValidCertificateID(id string) bool {
	if len(id) != 21 || id[:4] != "ASCA" {
		return false
	}
	for i := 4; i < len(id); i++ {
		c := id[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Public returns the certificate without its private key.
func (c Certificate) Public() Certificate {
	c.PrivateKeyPEM = ""
	return c
}
