package model

// CloudFront's origin defaults (CLOUDFRONT.md §1.1).
const (
	DefaultConnectionAttempts = 3
	DefaultConnectionTimeout  = 10
	DefaultReadTimeout        = 30
	DefaultKeepaliveTimeout   = 5
	// DefaultErrorCachingMinTTL is how long an origin error is cached.
	DefaultErrorCachingMinTTL = 10
	// DefaultSliceSize is the slice size of behaviours that set none.
	DefaultSliceSize = 4 << 20
)

var (
	methodsGetHead     = []string{"GET", "HEAD"}
	methodsGetHeadOpts = []string{"GET", "HEAD", "OPTIONS"}
	methodsAll         = []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
)

// ApplyDefaults fills in every optional field a user left empty, so the rest
// of Pharos never has to guess. It is idempotent.
func (d *Distribution) ApplyDefaults() {
	for i := range d.Origins {
		o := &d.Origins[i]
		if o.Protocol == "" {
			o.Protocol = "http-only"
		}
		if o.HTTPPort == 0 {
			o.HTTPPort = 80
		}
		if o.HTTPSPort == 0 {
			o.HTTPSPort = 443
		}
		if o.ConnectionAttempts == 0 {
			o.ConnectionAttempts = DefaultConnectionAttempts
		}
		if o.ConnectionTimeout == 0 {
			o.ConnectionTimeout = DefaultConnectionTimeout
		}
		if o.ReadTimeout == 0 {
			o.ReadTimeout = DefaultReadTimeout
		}
		if o.KeepaliveTimeout == 0 {
			o.KeepaliveTimeout = DefaultKeepaliveTimeout
		}
	}
	d.DefaultBehavior.PathPattern = "*"
	d.DefaultBehavior.applyDefaults(d)
	for i := range d.Behaviors {
		d.Behaviors[i].applyDefaults(d)
	}
}

func (b *Behavior) applyDefaults(d *Distribution) {
	if b.TargetOriginID == "" && len(d.Origins) == 1 {
		b.TargetOriginID = d.Origins[0].ID
	}
	if b.SliceSize == 0 {
		b.SliceSize = DefaultSliceSize
	}
	if b.ViewerProtocolPolicy == "" {
		b.ViewerProtocolPolicy = "allow-all"
	}
	if len(b.AllowedMethods) == 0 {
		b.AllowedMethods = append([]string(nil), methodsAll...)
	}
	if len(b.CachedMethods) == 0 {
		b.CachedMethods = append([]string(nil), methodsGetHead...)
	}
	if b.CachePolicyID == "" && b.CachePolicy == nil {
		p := DefaultCachePolicy()
		b.CachePolicy = &p
	}
	if p := b.CachePolicy; p != nil {
		p.ApplyDefaults()
	}
	b.resolveManaged()
	if p := b.OriginRequest; p != nil {
		p.ApplyDefaults()
	}
}

func (l *ListConfig) defaultTo(b string) {
	if l.Behavior == "" {
		l.Behavior = b
	}
}

// EffectiveCachePolicy resolves the behaviour's policy: the inline one (a
// policy given inline, or the stored one its ID was resolved to), else the
// managed one its ID names.
func (b *Behavior) EffectiveCachePolicy() (CachePolicy, bool) {
	if b.CachePolicy != nil {
		return *b.CachePolicy, true
	}
	if b.CachePolicyID != "" {
		return ManagedCachePolicy(b.CachePolicyID)
	}
	return CachePolicy{}, false
}

// ErrorCachingMinTTL returns the seconds an origin error status is cached.
func (d *Distribution) ErrorCachingMinTTL(code int) int64 {
	for _, e := range d.CustomErrorResponses {
		if e.ErrorCode == code && e.ErrorCachingMinTTL != nil {
			return *e.ErrorCachingMinTTL
		}
	}
	return DefaultErrorCachingMinTTL
}
