package edge

// The edge's stages, in the order a request meets them (CloudFront's order,
// DESIGN.md "How data flows"). Each stage factory returns nil when a
// behaviour does not use it, so it is left out of that behaviour's chain and
// requests never pay for an "if enabled" check. Stages still to come take
// their place in this list: WAF (after the viewer protocol policy),
// viewer-request function (before the cache), and viewer-response
// function, response headers policy, compression (after).
var stages = []func(*Server, *Behavior) Stage{
	viewerProtocolStage, // stage_viewerprotocol.go: redirect-to-https, https-only
	geoStage,            // stage_geo.go: the distribution's geo restriction
	signedStage,         // stage_signed.go: signed URL or cookies; strips them
	viewerHeadersStage,  // stage_viewerheaders.go: CloudFront-Viewer-* the policies name
	methodsStage,        // stage_methods.go: methods the behaviour allows
	cacheStage,          // stage_cache.go: cache lookup; misses fill through fill.go
}

// checksViewer reports whether a behaviour has a stage that must see every
// request before the cache (protocol, country, signature): the HTTP/1.1
// fast path, which answers hits without the chain, must leave it alone.
func checksViewer(b *Behavior) bool {
	return redirectsViewer(b) || restrictsGeo(b) || requiresSignature(b)
}

// buildChain compiles a behaviour's chain; passStage (stage_pass.go), which
// sends what is not cached straight to the origin, ends it.
func buildChain(s *Server, b *Behavior) Handler {
	h := passStage(s, b)
	for i := len(stages) - 1; i >= 0; i-- {
		if st := stages[i](s, b); st != nil {
			h = st(h)
		}
	}
	return h
}
