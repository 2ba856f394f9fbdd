// Package httpcache holds HTTP caching semantics as pure functions: RFC 9111 (HTTP caching),
// RFC 9110 conditional requests, RFC 9213 targeted cache control, RFC 9211 Cache-Status, and
// CloudFront's TTL and cache-key rules layered on top.
//
// Nothing here stores anything, reads a clock or keeps global state: every function takes the
// headers and the current time it needs, so the edge can call it on any path and tests can pin
// time. Storage knows bytes; this package knows HTTP.
package httpcache
