package h2

import "golang.org/x/net/http2"

// HEADERS, CONTINUATION and DATA frames are appended to the output buffer
// here rather than through the framer: a DATA frame's payload is gathered
// from the stored body's chunks straight into the buffer, with no copy
// into the framer's own buffer first. Control frames go through the framer
// (ctlWriter).

func appendFrameHeader(b []byte, length int, typ http2.FrameType, flags http2.Flags, id uint32) []byte {
	return append(b, byte(length>>16), byte(length>>8), byte(length), byte(typ), byte(flags),
		byte(id>>24)&0x7f, byte(id>>16), byte(id>>8), byte(id))
}

// appendHeadersLocked appends a header block as HEADERS and, past the
// peer's frame size, CONTINUATION frames. A block after the peer changed
// its table size starts with a size update (hpackenc.go).
func (c *conn) appendHeadersLocked(id uint32, block []byte, end bool) {
	if c.sizeUpdate {
		c.sizeUpdate = false
		c.tmp = append(append(c.tmp[:0], 0x20), block...)
		block = c.tmp
	}
	typ, flags := http2.FrameHeaders, http2.Flags(0)
	if end {
		flags = http2.FlagHeadersEndStream
	}
	for first := true; first || len(block) > 0; first = false {
		n := min(len(block), c.peerFrame)
		f := flags
		if n == len(block) {
			f |= http2.FlagHeadersEndHeaders
		}
		c.out = appendFrameHeader(c.out, n, typ, f, id)
		c.out = append(c.out, block[:n]...)
		block = block[n:]
		typ, flags = http2.FrameContinuation, 0
	}
}

// appendDataLocked appends DATA frames for p, split at the peer's frame
// size; end marks the last one. The caller has checked the windows.
func (c *conn) appendDataLocked(id uint32, p []byte, end bool) {
	for first := true; first || len(p) > 0; first = false {
		n := min(len(p), c.peerFrame)
		var f http2.Flags
		if end && n == len(p) {
			f = http2.FlagDataEndStream
		}
		c.out = appendFrameHeader(c.out, n, http2.FrameData, f, id)
		c.out = append(c.out, p[:n]...)
		p = p[n:]
	}
}

// appendChunksLocked appends DATA frames for up to n bytes of chunks,
// gathering across chunk boundaries so frames are full, and returns what
// is left. end marks the last frame when nothing is left.
func (c *conn) appendChunksLocked(id uint32, chunks [][]byte, n int64, end bool) [][]byte {
	for n > 0 && len(chunks) > 0 {
		var avail int64
		for _, ch := range chunks {
			avail += int64(len(ch))
			if avail >= int64(c.peerFrame) {
				break
			}
		}
		size := int(min(n, avail, int64(c.peerFrame)))
		var f http2.Flags
		n -= int64(size)
		rest := size
		c.out = appendFrameHeader(c.out, size, http2.FrameData, 0, id)
		flagAt := len(c.out) - 5
		for rest > 0 {
			k := min(rest, len(chunks[0]))
			c.out = append(c.out, chunks[0][:k]...)
			rest -= k
			if k == len(chunks[0]) {
				chunks = chunks[1:]
			} else {
				chunks[0] = chunks[0][k:]
			}
		}
		for len(chunks) > 0 && len(chunks[0]) == 0 {
			chunks = chunks[1:]
		}
		if end && len(chunks) == 0 {
			f = http2.FlagDataEndStream
		}
		c.out[flagAt] = byte(f)
	}
	return chunks
}

// bodyLen is the total length of chunks.
func bodyLen(chunks [][]byte) int64 {
	var n int64
	for _, ch := range chunks {
		n += int64(len(ch))
	}
	return n
}
