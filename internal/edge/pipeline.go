package edge

// The edge's stages, in the order a request meets them (CloudFront's order,
// DESIGN.md "How data flows"). Each stage factory returns nil when a
// behaviour does not use it, so it is left out of that behaviour's chain and
// requests never pay for an "if enabled" check. Stages still to come take
// their place in this list: viewer protocol policy, WAF, geo restriction,
// signed URL/cookie check, viewer-request function (before the cache), and
// viewer-response function, response headers policy, compression (after).
var stages = []func(*Server, *Behavior) Stage{
	methodsStage, // stage_methods.go: methods the behaviour allows
	cacheStage,   // stage_cache.go: cache lookup; misses fill through fill.go
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
