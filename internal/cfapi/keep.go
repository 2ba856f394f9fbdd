package cfapi

import (
	"encoding/xml"

	"github.com/pharos-cdn/pharos/internal/model"
)

// keepUnexpressed carries over from the stored distribution what the XML
// cannot say, so that an update through this API does not lose settings
// made through the native one: the quick-start Default flag, each
// behaviour's SliceSize, an inline origin request policy, and an inline
// cache policy whose legacy rendering the update sent back unchanged.
// Behaviours are matched by path pattern.
func keepUnexpressed(d *model.Distribution, old *model.Distribution) {
	d.Default = old.Default
	keepBehavior(&d.DefaultBehavior, &old.DefaultBehavior)
	for i := range d.Behaviors {
		for j := range old.Behaviors {
			if d.Behaviors[i].PathPattern == old.Behaviors[j].PathPattern {
				keepBehavior(&d.Behaviors[i], &old.Behaviors[j])
				break
			}
		}
	}
}

func keepBehavior(b, old *model.Behavior) {
	if b.SliceSize == 0 {
		b.SliceSize = old.SliceSize
	}
	if b.OriginRequestPolicyID == "" && b.OriginRequest == nil && old.OriginRequestPolicyID == "" && old.OriginRequest != nil {
		p := *old.OriginRequest
		b.OriginRequest = &p
	}
	if b.CachePolicyID == "" && b.CachePolicy != nil && old.CachePolicyID == "" && old.CachePolicy != nil &&
		sameLegacy(b.CachePolicy, old.CachePolicy) {
		p := *old.CachePolicy
		b.CachePolicy = &p
	}
}

// sameLegacy reports whether two inline policies read the same in the
// legacy XML form.
func sameLegacy(a, b *model.CachePolicy) bool {
	var xa, xb behaviorXML
	legacyToXML(a, &xa)
	legacyToXML(b, &xb)
	ba, _ := xml.Marshal(xa)
	bb, _ := xml.Marshal(xb)
	return string(ba) == string(bb)
}
