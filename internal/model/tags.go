package model

import (
	"fmt"
	"strings"
	"unicode"
)

// Tag is a key and value attached to a resource (CloudFront's Tag).
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value,omitempty"`
}

// MaxTags is CloudFront's quota of tags per resource.
const MaxTags = 50

// ValidateTags checks tags against CloudFront's rules: keys of 1-128 and
// values of at most 256 characters from letters, digits, spaces and
// _ . : / = + - @.
func ValidateTags(tags []Tag) error {
	v := &validator{}
	for i, t := range tags {
		f := fmt.Sprintf("tags[%d]", i)
		if t.Key == "" || len([]rune(t.Key)) > 128 || !validTagText(t.Key) {
			v.fail(f+".key", "%q: must be 1 to 128 of letters, digits, spaces and _.:/=+-@", t.Key)
		}
		if len([]rune(t.Value)) > 256 || !validTagText(t.Value) {
			v.fail(f+".value", "%q: must be at most 256 of letters, digits, spaces and _.:/=+-@", t.Value)
		}
	}
	return v.err()
}

// ValidateTagKey checks one tag key.
func ValidateTagKey(k string) error { return ValidateTags([]Tag{{Key: k}}) }

func validTagText(s string) bool {
	for _, c := range s {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && !unicode.IsSpace(c) && !strings.ContainsRune("_.:/=+-@", c) {
			return false
		}
	}
	return true
}

// MergeTags returns cur with every tag of add set (a key already there
// takes the new value), keeping cur's order and appending new keys.
func MergeTags(cur, add []Tag) []Tag {
	out := append([]Tag(nil), cur...)
	for _, t := range add {
		found := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value, found = t.Value, true
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	return out
}

// RemoveTags returns cur without the tags whose keys are listed.
func RemoveTags(cur []Tag, keys []string) []Tag {
	out := make([]Tag, 0, len(cur))
	for _, t := range cur {
		drop := false
		for _, k := range keys {
			drop = drop || t.Key == k
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// ParseARN splits a CloudFront ARN, arn:aws:cloudfront::<account>:<kind>/<id>,
// into its resource kind (distribution, ...) and id.
func ParseARN(arn string) (kind, id string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "cloudfront" || parts[3] != "" {
		return "", "", false
	}
	kind, id, ok = strings.Cut(parts[5], "/")
	if !ok || kind == "" || id == "" || strings.Contains(id, "/") {
		return "", "", false
	}
	return kind, id, true
}
