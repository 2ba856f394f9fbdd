package main

import (
	"github.com/spf13/pflag"

	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/node"
)

// registerACME adds the ACME flags (pharos up, pharos edge) into c.
func registerACME(f *pflag.FlagSet, c *node.ACMEConfig) {
	f.StringVar(&c.Email, "acme-email", "", "turn ACME on: obtain certificates for distribution aliases without an imported certificate from an ACME CA, with this account email (off by default: no ACME server is contacted)")
	f.BoolVar(&c.Agree, "acme-agree", false, "agree to the ACME CA's terms of service (required with --acme-email)")
	f.StringVar(&c.CA, "acme-ca", certs.LetsEncrypt, "ACME directory URL (Let's Encrypt staging: https://acme-staging-v02.api.letsencrypt.org/directory)")
	f.StringVar(&c.CARoot, "acme-ca-root", "", "PEM file of the roots to trust for the ACME directory's HTTPS instead of the system's (a private or test CA)")
	f.BoolVar(&c.DomainNames, "acme-domain-names", false, "also obtain certificates for the distributions' own domain names (dXXXX.<zone>), when the zone is public")
	f.StringSliceVar(&c.Challenges, "acme-challenges", []string{certs.ChallengeHTTP01, certs.ChallengeTLSALPN01}, "ACME challenge types to answer: http-01 (on --http), tls-alpn-01 (on --https)")
}
