// Package h2 is Pharos's own HTTP/2 server (RFC 9113), built for a CDN
// edge's hit path.
//
// Frames are read and control frames written with golang.org/x/net/http2's
// Framer, and request header blocks are decoded with its hpack Decoder;
// the connection and stream state machine, flow control, scheduling and
// the response header encoding are this package's.
//
// Each connection has one read goroutine. A request the Fast callback
// accepts (a cache hit answered from stored bytes) is answered inline on
// that goroutine: its HEADERS and DATA frames are appended to the
// connection's output buffer, which is written only when no more input is
// buffered, so the answers to a batch of streams leave in one write (one
// TLS record), as nginx's do. Every other request runs the http.Handler
// on a goroutine of its own with a flow-controlled request body.
//
// Response header blocks use only HPACK's static table (literal fields
// without indexing, as nginx sends them): no per-connection encoder state
// to keep in order, and a block costs a copy of the field bytes.
package h2
