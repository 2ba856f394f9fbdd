package main

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pharos-cdn/pharos/internal/security/signedurl"
)

// signFlags are what `pharos sign url` and `pharos sign cookie` share.
type signFlags struct {
	keyPairID, privateKey, hashAlg, output string
	expires, dateLessThan, dateGreaterThan string
	ipAddress, resource, policyFile        string
}

func (f *signFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.keyPairID, "key-pair-id", "", "the public key's id (K…), as the key group holds it (required)")
	fl.StringVar(&f.privateKey, "private-key", "", "PEM file of the RSA-2048 or ECDSA P-256 private key; file:// is allowed (required)")
	fl.StringVar(&f.expires, "expires", "", "canned policy: expiry (Unix seconds, 2030-01-02, 2030-01-02T15:04:05Z, or a duration from now such as 1h)")
	fl.StringVar(&f.dateLessThan, "date-less-than", "", "expiry, as --expires; alone it makes a canned policy, with the flags below a custom one")
	fl.StringVar(&f.dateGreaterThan, "date-greater-than", "", "custom policy: not valid before this time")
	fl.StringVar(&f.ipAddress, "ip-address", "", "custom policy: the viewer's IPv4 address or CIDR")
	fl.StringVar(&f.resource, "resource", "", "custom policy: the Resource pattern (wildcards * and ?; default: the URL)")
	fl.StringVar(&f.policyFile, "policy", "", "custom policy: a JSON policy file, signed as given (whitespace removed)")
	fl.StringVar(&f.hashAlg, "hash-algorithm", "SHA1", "SHA1 or SHA256 (adds Hash-Algorithm=SHA256)")
	fl.StringVarP(&f.output, "output", "o", "text", "output: text or json")
}

func newSignCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Make CloudFront-compatible signed URLs and signed cookies",
	}
	var uf, cf signFlags
	urlCmd := &cobra.Command{
		Use:   "url URL",
		Short: "Print a signed URL",
		Example: `  pharos sign url https://d123.example/video.mp4 --key-pair-id K2JCJMDEHXQW5F --private-key key.pem --expires 1h
  pharos sign url 'https://d123.example/v/a.mp4' --key-pair-id K2JCJMDEHXQW5F --private-key key.pem \
    --date-less-than 2030-01-01 --resource 'https://d123.example/v/*' --ip-address 192.0.2.0/24`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := uf.sign(args[0], time.Now())
			if err != nil {
				return err
			}
			signed := g.URL(args[0])
			if uf.output == "json" {
				return printJSON(cmd, map[string]string{"url": signed})
			}
			fmt.Fprintln(cmd.OutOrStdout(), signed)
			return nil
		},
	}
	uf.register(urlCmd)

	var domain, path string
	var secure bool
	cookieCmd := &cobra.Command{
		Use:   "cookie URL",
		Short: "Print signed cookies as Set-Cookie lines (or JSON with -o json)",
		Example: `  pharos sign cookie 'https://d123.example/private/*' --key-pair-id K2JCJMDEHXQW5F --private-key key.pem \
    --date-less-than 12h --domain d123.example --secure`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, err := cf.sign(args[0], time.Now())
			if err != nil {
				return err
			}
			cookies := g.Cookies()
			values := map[string]string{}
			var lines []string
			for _, c := range cookies {
				c.Domain, c.Path, c.Secure = domain, path, secure
				values[c.Name] = c.Value
				lines = append(lines, c.String())
			}
			if cf.output == "json" {
				return printJSON(cmd, map[string]any{"cookies": values, "setCookie": lines})
			}
			for _, l := range lines {
				fmt.Fprintln(cmd.OutOrStdout(), "Set-Cookie: "+l)
			}
			return nil
		},
	}
	cf.register(cookieCmd)
	cookieCmd.Flags().StringVar(&domain, "domain", "", "the cookies' Domain attribute (the distribution's domain or an alias)")
	cookieCmd.Flags().StringVar(&path, "path", "/", "the cookies' Path attribute")
	cookieCmd.Flags().BoolVar(&secure, "secure", false, "mark the cookies Secure (HTTPS only)")
	cmd.AddCommand(urlCmd, cookieCmd)
	return cmd
}

func printJSON(cmd *cobra.Command, v any) error {
	enc := json.NewEncoder(cmd.OutOrStdout())
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// sign signs for url, with a canned policy when only an expiry is given
// and a custom one otherwise (as the AWS CLI decides).
func (f *signFlags) sign(url string, now time.Time) (signedurl.Signed, error) {
	if f.output != "text" && f.output != "json" {
		return signedurl.Signed{}, fmt.Errorf("-o %q: want text or json", f.output)
	}
	s, err := f.signer()
	if err != nil {
		return signedurl.Signed{}, err
	}
	if f.policyFile != "" {
		if f.expires != "" || f.dateLessThan != "" || f.dateGreaterThan != "" || f.ipAddress != "" || f.resource != "" {
			return signedurl.Signed{}, errors.New("--policy carries its own conditions: give no other policy flag")
		}
		raw, err := os.ReadFile(strings.TrimPrefix(f.policyFile, "file://"))
		if err != nil {
			return signedurl.Signed{}, fmt.Errorf("--policy: %w", err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return signedurl.Signed{}, fmt.Errorf("--policy %s: %w", f.policyFile, err)
		}
		if _, err := signedurl.ParsePolicy(compact.Bytes()); err != nil {
			return signedurl.Signed{}, fmt.Errorf("--policy %s: %w", f.policyFile, err)
		}
		return s.Custom(compact.Bytes())
	}
	if f.expires != "" && f.dateLessThan != "" {
		return signedurl.Signed{}, errors.New("give --expires or --date-less-than, not both")
	}
	until := f.expires + f.dateLessThan
	if until == "" {
		return signedurl.Signed{}, errors.New("an expiry is required: --expires, --date-less-than or --policy")
	}
	dlt, err := parseSignTime(until, now)
	if err != nil {
		return signedurl.Signed{}, err
	}
	if f.dateGreaterThan == "" && f.ipAddress == "" && f.resource == "" {
		return s.Canned(url, dlt)
	}
	p := signedurl.Policy{Resource: f.resource, DateLessThan: dlt}
	if p.Resource == "" {
		p.Resource = url
	}
	if f.dateGreaterThan != "" {
		if p.DateGreaterThan, err = parseSignTime(f.dateGreaterThan, now); err != nil {
			return signedurl.Signed{}, err
		}
		p.HasStart = true
	}
	if f.ipAddress != "" {
		a := f.ipAddress
		if !strings.Contains(a, "/") {
			a += "/32"
		}
		pfx, err := netip.ParsePrefix(a)
		if err != nil || !pfx.Addr().Is4() {
			return signedurl.Signed{}, fmt.Errorf("--ip-address %q: want an IPv4 address or CIDR", f.ipAddress)
		}
		p.SourceIP = pfx.Masked()
	}
	return s.Custom(signedurl.MarshalPolicy(p))
}

func (f *signFlags) signer() (signedurl.Signer, error) {
	if f.keyPairID == "" || f.privateKey == "" {
		return signedurl.Signer{}, errors.New("--key-pair-id and --private-key are required")
	}
	pemText, err := os.ReadFile(strings.TrimPrefix(f.privateKey, "file://"))
	if err != nil {
		return signedurl.Signer{}, fmt.Errorf("--private-key: %w", err)
	}
	key, err := signedurl.ParsePrivateKey(pemText)
	if err != nil {
		return signedurl.Signer{}, fmt.Errorf("--private-key %s: %w", f.privateKey, err)
	}
	s := signedurl.Signer{KeyID: f.keyPairID, Key: key}
	switch strings.ToUpper(f.hashAlg) {
	case "SHA1", "":
		s.Hash = crypto.SHA1
	case "SHA256":
		s.Hash = crypto.SHA256
	default:
		return s, fmt.Errorf("--hash-algorithm %q: want SHA1 or SHA256", f.hashAlg)
	}
	return s, nil
}

// parseSignTime reads the time forms the AWS CLI takes (Unix seconds,
// YYYY-MM-DD, YYYY-MM-DDThh:mm:ss with an optional zone, UTC when none),
// plus a duration from now ("90m", "12h").
func parseSignTime(s string, now time.Time) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d).Unix(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("time %q: want Unix seconds, 2030-01-02, 2030-01-02T15:04:05[Z|+hh:mm] or a duration such as 1h", s)
}
