// Package certs holds the edges' TLS certificates: a local certificate
// authority that issues short-lived leaves for distribution names
// (ca.go, leaf.go, issuer.go), certificates users import (imported.go,
// set.go), the choice by SNI (select.go) and CloudFront's security
// policies as TLS versions (policy.go). Only the optional ACME client
// (acme.go, certmagic) talks to the network; cafile.go reads and writes
// the root under a data directory.
package certs
