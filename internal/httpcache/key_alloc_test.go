//go:build !race

package httpcache

import "testing"

// The hit path computes a key per request, so it must not allocate (DESIGN.md, "The hot
// path"). The race detector adds allocations of its own, hence the build tag.
func TestAppendKeyDoesNotAllocate(t *testing.T) {
	h := benchHeader()
	vary := []string{"accept-language", "x-device"}
	for _, p := range []*KeyPolicy{
		nil,
		{QueryStrings: ListAll},
		{QueryStrings: ListWhitelist, QueryStringNames: []string{"v"}, Headers: []string{"x-device", "Accept-Language"},
			Cookies: ListAllExcept, CookieNames: []string{"sid"}, AcceptEncodingGzip: true, AcceptEncodingBrotli: true},
	} {
		buf := make([]byte, 0, 512)
		allocs := testing.AllocsPerRun(100, func() {
			buf = AppendKey(buf[:0], "Example.COM", "/p", "v=1&w=2", h, p)
			buf = AppendVaryKey(buf, vary, h)
		})
		if allocs != 0 {
			t.Errorf("policy %+v: %v allocations per key", p, allocs)
		}
	}
}
