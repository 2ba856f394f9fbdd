package httpcache

import (
	"bytes"
	"reflect"
	"testing"
)

// RFC 9111 §4.1: Vary lists field names (case-insensitive) across lines.
func TestRFC9111_4_1_VaryFields(t *testing.T) {
	fields, star := VaryFields(hdr("Vary", "Accept-Encoding, accept-language", "Vary", " ,User-Agent,ACCEPT-ENCODING"))
	want := []string{"accept-encoding", "accept-language", "user-agent"}
	if star || !reflect.DeepEqual(fields, want) {
		t.Errorf("got %q %v, want %q", fields, star, want)
	}
	if fields, star := VaryFields(hdr()); star || len(fields) != 0 {
		t.Errorf("no Vary: %q %v", fields, star)
	}
}

// RFC 9111 §4.1: "A stored response with a Vary header field value containing a member "*"
// always fails to match", so Pharos does not store it.
func TestRFC9111_4_1_VaryStar(t *testing.T) {
	for _, v := range [][]string{{"*"}, {"Accept, *"}, {"Accept", " * "}} {
		h := hdr()
		for _, line := range v {
			h.Add("Vary", line)
		}
		if _, star := VaryFields(h); !star {
			t.Errorf("%q: star not detected", v)
		}
		h.Set("Cache-Control", "max-age=60")
		if d := Decide(get, 200, h, LegacyDefaultPolicy(), testNow); d.Store || d.Reason != ReasonVaryStar {
			t.Errorf("%q: %+v, want not stored", v, d)
		}
	}
}

// RFC 9111 §4.1: selecting header fields match after removing whitespace, combining field
// lines, and nothing else; an absent field differs from an empty one.
func TestRFC9111_4_1_VaryKeyNormalisation(t *testing.T) {
	fields := []string{"accept-language", "x-a"}
	key := func(kv ...string) []byte { return AppendVaryKey(nil, fields, hdr(kv...)) }
	same := [][2][]byte{
		{key("Accept-Language", "en, fr"), key("Accept-Language", "en,fr")},
		{key("Accept-Language", "en ,  fr "), key("Accept-Language", "en", "Accept-Language", "fr")},
		{key("Accept-Language", "en,,fr"), key("Accept-Language", "en, fr")},
		{key("accept-language", "en", "X-A", "1"), key("X-A", "1", "ACCEPT-LANGUAGE", "en")},
	}
	for i, p := range same {
		if !bytes.Equal(p[0], p[1]) {
			t.Errorf("pair %d: %q != %q", i, p[0], p[1])
		}
	}
	differ := [][2][]byte{
		{key(), key("Accept-Language", "")},
		{key("Accept-Language", "en"), key("Accept-Language", "EN")},
		{key("Accept-Language", "en, fr"), key("Accept-Language", "fr, en")},
		{key("Accept-Language", "en"), key("X-A", "en")},
		{key("Accept-Language", "a\x00\x01x-a"), key("Accept-Language", "a", "X-A", "")},
	}
	for i, p := range differ {
		if bytes.Equal(p[0], p[1]) {
			t.Errorf("pair %d: both %q", i, p[0])
		}
	}
}
