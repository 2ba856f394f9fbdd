package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The key pair and time of AWS's published SigV4 test suite.
const (
	suiteKey    = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteStamp  = "20150830T123600Z"
)

func suiteTime() time.Time {
	t, _ := time.Parse(timeFormat, suiteStamp)
	return t
}

// TestAWSTestSuiteVectors checks requests of AWS's test suite
// (get-vanilla, post-vanilla, get-vanilla-query-order-key-case) with the
// signatures AWS published for them.
func TestAWSTestSuiteVectors(t *testing.T) {
	cases := []struct {
		name, method, target, sig string
	}{
		{"get-vanilla", "GET", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"post-vanilla", "POST", "/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	}
	v := &Verifier{Service: "service", AccessKeyID: suiteKey, SecretAccessKey: suiteSecret, Now: suiteTime}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "http://example.amazonaws.com"+c.target, nil)
			r.Header.Set("X-Amz-Date", suiteStamp)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="+c.sig)
			if err := v.Verify(r); err != nil {
				t.Fatalf("published signature refused: %v", err)
			}
			flipped := []byte(c.sig)
			flipped[0] ^= 1
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="+string(flipped))
			if code := errCode(v.Verify(r)); code != "SignatureDoesNotMatch" {
				t.Fatalf("a changed signature: got %q, want SignatureDoesNotMatch", code)
			}
		})
	}
}

func errCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// sdkSign signs r as the AWS SDK for Go v2 does for CloudFront.
func sdkSign(t *testing.T, r *http.Request, body []byte, secret string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: "PHKTESTKEY", SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "cloudfront", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
}

// serverSide turns a client request into what a handler sees.
func serverSide(r *http.Request, body []byte) *http.Request {
	s := httptest.NewRequest(r.Method, r.URL.String(), bytes.NewReader(body))
	s.Header = r.Header.Clone()
	s.Host = r.Host
	return s
}

func TestVerifySDKSignatures(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	v := &Verifier{Service: "cloudfront", AccessKeyID: "PHKTESTKEY", SecretAccessKey: "s3cret/+x", Now: func() time.Time { return now }}
	requests := []struct {
		method, url string
		body        string
	}{
		{"GET", "http://127.0.0.1:9000/2020-05-31/distribution", ""},
		{"GET", "http://127.0.0.1:9000/2020-05-31/distribution?Marker=E1&MaxItems=2", ""},
		{"POST", "http://127.0.0.1:9000/2020-05-31/distribution?WithTags", "<DistributionConfig/>"},
		{"GET", "http://127.0.0.1:9000/2020-05-31/tagging?Resource=arn%3Aaws%3Acloudfront%3A%3A000000000000%3Adistribution%2FE1", ""},
		{"PUT", "http://localhost/2020-05-31/distribution/E123/config", "<x>a b</x>"},
		{"GET", "http://localhost/2020-05-31/a%20b/c", ""},
	}
	for _, c := range requests {
		t.Run(c.method+" "+c.url, func(t *testing.T) {
			r, _ := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
			r.Header.Set("If-Match", "E1")
			sdkSign(t, r, []byte(c.body), "s3cret/+x", now.Add(-time.Minute))
			s := serverSide(r, []byte(c.body))
			if err := v.Verify(s); err != nil {
				t.Fatalf("SDK signature refused: %v", err)
			}
			got, _ := io.ReadAll(s.Body)
			if string(got) != c.body {
				t.Fatalf("body after verification = %q, want %q", got, c.body)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	v := &Verifier{Service: "cloudfront", AccessKeyID: "PHKTESTKEY", SecretAccessKey: "right", Now: func() time.Time { return now }}
	const target = "http://127.0.0.1:9000/2020-05-31/distribution/E1/config?x=1"
	body := []byte("<DistributionConfig/>")
	signed := func(secret string, at time.Time) *http.Request {
		r, _ := http.NewRequest("PUT", target, bytes.NewReader(body))
		r.Header.Set("If-Match", "E1")
		sdkSign(t, r, body, secret, at)
		return serverSide(r, body)
	}
	cases := []struct {
		name string
		req  func() *http.Request
		code string
	}{
		{"no Authorization", func() *http.Request {
			r := signed("right", now)
			r.Header.Del("Authorization")
			return r
		}, "MissingAuthenticationToken"},
		{"bearer", func() *http.Request {
			r := signed("right", now)
			r.Header.Set("Authorization", "Bearer right")
			return r
		}, "IncompleteSignature"},
		{"wrong secret", func() *http.Request { return signed("wrong", now) }, "SignatureDoesNotMatch"},
		{"other access key", func() *http.Request {
			r := signed("right", now)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "PHKTESTKEY", "PHKOTHERKEY", 1))
			return r
		}, "InvalidClientTokenId"},
		{"other service", func() *http.Request {
			r := signed("right", now)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/cloudfront/", "/s3/", 1))
			return r
		}, "SignatureDoesNotMatch"},
		{"16 minutes old", func() *http.Request { return signed("right", now.Add(-16*time.Minute)) }, "SignatureDoesNotMatch"},
		{"16 minutes ahead", func() *http.Request { return signed("right", now.Add(16*time.Minute)) }, "SignatureDoesNotMatch"},
		{"body changed", func() *http.Request {
			r := signed("right", now)
			r.Body = io.NopCloser(strings.NewReader("<DistributionConfig></DistributionConfig>"))
			return r
		}, "SignatureDoesNotMatch"},
		{"path changed", func() *http.Request {
			r := signed("right", now)
			r.URL.Path = "/2020-05-31/distribution/E2/config"
			return r
		}, "SignatureDoesNotMatch"},
		{"query changed", func() *http.Request {
			r := signed("right", now)
			r.URL.RawQuery = "x=2"
			return r
		}, "SignatureDoesNotMatch"},
		{"signed header changed", func() *http.Request {
			r := signed("right", now)
			r.Header.Set("If-Match", "E2")
			return r
		}, "SignatureDoesNotMatch"},
		{"host changed", func() *http.Request {
			r := signed("right", now)
			r.Host = "127.0.0.1:9001"
			return r
		}, "SignatureDoesNotMatch"},
		{"content hash header lies", func() *http.Request {
			r := signed("right", now)
			r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			return r
		}, "SignatureDoesNotMatch"},
		{"no x-amz-date", func() *http.Request {
			r := signed("right", now)
			r.Header.Del("X-Amz-Date")
			return r
		}, "IncompleteSignature"},
	}
	if err := v.Verify(signed("right", now)); err != nil {
		t.Fatalf("the unchanged request is refused: %v", err)
	}
	if err := v.Verify(signed("right", now.Add(-14*time.Minute))); err != nil {
		t.Fatalf("a request 14 minutes old is refused: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if code := errCode(v.Verify(c.req())); code != c.code {
				t.Fatalf("got %q, want %q", code, c.code)
			}
		})
	}
}

func TestVerifyBodyLimit(t *testing.T) {
	now := time.Now()
	v := &Verifier{Service: "cloudfront", AccessKeyID: "PHKTESTKEY", SecretAccessKey: "right", MaxBody: 16, Now: func() time.Time { return now }}
	body := []byte(strings.Repeat("x", 17))
	r, _ := http.NewRequest("POST", "http://h/2020-05-31/distribution", bytes.NewReader(body))
	sdkSign(t, r, body, "right", now)
	if err := v.Verify(serverSide(r, body)); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("got %v, want ErrBodyTooLarge", err)
	}
}
