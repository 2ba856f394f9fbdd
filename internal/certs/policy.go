package certs

import (
	"crypto/tls"
	"fmt"
)

// aeadSuites are the TLS 1.2 suites CloudFront's TLSv1.2_2019 and later
// policies keep: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305.
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// Policy maps a CloudFront security policy (MinimumProtocolVersion) onto
// the lowest TLS version and, below TLS 1.3, the cipher suites (nil: Go's
// defaults). "" is the default policy, TLSv1.2_2021. TLS 1.3 suites are
// not configurable in Go, and all of them are strong.
func Policy(name string) (minVersion uint16, suites []uint16, err error) {
	switch name {
	case "TLSv1", "TLSv1_2016":
		return tls.VersionTLS10, nil, nil
	case "TLSv1.1_2016":
		return tls.VersionTLS11, nil, nil
	case "TLSv1.2_2018":
		return tls.VersionTLS12, nil, nil
	case "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "":
		return tls.VersionTLS12, aeadSuites, nil
	case "TLSv1.3_2025":
		return tls.VersionTLS13, nil, nil
	case "SSLv3":
		return 0, nil, fmt.Errorf("certs: SSLv3 is not supported")
	}
	return 0, nil, fmt.Errorf("certs: unknown security policy %q", name)
}
