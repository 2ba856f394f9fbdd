// Package cfapi serves Amazon CloudFront's REST-XML management API
// (version 2020-05-31) over Pharos's own model, so that the AWS CLI and
// SDKs (pointed at Pharos with --endpoint-url / BaseEndpoint) manage
// distributions, invalidations and policies as they do on CloudFront.
//
// Requests are authenticated with AWS Signature Version 4 (service
// "cloudfront", any region). Element names, nesting, paths, statuses and
// error codes follow the service model (shared/reference). Every element
// Pharos does not support is accepted only at its default value; any other
// value is refused with InvalidArgument naming it, never ignored.
package cfapi
