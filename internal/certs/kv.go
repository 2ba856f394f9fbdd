package certs

import (
	"encoding/json"
	"fmt"
)

// RootKey is the engine's configuration key holding the CDN's root (both
// PEMs): written once by the control plane, read by every edge, so every
// edge's leaves chain to the one root users trust.
const RootKey = "ca.root"

// CertPrefix is the key prefix of imported certificates (cert.<ID>).
const CertPrefix = "cert."

type rootDoc struct {
	Certificate string `json:"certificate"`
	PrivateKey  string `json:"privateKey"`
}

// EncodeRoot is the value stored under RootKey.
func EncodeRoot(ca *CA) []byte {
	b, _ := json.Marshal(rootDoc{Certificate: string(ca.CertPEM), PrivateKey: string(ca.KeyPEM)})
	return b
}

// DecodeRoot reads a value stored under RootKey.
func DecodeRoot(v []byte) (*CA, error) {
	var d rootDoc
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("certs: %s: %w", RootKey, err)
	}
	return ParseCA([]byte(d.Certificate), []byte(d.PrivateKey))
}
