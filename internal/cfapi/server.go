package cfapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/pharos-cdn/pharos/internal/control"
	"github.com/pharos-cdn/pharos/internal/sigv4"
)

// Prefix is the path prefix of every operation of the API version served.
const Prefix = "/2020-05-31"

// requestIDHeader carries the id CloudFront gives each request (also in
// the ErrorResponse body).
const requestIDHeader = "x-amzn-RequestId"

// Server serves the CloudFront-compatible API.
type Server struct {
	svc    *control.Service
	inv    *control.Invalidations
	log    *slog.Logger
	mux    *http.ServeMux
	verify *sigv4.Verifier
	// Applied reports the configuration revision the edges have applied; a
	// distribution is Deployed once it is at or past its own revision (as
	// control.API.Applied). nil: everything is Deployed.
	Applied    func() uint64
	deployWait time.Duration
}

// extraRoutes lets files of this package add operations without editing
// New: a file appends a func(*Server) in its init(), and New calls each one
// after the built-in routes are registered. Each typically calls s.handle.
var extraRoutes []func(*Server)

// New returns the API handler. inv may be nil (invalidations then answer
// NotImplemented).
func New(svc *control.Service, inv *control.Invalidations, creds control.Credentials, log *slog.Logger) *Server {
	s := &Server{svc: svc, inv: inv, log: log, mux: http.NewServeMux(), deployWait: deployWait,
		verify: &sigv4.Verifier{Service: "cloudfront", AccessKeyID: creds.AccessKeyID,
			SecretAccessKey: creds.SecretAccessKey, MaxBody: maxBody}}
	s.registerDistributions()
	s.registerInvalidations()
	for _, register := range extraRoutes {
		register(s)
	}
	return s
}

// ServeHTTP serves every path under Prefix; a path no operation claims gets
// CloudFront-style 404 XML rather than the mux's plain text.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		w.Header().Set(requestIDHeader, newRequestID())
		writeError(w, newError(http.StatusNotFound, "InvalidURI", "no operation at %s %s", r.Method, r.URL.Path))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// handle registers h for method and pattern (relative to Prefix, in
// http.ServeMux's syntax, e.g. "/distribution/{Id}"). The request is
// authenticated with SigV4 first; an error h returns is written as the
// ErrorResponse envelope (an *apiError as it is, anything else as a logged
// InternalError). Every response carries x-amzn-RequestId.
func (s *Server) handle(method, pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.mux.HandleFunc(method+" "+Prefix+pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(requestIDHeader, newRequestID())
		err := s.authenticate(r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.writeErr(w, r, err)
		}
	})
}

// authenticate verifies the request's SigV4 signature against the
// configured key pair.
func (s *Server) authenticate(r *http.Request) error {
	err := s.verify.Verify(r)
	var se *sigv4.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return errAccessDenied(se.Code, se.Message)
	case errors.Is(err, sigv4.ErrBodyTooLarge):
		return errMalformedInput("the request body is over %d bytes", maxBody)
	default:
		return errMalformedInput("%v", err)
	}
}

func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(s.controlErr(err, ""), &ae) {
		s.log.Error("cloudfront api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ae = errInternal()
	}
	writeError(w, ae)
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
