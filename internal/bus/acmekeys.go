package bus

import (
	"fmt"
	"strings"
)

// ACME storage keys. certmagic names its files with slash-separated paths
// ("certificates/<ca>/<name>/<name>.crt") whose components may hold
// characters a KV key cannot ('@' in account emails, and '.' is the KV's
// token separator), and its locks with free-form names. Each path
// component becomes one KV token, so that a directory is a key prefix a
// subject filter can select ("file.certificates.>"):
//
//	[A-Za-z0-9_-]   kept
//	any other byte  "=" and two upper-case hex digits
//	empty component "=" alone (no path certmagic makes has one; kept
//	                reversible anyway)
//
// Files live under "file.", locks under "lock.", so no path can name a lock.

const (
	filePrefix = "file"
	lockPrefix = "lock"
)

// encodeToken encodes one path component (or lock name) as a KV token.
func encodeToken(s string) string {
	if s == "" {
		return "="
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "=%02X", c)
	}
	return b.String()
}

// decodeToken reverses encodeToken.
func decodeToken(t string) (string, error) {
	if t == "=" {
		return "", nil
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		if t[i] != '=' {
			b.WriteByte(t[i])
			continue
		}
		if i+2 >= len(t) {
			return "", fmt.Errorf("acme storage: bad escape in key token %q", t)
		}
		hi, lo := unhex(t[i+1]), unhex(t[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("acme storage: bad escape in key token %q", t)
		}
		b.WriteByte(byte(hi<<4 | lo))
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// fileKey is the KV key of a certmagic path; "" (the root) is the bare
// prefix, which only List and Delete take.
func fileKey(path string) string {
	if path == "" {
		return filePrefix
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = encodeToken(p)
	}
	return filePrefix + "." + strings.Join(parts, ".")
}

// filePath reverses fileKey for a key of a file.
func filePath(key string) (string, error) {
	rest, ok := strings.CutPrefix(key, filePrefix+".")
	if !ok {
		return "", fmt.Errorf("acme storage: %q is not a file key", key)
	}
	parts := strings.Split(rest, ".")
	for i, p := range parts {
		var err error
		if parts[i], err = decodeToken(p); err != nil {
			return "", err
		}
	}
	return strings.Join(parts, "/"), nil
}

// lockKey is the KV key of a lock name (one token: a '/' in it is escaped).
func lockKey(name string) string { return lockPrefix + "." + encodeToken(name) }
