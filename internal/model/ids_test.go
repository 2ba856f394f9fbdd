package model

import (
	"regexp"
	"strings"
	"testing"
)

func TestNewIDs(t *testing.T) {
	tests := []struct {
		name   string
		gen    func() string
		prefix byte
	}{
		{"distribution", NewDistributionID, 'E'},
		{"invalidation", NewInvalidationID, 'I'},
		{"public key", NewPublicKeyID, 'K'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re := regexp.MustCompile(`^` + string(tt.prefix) + `[A-Z0-9]{13}$`)
			seen := map[string]bool{}
			for range 1000 {
				id := tt.gen()
				if !re.MatchString(id) {
					t.Fatalf("%q does not match %s", id, re)
				}
				if !ValidID(id, tt.prefix) {
					t.Fatalf("ValidID(%q, %q) = false", id, tt.prefix)
				}
				if seen[id] {
					t.Fatalf("%q generated twice", id)
				}
				seen[id] = true
			}
		})
	}
}

func TestNewIDsUseWholeAlphabet(t *testing.T) {
	seen := map[rune]bool{}
	for range 1000 {
		for _, c := range NewDistributionID()[1:] {
			seen[c] = true
		}
	}
	if len(seen) != len(upperAlnum) {
		t.Errorf("saw %d distinct characters in 13000, want %d", len(seen), len(upperAlnum))
	}
}

func TestNewDomainName(t *testing.T) {
	tests := []struct{ zone, suffix string }{
		{"cdn.example", ".cdn.example"},
		{"cdn.example.", ".cdn.example"},
		{"cloudfront.net", ".cloudfront.net"},
	}
	for _, tt := range tests {
		re := regexp.MustCompile(`^d[a-z0-9]{13}` + regexp.QuoteMeta(tt.suffix) + `$`)
		seen := map[string]bool{}
		for range 200 {
			d := NewDomainName(tt.zone)
			if !re.MatchString(d) {
				t.Fatalf("NewDomainName(%q) = %q, want %s", tt.zone, d, re)
			}
			if !validHostname(d) {
				t.Fatalf("NewDomainName(%q) = %q is not a valid host name", tt.zone, d)
			}
			if seen[d] {
				t.Fatalf("%q generated twice", d)
			}
			seen[d] = true
		}
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id     string
		prefix byte
		want   bool
	}{
		{"E1U5RQF7T870K0", 'E', true},
		{"EAAAAAAAAAAAAA", 'E', true},
		{"E0000000000000", 'E', true},
		{"EZZZZZZZZZZZZZ", 'E', true},
		{"I2J0I21PCUYOIK", 'I', true},
		{"K3D5EWEUDCCXON", 'K', true},
		{"E1U5RQF7T870K0", 'I', false},  // wrong prefix
		{"e1U5RQF7T870K0", 'E', false},  // lower-case prefix
		{"E1u5RQF7T870K0", 'E', false},  // lower-case body
		{"E1U5RQF7T870K", 'E', false},   // 12
		{"E1U5RQF7T870K00", 'E', false}, // 14
		{"", 'E', false},
		{"E", 'E', false},
		{"E1U5RQF7T870K-", 'E', false},
		{"E1U5RQF7T870K ", 'E', false},
		{"E1U5RQF7T870KÉ", 'E', false},    // 15 bytes
		{"E1U5RQF7T87\xc30K", 'E', false}, // a non-ASCII byte
		{"E1U5RQF7T870\x00K", 'E', false},
		{"E" + strings.Repeat("A", 13), 'E', true},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id, tt.prefix); got != tt.want {
			t.Errorf("ValidID(%q, %q) = %v, want %v", tt.id, tt.prefix, got, tt.want)
		}
	}
}
