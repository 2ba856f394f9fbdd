package edge

import (
	"errors"
	"io"
	"net/http"
	"os"

	"github.com/pharos-cdn/pharos/internal/store"
)

// bodySource is an object's bytes opened for one answer: a cache file, a
// complete body in memory, or a body still arriving.
type bodySource struct {
	file   *os.File
	chunks [][]byte
	reader *store.Reader
	vec    [16][]byte
}

// openSource opens o's body. Errors: the store dropped a corrupt or vanished
// file (store.ErrCorrupt and others), or the body was detached before we
// could follow it (store.ErrDetached).
func (s *Server) openSource(o *store.Object, src *bodySource) error {
	if o.OnDisk() {
		f, err := s.store.Open(o)
		if err != nil {
			return err
		}
		src.file = f
		return nil
	}
	if chunks, ok := o.Chunks(src.vec[:0]); ok {
		src.chunks = chunks
		return nil
	}
	r, err := o.NewReader()
	if err != nil {
		return err
	}
	src.reader = r
	return nil
}

func (src *bodySource) close() {
	if src.file != nil {
		src.file.Close()
	}
	if src.reader != nil {
		src.reader.Close()
	}
}

// copyTo writes bytes [off, off+n) of the body to the viewer (from off to
// the end when n < 0). A file goes through sendfile(2) on plain HTTP/1.1:
// net/http hands a LimitedReader around an *os.File to the kernel.
func (src *bodySource) copyTo(x *Exchange, off, n int64) error {
	switch {
	case src.file != nil:
		if off > 0 {
			if _, err := src.file.Seek(off, io.SeekCurrent); err != nil {
				return err
			}
		}
		var err error
		if n < 0 {
			_, err = io.Copy(x.W, src.file)
		} else {
			_, err = io.CopyN(x.W, src.file, n)
		}
		return err
	case src.reader == nil:
		return writeSpan(x.W, src.chunks, off, n)
	}
	flusher, _ := x.W.(http.Flusher)
	for n != 0 {
		p, err := src.reader.Next(x.R.Context())
		if skip := min(off, int64(len(p))); skip > 0 {
			p, off = p[skip:], off-skip
		}
		if n > 0 && int64(len(p)) > n {
			p = p[:n]
		}
		if len(p) > 0 {
			if _, werr := x.W.Write(p); werr != nil {
				return werr
			}
			if flusher != nil {
				flusher.Flush()
			}
			if n > 0 {
				n -= int64(len(p))
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeSpan writes bytes [off, off+n) of a body made of chunks (to the end
// when n < 0).
func writeSpan(w io.Writer, chunks [][]byte, off, n int64) error {
	for _, c := range chunks {
		if off >= int64(len(c)) {
			off -= int64(len(c))
			continue
		}
		c = c[off:]
		off = 0
		if n >= 0 && int64(len(c)) > n {
			c = c[:n]
		}
		if _, err := w.Write(c); err != nil {
			return err
		}
		if n >= 0 {
			if n -= int64(len(c)); n == 0 {
				return nil
			}
		}
	}
	return nil
}
