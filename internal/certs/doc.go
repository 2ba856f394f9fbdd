// Package certs holds the edges' TLS certificates: a local certificate
// authority that issues short-lived leaves for distribution names
// (ca.go, leaf.go, issuer.go), certificates users import (imported.go,
// set.go), the choice by SNI (select.go) and CloudFront's security
// policies as TLS versions (policy.go). It does no network I/O; cafile.go
// reads and writes the root under a data directory.
package certs
