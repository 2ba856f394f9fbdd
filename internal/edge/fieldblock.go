package edge

import (
	"net/http"
	"slices"
	"strings"
)

// A stored response's header is kept encoded, as the "Name: value\r\n"
// lines a hit writes, rather than as an http.Header map: the map costs
// about 500 bytes per small object, the lines about their own length, and
// the fast path writes them as they are. The block is laid out for a hit:
//
//	[0, hitEnd)          fields a hit repeats, sorted by name as net/http writes them
//	[hitEnd, viaStart)   fields a hit replaces or drops (fastSkip; Accept-Ranges of a 200)
//	[viaStart, len)      Via, which a hit repeats after its own Content-Length
//
// One name's values are adjacent and in their order. The full path decodes
// the lines into http.Header fields that share the block's bytes.

// fieldBlock is an encoded header and its layout.
type fieldBlock struct {
	lines            string // never modified: it may be a view of a frozen object's bytes
	hitEnd, viaStart uint32
}

// maxBlock bounds a field block (a meta keeps its offsets in 30 bits):
// far above what reaches the edge (net/http reads at most 10 MB of an
// origin's response header).
const maxBlock = 1<<30 - 1

// encodeFields lays h out as a fieldBlock for a response with status.
// Values are written as net/http writes them (CR and LF become spaces);
// fields whose names could not be written at all are left out, and so are
// those past maxBlock.
func encodeFields(status int, h http.Header) fieldBlock {
	names := make([]string, 0, len(h))
	n := 0
	for k, vs := range h {
		if !validFieldName(k) {
			continue
		}
		names = append(names, k)
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	slices.Sort(names)
	b := make([]byte, 0, n)
	section := func(in func(string) bool) {
		for _, k := range names {
			if !in(k) {
				continue
			}
			for _, v := range h[k] {
				if len(b)+len(k)+len(v)+4 <= maxBlock {
					b = appendField(b, k, headerValue(v))
				}
			}
		}
	}
	skipped := func(k string) bool { return fastSkip[k] || k == "Accept-Ranges" && status == http.StatusOK }
	section(func(k string) bool { return !skipped(k) })
	hitEnd := len(b)
	section(func(k string) bool { return skipped(k) && k != "Via" })
	viaStart := len(b)
	section(func(k string) bool { return k == "Via" })
	return fieldBlock{lines: string(b), hitEnd: uint32(hitEnd), viaStart: uint32(viaStart)}
}

func validFieldName(k string) bool {
	return k != "" && !strings.ContainsAny(k, ":\r\n \t")
}

// headerValue is v as net/http's server writes it.
func headerValue(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		return strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, v)
	}
	return v
}

// hit is the part of the block a hit repeats as stored.
func (fb fieldBlock) hit() string { return fb.lines[:fb.hitEnd] }

// via is the block's Via lines, which a hit repeats after its own fields.
func (fb fieldBlock) via() string { return fb.lines[fb.viaStart:] }

// next splits the line at lines[i:]: its name, its value and where the next
// line starts.
func nextField(lines string, i int) (name, value string, next int) {
	end := i + strings.Index(lines[i:], "\r\n")
	line := lines[i:end]
	c := strings.IndexByte(line, ':')
	return line[:c], line[c+2:], end + 2
}

// each calls fn for every field line in order.
func (fb fieldBlock) each(fn func(name, value string)) {
	for i := 0; i < len(fb.lines); {
		var k, v string
		k, v, i = nextField(fb.lines, i)
		fn(k, v)
	}
}

// values calls fn for each value of the field named name (canonical form),
// without allocating.
func (fb fieldBlock) values(name string, fn func(string)) {
	for i := 0; i < len(fb.lines); {
		var k, v string
		k, v, i = nextField(fb.lines, i)
		if k == name {
			fn(v)
		}
	}
}

// get returns the first value of the field named name (canonical form).
func (fb fieldBlock) get(name string) (string, bool) {
	for i := 0; i < len(fb.lines); {
		var k, v string
		k, v, i = nextField(fb.lines, i)
		if k == name {
			return v, true
		}
	}
	return "", false
}

// count is the number of field lines.
func (fb fieldBlock) count() int { return strings.Count(fb.lines, "\r\n") }

// copyTo sets every stored field in h, sharing the block's bytes; the
// values of all fields share one allocation, each capped so that appending
// to one copies it rather than overwriting the next.
func (fb fieldBlock) copyTo(h http.Header) {
	vals := make([]string, 0, fb.count())
	last := ""
	start := 0
	fb.each(func(k, v string) {
		if k != last {
			start = len(vals)
			last = k
		}
		vals = append(vals, v)
		h[k] = vals[start:len(vals):len(vals)]
	})
}

// header decodes the block into a header of its own (for the paths that
// need a map: revalidation, conditionals, the disk codec).
func (fb fieldBlock) header() http.Header {
	h := make(http.Header, fb.count())
	fb.copyTo(h)
	return h
}
