package signedurl

import (
	"encoding/base64"
	"strings"
)

// CloudFront encodes policies and signatures as standard base64 with three
// characters swapped for ones that need no escaping in a URL or a cookie:
// '+' → '-', '=' → '_', '/' → '~' (CLOUDFRONT.md §3.4).
var (
	toCloudFront   = strings.NewReplacer("+", "-", "=", "_", "/", "~")
	fromCloudFront = strings.NewReplacer("-", "+", "_", "=", "~", "/")
)

// Encode returns b in CloudFront's base64 alphabet.
func Encode(b []byte) string {
	return toCloudFront.Replace(base64.StdEncoding.EncodeToString(b))
}

// Decode reverses Encode. It also takes standard base64 (a signer that
// forgot the swap still signed the same bytes) and tolerates missing
// padding; the signature check decides whether the bytes are good.
func Decode(s string) ([]byte, error) {
	s = fromCloudFront.Replace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}
