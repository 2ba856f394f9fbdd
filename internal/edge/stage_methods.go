package edge

import "net/http"

// methodsStage refuses methods the behaviour does not allow, with 403 as
// CloudFront does.
func methodsStage(s *Server, b *Behavior) Stage {
	return func(next Handler) Handler {
		return func(x *Exchange) {
			if !b.allowed.has(x.R.Method) {
				s.edgeError(x, http.StatusForbidden, "method "+x.R.Method+" is not allowed here")
				return
			}
			next(x)
		}
	}
}
