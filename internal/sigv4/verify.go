package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// timeFormat is the form of X-Amz-Date (ISO 8601 basic, UTC).
const timeFormat = "20060102T150405Z"

// Verifier checks requests signed for one service with one key pair.
type Verifier struct {
	Service         string // the signing name, e.g. "cloudfront"
	AccessKeyID     string
	SecretAccessKey string
	// MaxSkew is how far X-Amz-Date may be from now (0: 15 minutes, as AWS).
	MaxSkew time.Duration
	// MaxBody bounds the body read to hash it (0: 1 MiB).
	MaxBody int64
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Error is why a request was refused, with the code AWS uses for it.
type Error struct {
	Code    string // MissingAuthenticationToken, IncompleteSignature, InvalidClientTokenId, SignatureDoesNotMatch
	Message string
}

func (e *Error) Error() string { return "sigv4: " + e.Code + ": " + e.Message }

// ErrBodyTooLarge is returned when the body is over MaxBody: it cannot be
// hashed, so the request is neither verified nor served.
var ErrBodyTooLarge = errors.New("sigv4: request body too large")

func fail(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// authHeader is a parsed Authorization header.
type authHeader struct {
	accessKey, date, region, service string
	signedHeaders                    []string
	signature                        []byte
}

func parseAuthorization(h string) (authHeader, error) {
	var a authHeader
	if h == "" {
		return a, fail("MissingAuthenticationToken", "the request carries no Authorization header")
	}
	rest, ok := strings.CutPrefix(h, Algorithm+" ")
	if !ok {
		return a, fail("IncompleteSignature", "the Authorization header must use %s", Algorithm)
	}
	var cred, signed, sig string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if cred == "" || signed == "" || sig == "" {
		return a, fail("IncompleteSignature", "the Authorization header needs Credential, SignedHeaders and Signature")
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return a, fail("IncompleteSignature", "credential %q is not KEY/DATE/REGION/SERVICE/aws4_request", cred)
	}
	a.accessKey, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(signed, ";")
	if !slices.IsSorted(a.signedHeaders) || !slices.Contains(a.signedHeaders, "host") {
		return a, fail("IncompleteSignature", "SignedHeaders must be sorted and include host")
	}
	var err error
	if a.signature, err = hex.DecodeString(sig); err != nil || len(a.signature) != sha256.Size {
		return a, fail("IncompleteSignature", "the signature is not 64 hexadecimal digits")
	}
	return a, nil
}

// Verify checks r's signature. On success the body has been read and is
// restored, so the handler reads it as sent. Every failure is an *Error
// (or ErrBodyTooLarge); nothing about the expected signature is revealed.
func (v *Verifier) Verify(r *http.Request) error {
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(a.accessKey), []byte(v.AccessKeyID)) != 1 {
		return fail("InvalidClientTokenId", "the security token included in the request is invalid")
	}
	if a.service != v.Service {
		return fail("SignatureDoesNotMatch", "credential should be scoped to service %q, not %q", v.Service, a.service)
	}
	stamp := r.Header.Get("X-Amz-Date")
	if !slices.Contains(a.signedHeaders, "x-amz-date") {
		return fail("IncompleteSignature", "x-amz-date must be a signed header")
	}
	t, err := time.Parse(timeFormat, stamp)
	if err != nil {
		return fail("IncompleteSignature", "X-Amz-Date %q is not of the form %s", stamp, timeFormat)
	}
	if !strings.HasPrefix(stamp, a.date) || len(a.date) != 8 {
		return fail("SignatureDoesNotMatch", "credential date %s does not match X-Amz-Date %s", a.date, stamp)
	}
	now, skew := v.now(), v.MaxSkew
	if skew == 0 {
		skew = 15 * time.Minute
	}
	if d := now.Sub(t); d > skew || d < -skew {
		return fail("SignatureDoesNotMatch", "signature expired: %s is more than %s from the server time %s",
			stamp, skew, now.UTC().Format(timeFormat))
	}
	payload, err := v.payloadHash(r)
	if err != nil {
		return err
	}
	headers, ok := canonicalHeaders(r, a.signedHeaders)
	if !ok {
		return fail("SignatureDoesNotMatch", "a signed header is missing from the request")
	}
	creq := strings.Join([]string{r.Method, canonicalURI(r.URL), canonicalQuery(r.URL), headers,
		strings.Join(a.signedHeaders, ";"), payload}, "\n")
	scope := a.date + "/" + a.region + "/" + a.service + "/aws4_request"
	want := Sign(v.SecretAccessKey, scope, stamp, creq)
	if !hmac.Equal(want, a.signature) {
		return fail("SignatureDoesNotMatch", "the request signature we calculated does not match the signature you provided; check your AWS secret access key and signing method")
	}
	return nil
}

// payloadHash hashes the body (restoring it for the handler) and checks it
// against X-Amz-Content-Sha256 when the client sent that header. An
// unsigned payload is refused: the body would not be covered.
func (v *Verifier) payloadHash(r *http.Request) (string, error) {
	limit := v.MaxBody
	if limit == 0 {
		limit = 1 << 20
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		r.Body.Close()
		if err != nil {
			return "", fmt.Errorf("sigv4: read body: %w", err)
		}
		if int64(len(b)) > limit {
			return "", ErrBodyTooLarge
		}
		body = b
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != hash {
		return "", fail("SignatureDoesNotMatch", "X-Amz-Content-Sha256 does not match the body (unsigned payloads are not accepted)")
	}
	return hash, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Sign returns the SigV4 signature of a canonical request: the string to
// sign is built from the timestamp, the credential scope and the request's
// hash, and signed with the key derived from secret, date, region and
// service.
func Sign(secret, scope, stamp, canonicalRequest string) []byte {
	h := sha256.Sum256([]byte(canonicalRequest))
	sts := Algorithm + "\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(h[:])
	key := []byte("AWS4" + secret)
	for _, part := range strings.Split(scope, "/") {
		key = hmacSHA256(key, part)
	}
	return hmacSHA256(key, sts)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
