package signedurl

import (
	"crypto"
	"errors"
	"net/netip"
	"time"
)

// Request is what Verify needs of a viewer request, as the viewer sent it.
type Request struct {
	Scheme   string     // "http" or "https": how the viewer connected
	Host     string     // the Host field as sent (with its port, if any)
	Path     string     // the path as sent, still percent-encoded
	RawQuery string     // the query as sent, signing parameters included
	Cookies  []string   // the Cookie header fields
	ClientIP netip.Addr // the viewer's address
	Now      time.Time  // when the request started (expiry is checked then)
}

// Keys are the public keys a behaviour trusts, by key id.
type Keys map[string]crypto.PublicKey

// Result describes a request that passed.
type Result struct {
	// Query is the request's query without the signing parameters: what
	// the cache key and the origin request use.
	Query       string
	KeyID       string
	FromCookies bool
}

// Error is a refusal, with the code and message CloudFront answers with
// (403, Content-Type: text/xml). Detail says what exactly failed, for
// logs; it never reaches the viewer.
type Error struct {
	Code    string
	Message string
	Detail  string
}

func (e *Error) Error() string { return "signedurl: " + e.Code + ": " + e.Detail }

// Body is CloudFront's XML error document for e.
func (e *Error) Body() []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + e.Code +
		`</Code><Message>` + e.Message + `</Message></Error>`)
}

// CloudFront's codes and messages (CLOUDFRONT.md §3.6).
const (
	CodeMissingKey      = "MissingKey"
	CodeInvalidKey      = "InvalidKey"
	CodeMalformedPolicy = "MalformedPolicy"
	CodeAccessDenied    = "AccessDenied"
)

var messages = map[string]string{
	CodeMissingKey:      "Missing Key-Pair-Id query parameter or cookie value",
	CodeInvalidKey:      "Unknown Key",
	CodeMalformedPolicy: "Malformed Policy",
	CodeAccessDenied:    "Access denied",
}

func refuse(code, detail string) *Error {
	return &Error{Code: code, Message: messages[code], Detail: detail}
}

// Verify checks a request's signed URL, or else its signed cookies,
// against keys. In order: a key id must be present (MissingKey) and
// trusted (InvalidKey); the policy must decode (MalformedPolicy); the
// signature must cover its exact bytes (AccessDenied); a custom policy
// must then parse (MalformedPolicy); the request must fall inside its
// times, come from its address range, and match its resource
// (AccessDenied).
func Verify(r *Request, keys Keys) (Result, *Error) {
	g, rest := fromQuery(r.RawQuery)
	if !g.signsURL() {
		g = fromCookies(r.Cookies)
	}
	res := Result{Query: rest, KeyID: g.keyID, FromCookies: g.fromCookies}
	if g.keyID == "" {
		return res, refuse(CodeMissingKey, "no key pair id")
	}
	if g.duplicate != "" {
		return res, refuse(CodeAccessDenied, g.duplicate+" given twice")
	}
	pub, ok := keys[g.keyID]
	if !ok {
		return res, refuse(CodeInvalidKey, "key "+g.keyID+" is not trusted here")
	}
	hash, err := hashOf(g.hashAlg)
	if err != nil {
		return res, refuse(CodeAccessDenied, err.Error())
	}
	sig, err := Decode(g.signature)
	if g.signature == "" || err != nil {
		return res, refuse(CodeAccessDenied, "missing or undecodable signature")
	}
	resource := r.Scheme + "://" + r.Host + r.Path
	if rest != "" {
		resource += "?" + rest
	}
	var policy []byte
	var canned int64
	switch {
	case g.hasPolicy:
		if policy, err = Decode(g.policy); err != nil || len(policy) == 0 {
			return res, refuse(CodeMalformedPolicy, "policy is not base64")
		}
	case g.hasExpires:
		if canned, err = parseEpoch(g.expires); err != nil || canned > MaxCannedExpires {
			return res, refuse(CodeMalformedPolicy, "bad Expires "+g.expires)
		}
		policy = CannedPolicy(resource, canned)
	default:
		return res, refuse(CodeMalformedPolicy, "neither Expires nor Policy")
	}
	if !verifySignature(pub, hash, policy, sig) {
		return res, refuse(CodeAccessDenied, "signature does not match")
	}
	p := Policy{DateLessThan: canned}
	if g.hasPolicy {
		if p, err = ParsePolicy(policy); err != nil {
			return res, refuse(CodeMalformedPolicy, err.Error())
		}
	}
	if e := p.check(r, rest); e != nil {
		return res, e
	}
	return res, nil
}

// check applies a verified policy's conditions to the request.
func (p *Policy) check(r *Request, query string) *Error {
	now := r.Now.Unix()
	if now >= p.DateLessThan {
		return refuse(CodeAccessDenied, "expired")
	}
	if p.HasStart && now < p.DateGreaterThan {
		return refuse(CodeAccessDenied, "not valid yet")
	}
	if p.SourceIP.IsValid() {
		ip := r.ClientIP.Unmap()
		if !ip.Is4() || !p.SourceIP.Contains(ip) {
			return refuse(CodeAccessDenied, "viewer address "+r.ClientIP.String()+" is outside "+p.SourceIP.String())
		}
	}
	if p.Resource != "" && !MatchResource(p.Resource, r.Scheme, r.Host, r.Path, query) {
		return refuse(CodeAccessDenied, "resource does not match")
	}
	return nil
}

// hashOf maps Hash-Algorithm to a hash: absent or SHA1 is SHA-1, SHA256
// is SHA-256 (CLOUDFRONT.md §3.4).
func hashOf(name string) (crypto.Hash, error) {
	switch name {
	case "", "SHA1":
		return crypto.SHA1, nil
	case "SHA256":
		return crypto.SHA256, nil
	}
	return 0, errors.New("unsupported Hash-Algorithm " + name)
}
