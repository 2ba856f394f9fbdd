package bus

import (
	"regexp"
	"strings"
	"testing"
)

// validKVKey is JetStream's rule for KV keys (nats.go's keyValid).
var validKVKey = regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)

func kvKeyValid(k string) bool {
	return validKVKey.MatchString(k) && !strings.HasPrefix(k, ".") && !strings.HasSuffix(k, ".") && !strings.Contains(k, "..")
}

func TestACMEKeyEncoding(t *testing.T) {
	for _, tc := range []struct{ path, key string }{
		{"certificates/acme-v02.api.letsencrypt.org-directory/www.example.com/www.example.com.crt",
			"file.certificates.acme-v02=2Eapi=2Eletsencrypt=2Eorg-directory.www=2Eexample=2Ecom.www=2Eexample=2Ecom=2Ecrt"},
		{"acme/127.0.0.1-14000-dir/users/ops@example.com/ops.json",
			"file.acme.127=2E0=2E0=2E1-14000-dir.users.ops=40example=2Ecom.ops=2Ejson"},
		{"acme/ca/challenge_tokens/one.test.json", "file.acme.ca.challenge_tokens.one=2Etest=2Ejson"},
		{"rw_test_42", "file.rw_test_42"},
		{"a=b", "file.a=3Db"},
		{"a//b", "file.a.=.b"},                           // an empty component
		{"/lead/", "file.=.lead.="},                      // leading and trailing slashes
		{"sp ace/ü/*.x", "file.sp=20ace.=C3=BC.=2A=2Ex"}, // bytes, not runes
		{"..", "file.=2E=2E"},
	} {
		if got := fileKey(tc.path); got != tc.key {
			t.Errorf("fileKey(%q) = %q, want %q", tc.path, got, tc.key)
		}
		if !kvKeyValid(fileKey(tc.path)) {
			t.Errorf("fileKey(%q) = %q is not a valid KV key", tc.path, fileKey(tc.path))
		}
		if back, err := filePath(fileKey(tc.path)); err != nil || back != tc.path {
			t.Errorf("filePath(fileKey(%q)) = %q, %v", tc.path, back, err)
		}
	}
	for _, name := range []string{"issue_cert_www.example.com", "ari_abc.def", "a/b", ""} {
		k := lockKey(name)
		if !kvKeyValid(k) || strings.Count(k, ".") != 1 {
			t.Errorf("lockKey(%q) = %q: want a valid key of two tokens", name, k)
		}
	}
	if lockKey("x") == fileKey("x") {
		t.Errorf("a lock and a file share the key %q", lockKey("x"))
	}
	for _, bad := range []string{"lock.x", "file.a=", "file.a=4", "file.a=zz", "file.a=2e"} {
		if p, err := filePath(bad); err == nil {
			t.Errorf("filePath(%q) = %q, want an error", bad, p)
		}
	}
}

// Every path maps to a valid KV key and back, whatever its bytes.
func FuzzACMEKey(f *testing.F) {
	for _, s := range []string{"certificates/ca/x/x.crt", "a//b", "=", "é", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		if path == "" {
			return // the root: a prefix, never a file
		}
		k := fileKey(path)
		if !kvKeyValid(k) {
			t.Fatalf("fileKey(%q) = %q is not a valid KV key", path, k)
		}
		back, err := filePath(k)
		if err != nil || back != path {
			t.Fatalf("filePath(fileKey(%q)) = %q, %v", path, back, err)
		}
		if lk := lockKey(path); !kvKeyValid(lk) {
			t.Fatalf("lockKey(%q) = %q is not a valid KV key", path, lk)
		}
	})
}
