package node

import (
	"log/slog"
	"net/http"

	"github.com/pharos-cdn/pharos/internal/cfapi"
	"github.com/pharos-cdn/pharos/internal/control"
)

// apiHandler serves both management APIs on the --api address: the
// CloudFront-compatible XML API under /2020-05-31/ and the native JSON API
// (/v1/, /healthz) everywhere else. Both share native's service, its
// invalidations and its deployment status; set those before calling.
func apiHandler(native *control.API, creds control.Credentials, log *slog.Logger) http.Handler {
	cf := cfapi.New(native.Service(), native.Invalidations, creds, log)
	cf.Applied = native.Applied
	mux := http.NewServeMux()
	mux.Handle(cfapi.Prefix+"/", cf)
	mux.Handle("/", native)
	return mux
}
