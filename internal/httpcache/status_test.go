package httpcache

import (
	"testing"
	"time"
)

// RFC 9211 §2: Cache-Status members are the cache's name with parameters hit, fwd, fwd-status,
// ttl, stored, collapsed and detail.
func TestRFC9211_Format(t *testing.T) {
	tests := []struct {
		cs   CacheStatus
		want string
	}{
		{CacheStatus{Hit: true, TTL: 12 * time.Second, HasTTL: true}, "pharos; hit; ttl=12"},
		{CacheStatus{Fwd: "uri-miss", FwdStatus: 200, Stored: true}, "pharos; fwd=uri-miss; fwd-status=200; stored"},
		{CacheStatus{Fwd: "stale", FwdStatus: 304, Stored: true, TTL: 60 * time.Second, HasTTL: true},
			"pharos; fwd=stale; fwd-status=304; stored; ttl=60"},
		{CacheStatus{Fwd: "miss", Collapsed: true}, "pharos; fwd=miss; collapsed"},
		{CacheStatus{Hit: true, TTL: -1500 * time.Millisecond, HasTTL: true}, "pharos; hit; ttl=-2"},
		{CacheStatus{Hit: true, TTL: 1500 * time.Millisecond, HasTTL: true}, "pharos; hit; ttl=1"},
		{CacheStatus{Hit: true, HasTTL: true}, "pharos; hit; ttl=0"},
		{CacheStatus{Fwd: "bypass", Detail: "method"}, "pharos; fwd=bypass; detail=method"},
		{CacheStatus{Fwd: "bypass", Detail: `no store "x"\`}, `pharos; fwd=bypass; detail="no store \"x\"\\"`},
		{CacheStatus{Fwd: "not a token"}, "pharos"},
		{CacheStatus{Name: "edge-1.fra", Hit: true}, "edge-1.fra; hit"},
		{CacheStatus{Name: "bad name", Hit: true}, "pharos; hit"},
	}
	for _, tt := range tests {
		if got := string(AppendCacheStatus(nil, tt.cs)); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.cs, got, tt.want)
		}
	}
	// Appending to a list keeps what is there.
	if got := string(AppendCacheStatus([]byte("origin; hit, "), CacheStatus{Hit: true})); got != "origin; hit, pharos; hit" {
		t.Errorf("got %q", got)
	}
}
