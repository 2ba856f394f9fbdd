// Package origin fetches from origins: pooled keep-alive connections,
// CloudFront's connect/read/keep-alive timeouts and connection attempts, and
// errors classified into "unreachable" (502) and "too slow" (504).
package origin
