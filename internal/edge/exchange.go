package edge

import (
	"net/http"
	"time"
)

// Exchange carries one viewer request through the pipeline.
type Exchange struct {
	W     http.ResponseWriter
	R     *http.Request
	B     *Behavior
	Now   time.Time
	ReqID string
	HTTPS bool

	key        []byte // the cache key (primary, or primary + vary part)
	primaryLen int    // length of the primary part of key
	keyBuf     [192]byte

	status     int         // status sent to the viewer (for logs and §4.4)
	respHeader http.Header // origin response header on pass-through
	background bool        // a refresh nobody waits for: write nothing
	errorPage  bool        // fetching a custom error page (errorpages.go)
}

// Handler serves an exchange; stages wrap handlers.
type Handler func(*Exchange)

// Stage wraps the rest of the chain. A stage that answers the request
// itself simply does not call next.
type Stage func(next Handler) Handler
