package testorigin

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
)

// PatternLen is the length of the repeating pattern that size= bodies are
// made of: byte i of a body is pattern[i % PatternLen].
const PatternLen = 4096

// pattern returns the PatternLen-byte pattern for path: the concatenation of
// SHA-256(path || uint32be(k)) for k = 0, 1, ...
func pattern(path string) []byte {
	p := make([]byte, 0, PatternLen)
	h := sha256.New()
	var ctr [4]byte
	for k := uint32(0); len(p) < PatternLen; k++ {
		h.Reset()
		io.WriteString(h, path)
		binary.BigEndian.PutUint32(ctr[:], k)
		h.Write(ctr[:])
		p = h.Sum(p)
	}
	return p[:PatternLen]
}

// Body returns the size= body that the test origin sends for a URL path
// (r.URL.Path, without the query): size bytes, generated on the fly.
func Body(path string, size int64) io.Reader {
	return newPatternReader(pattern(path), 0, size)
}

// Expected returns bytes [off, off+n) of the size= body for path, the same
// bytes Body(path, off+n) yields at those offsets. n must be small enough to
// allocate.
func Expected(path string, off, n int64) []byte {
	if n <= 0 {
		return []byte{}
	}
	b := make([]byte, n)
	fillPattern(pattern(path), off, b)
	return b
}

func fillPattern(pat []byte, off int64, b []byte) {
	for i := 0; i < len(b); {
		c := copy(b[i:], pat[off%PatternLen:])
		i += c
		off += int64(c)
	}
}

// patternReader yields bytes [off, end) of the infinite repetition of pat.
type patternReader struct {
	pat      []byte
	off, end int64
}

func newPatternReader(pat []byte, off, n int64) *patternReader {
	if n < 0 {
		n = 0
	}
	return &patternReader{pat: pat, off: off, end: off + n}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.end {
		return 0, io.EOF
	}
	if rem := r.end - r.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	fillPattern(r.pat, r.off, p)
	r.off += int64(len(p))
	return len(p), nil
}
