package edge

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestFieldBlockRoundTrip(t *testing.T) {
	h := http.Header{
		"Content-Type":   {"text/plain"},
		"Cache-Control":  {"max-age=60", "public"},
		"Via":            {"1.1 a", "1.1 b"},
		"Age":            {"5"},
		"Content-Length": {"3"},
		"Accept-Ranges":  {"none"},
		"Etag":           {`"v1"`},
		"X-Empty":        {""},
		"X-Colon":        {"a: b"},
		"Surrogate-Key":  {"one two", "three"},
	}
	for _, status := range []int{200, 404} {
		fb := encodeFields(status, h)
		if got := fb.header(); !reflect.DeepEqual(got, h) {
			t.Fatalf("status %d: decoded %v, want %v", status, got, h)
		}
		// The hit's part: sorted, without the fields a hit writes itself;
		// Accept-Ranges only when the hit does not add its own (non-200).
		hit := fb.lines[:fb.hitEnd]
		want := "Cache-Control: max-age=60\r\nCache-Control: public\r\nContent-Type: text/plain\r\nEtag: \"v1\"\r\nSurrogate-Key: one two\r\nSurrogate-Key: three\r\nX-Colon: a: b\r\nX-Empty: \r\n"
		if status != 200 {
			want = "Accept-Ranges: none\r\n" + want
		}
		if hit != want {
			t.Errorf("status %d: hit fields\n%q, want\n%q", status, hit, want)
		}
		if via := fb.lines[fb.viaStart:]; via != "Via: 1.1 a\r\nVia: 1.1 b\r\n" {
			t.Errorf("status %d: Via section %q", status, via)
		}
		if v, ok := fb.get("Etag"); !ok || v != `"v1"` {
			t.Errorf("get(Etag) = %q, %v", v, ok)
		}
		if _, ok := fb.get("Last-Modified"); ok {
			t.Error("get found a field that is not there")
		}
		var keys []string
		fb.values("Surrogate-Key", func(v string) { keys = append(keys, v) })
		if strings.Join(keys, "|") != "one two|three" {
			t.Errorf("values(Surrogate-Key) = %q", keys)
		}
	}
}

// TestFieldBlockWritesWhatNetHTTPWould checks that values with CR or LF are
// flattened as net/http's server flattens them, and that field names that
// cannot be written are dropped, so the fast path never writes a broken head.
func TestFieldBlockWritesWhatNetHTTPWould(t *testing.T) {
	fb := encodeFields(200, http.Header{"X-A": {"one\r\ntwo"}, "Bad Name": {"x"}, "Bad:Name": {"x"}, "": {"x"}})
	if fb.lines != "X-A: one  two\r\n" {
		t.Fatalf("lines %q", fb.lines)
	}
}

// TestFieldBlockCopiesAreIndependent appends to one copied field and checks
// that neither the next field nor the block's own values change.
func TestFieldBlockCopiesAreIndependent(t *testing.T) {
	fb := encodeFields(200, http.Header{"Via": {"1.1 origin"}, "X-After": {"kept"}, "X-Before": {"b"}})
	h := http.Header{}
	fb.copyTo(h)
	h["Via"] = append(h["Via"], "1.1 edge")
	h["X-Before"] = append(h["X-Before"], "added")
	if got := h["X-After"]; len(got) != 1 || got[0] != "kept" {
		t.Fatalf("X-After = %q", got)
	}
	again := fb.header()
	if len(again["Via"]) != 1 || len(again["X-Before"]) != 1 {
		t.Fatalf("the block changed: %v", again)
	}
}

// FuzzFieldBlock encodes arbitrary fields and checks that decoding gives
// back every field that could be written, with the value net/http would
// write, and that the hit's part holds exactly the lines it should.
func FuzzFieldBlock(f *testing.F) {
	f.Add("Content-Type", "text/plain", "Via", "1.1 x", 200)
	f.Add("X-A", "a: b\r\nc", "Accept-Ranges", "none", 206)
	f.Add("Bad Name", "", "Content-Length", "7", 304)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, status int) {
		h := http.Header{k1: {v1}, k2: {v2, v1}}
		fb := encodeFields(status, h)
		want := http.Header{}
		for k, vs := range h {
			if !validFieldName(k) {
				continue
			}
			for _, v := range vs {
				want[k] = append(want[k], headerValue(v))
			}
		}
		if got := fb.header(); len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("decoded %q, want %q", got, want)
		}
		if int(fb.hitEnd) > int(fb.viaStart) || int(fb.viaStart) > len(fb.lines) {
			t.Fatalf("offsets %d, %d of %d", fb.hitEnd, fb.viaStart, len(fb.lines))
		}
		hit := fieldBlock{lines: fb.lines[:fb.hitEnd]}
		hit.each(func(k, _ string) {
			if fastSkip[k] || k == "Accept-Ranges" && status == http.StatusOK {
				t.Fatalf("the hit's part repeats %q", k)
			}
		})
	})
}
