// Package signedurl verifies and makes CloudFront signed URLs and signed
// cookies, byte for byte as CloudFront does, so that signing code and keys
// move over unchanged (CLOUDFRONT.md §3).
//
// A signed request carries a policy (canned: rebuilt here from the request
// and its Expires value; custom: the base64 Policy as the signer sent it),
// a signature over the policy's exact bytes (RSA PKCS#1 v1.5 or ECDSA
// P-256, SHA-1 unless Hash-Algorithm says SHA256) and the id of the key
// that signed it. Verify checks all of it against the keys a behaviour
// trusts at the request's start time and says, on failure, which of
// CloudFront's error codes to answer with. The package is pure: no I/O.
package signedurl
