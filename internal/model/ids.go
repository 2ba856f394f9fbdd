package model

import (
	"crypto/rand"
	"strings"
)

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func randomString(alphabet string, n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic("model: crypto/rand failed: " + err.Error())
	}
	for i, b := range buf {
		// 256 % 36 != 0 leaves a tiny bias, irrelevant for identifiers.
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf)
}

// NewDistributionID returns an id like CloudFront's: E + 13 of [A-Z0-9].
func NewDistributionID() string { return "E" + randomString(upperAlnum, 13) }

// NewInvalidationID returns I + 13 of [A-Z0-9].
func NewInvalidationID() string { return "I" + randomString(upperAlnum, 13) }

// NewPublicKeyID returns K + 13 of [A-Z0-9].
func NewPublicKeyID() string { return "K" + randomString(upperAlnum, 13) }

// NewDomainName returns d + 13 of [a-z0-9] under zone.
func NewDomainName(zone string) string {
	return "d" + randomString(lowerAlnum, 13) + "." + strings.TrimSuffix(zone, ".")
}

// ValidID reports whether id is prefix + 13 of [A-Z0-9].
func ValidID(id string, prefix byte) bool {
	if len(id) != 14 || id[0] != prefix {
		return false
	}
	for i := 1; i < len(id); i++ {
		if !strings.ContainsRune(upperAlnum, rune(id[i])) {
			return false
		}
	}
	return true
}
