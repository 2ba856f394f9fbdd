package edge

import (
	"io"
	"net/http"
	"strconv"

	"github.com/pharos-cdn/pharos/internal/model"
)

// Custom error pages (CloudFront's CustomErrorResponse with
// ResponsePagePath): when a distribution's answer to a viewer would carry
// an error status it names — from the origin, from the cache, or made by
// the edge (a geo or signed-URL 403, a 502 or 504) — the viewer gets the
// page at ResponsePagePath instead, fetched through the behaviour that
// matches that path (so from the cache when it is there), with the
// ResponseCode status. The error itself is still cached as usual; only
// the bytes to the viewer change. A page that cannot be fetched is sent
// as whatever the fetch answered, never another error page. The page's
// fetch skips the geo restriction (the page is what a refused viewer is
// meant to see); a behaviour that needs signed URLs still needs them, so
// pages belong under a path whose behaviour does not.

// errorPage is one compiled custom error page.
type errorPage struct {
	path   string
	status int // ResponseCode; the original status when not given
}

// compileErrorPages returns the distribution's error pages by status, nil
// when it has none.
func compileErrorPages(m *model.Distribution) map[int]errorPage {
	var pages map[int]errorPage
	for _, e := range m.CustomErrorResponses {
		if e.ResponsePagePath == "" {
			continue
		}
		status := e.ErrorCode
		if n, err := strconv.Atoi(e.ResponseCode); err == nil {
			status = n
		}
		if pages == nil {
			pages = map[int]errorPage{}
		}
		pages[e.ErrorCode] = errorPage{path: e.ResponsePagePath, status: status}
	}
	return pages
}

// errorPageWriter watches the status a distribution's chain writes; on one
// with a custom page it throws the chain's answer away and serves the page.
type errorPageWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	d       *Dist
	wrote   bool
	swallow bool // the chain's answer is being replaced: drop its bytes
}

func (w *errorPageWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if p, ok := w.d.errorPages[code]; ok {
		w.swallow = true
		w.servePage(p)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *errorPageWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps sendfile for disk hits when the answer is not replaced.
func (w *errorPageWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return io.Copy(io.Discard, r)
	}
	return io.Copy(w.ResponseWriter, r)
}

func (w *errorPageWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && !w.swallow {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *errorPageWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// servePage answers with p: a GET (HEAD for a HEAD) of its path through
// the distribution, without the viewer's conditional or range headers (the
// page is not the object they were about).
func (w *errorPageWriter) servePage(p errorPage) {
	h := w.ResponseWriter.Header()
	for k := range h {
		delete(h, k)
	}
	sub := w.r.Clone(w.r.Context())
	if sub.Method != http.MethodHead {
		sub.Method = http.MethodGet
	}
	sub.URL.Path, sub.URL.RawPath, sub.URL.RawQuery = p.path, "", ""
	sub.RequestURI = p.path
	sub.Body, sub.ContentLength = http.NoBody, 0
	for _, k := range []string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
		sub.Header.Del(k)
	}
	w.s.serveDist(&pageStatusWriter{ResponseWriter: w.ResponseWriter, status: p.status}, sub, w.d, true)
}

// pageStatusWriter sends the page with the error's ResponseCode when the
// page itself was found, and the fetch's own status when it was not.
type pageStatusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *pageStatusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if code == http.StatusOK {
		code = w.status
		w.Header().Del("Age") // the page's age is not the answer's
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *pageStatusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *pageStatusWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return io.Copy(w.ResponseWriter, r)
}

func (w *pageStatusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *pageStatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
