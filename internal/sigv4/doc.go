// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests
// (the Authorization header form), so that the AWS CLI and SDKs can sign
// requests to Pharos with an access key pair as they do to AWS. It is pure:
// no I/O beyond reading the request body, an injectable clock.
package sigv4
