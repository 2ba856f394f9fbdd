// Package router is Pharos's request router: an authoritative DNS server
// for the CDN zone (and an HTTP redirect mode) that answers each viewer
// with the best healthy edges. It learns edges from their heartbeats on the
// engine, probes each one itself, places the client with EDNS Client Subnet
// or the resolver's address (a coverage zone file first, then a GeoIP
// database), and ranks edges by distance and load (select.go).
package router
