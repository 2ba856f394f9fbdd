package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pharos-cdn/pharos/internal/security/geo"
	"github.com/pharos-cdn/pharos/internal/store"
)

// Config is an edge's identity and limits.
type Config struct {
	ID       string // edge id, in Via and logs
	POP      string // point of presence, in X-Pharos-Pop
	CacheMem int64  // bytes for the memory tier
	// MaxObject is the largest body kept in memory (0: CacheMem/8).
	MaxObject int64
	Logger    *slog.Logger
	Now       func() time.Time // injectable clock; time.Now when nil
	// DisableFastPath serves every request through net/http.
	DisableFastPath bool
	// DisableEventLoop keeps the fast path's plain connections on
	// goroutines instead of the edge's own epoll loops (Linux only).
	DisableEventLoop bool
	// EventLoops is how many event loops serve those connections; 0 means
	// one per core the Go runtime uses (GOMAXPROCS) but one, and at least
	// one: the last core is left to everything else an edge does (misses,
	// TLS, HTTP/2, the engine), and the loops' own threads do not
	// outnumber the cores when a load generator shares the machine.
	EventLoops int
	// GeoIP gives viewers' countries (geo restriction, CloudFront-Viewer-*
	// headers); nil: every country is unknown.
	GeoIP *geo.DB
	// TrustForwarded are the proxies whose X-Forwarded-For names the viewer.
	TrustForwarded geo.Trusted
	// HTTPSPort is the port viewers reach this edge on over HTTPS, for
	// redirect-to-https (0: 443).
	HTTPSPort int
}

// Server is an edge server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	store   *store.Tiered
	table   atomic.Pointer[Table]
	pool    *originPool
	applyMu sync.Mutex
	via     string
	hitTail string // the fields every fast-path hit ends with (hithead.go)
	// fastIdle and fastHead replace the fast path's idle and request-head
	// timeouts when set (tests).
	fastIdle, fastHead time.Duration
	popValue           []string
	idPrefix           string
	reqSeq             atomic.Uint64
	invalSeq           atomic.Uint64 // last invalidation applied
	bufPool            sync.Pool
	metrics            metrics
	wg                 sync.WaitGroup // background refreshes
	applied            chan struct{}  // closed and replaced on every Apply
	acme               *edgeACME      // nil unless ACME is on (tlsacme.go)
}

// New returns an edge with an empty routing table.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheMem <= 0 {
		cfg.CacheMem = 256 << 20
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With("role", "edge", "edge", cfg.ID),
		now:      cfg.Now,
		store:    store.NewTiered(store.NewMemory(cfg.CacheMem, cfg.MaxObject), nil),
		pool:     newOriginPool(),
		via:      "1.1 " + cfg.ID + " (pharos)",
		popValue: []string{cfg.POP},
		idPrefix: cfg.ID + "-" + hex.EncodeToString(rnd[:]) + "-",
		applied:  make(chan struct{}),
	}
	s.hitTail = hitTail(s.via, cfg.POP)
	s.bufPool.New = func() any { b := make([]byte, 32<<10); return &b }
	s.table.Store(&Table{hosts: map[string]*Dist{}})
	return s
}

// EnableDisk adds a disk tier of size bytes under dir behind the memory
// tier and loads what a previous run left there. Call it before serving.
func (s *Server) EnableDisk(dir string, size int64) (store.LoadStats, error) {
	d, st, err := store.OpenDisk(dir, size, metaCodec{}, s.log)
	if err != nil {
		return st, err
	}
	s.store = store.NewTiered(s.store.Memory, d)
	s.log.Info("disk tier loaded", "dir", dir, "objects", st.Objects, "bytes", st.Bytes,
		"dropped", st.Dropped, "took", st.Took)
	return st, nil
}

// Apply compiles distribution documents (JSON, keyed by name) at revision
// rev and swaps them in. On error the running table stays.
func (s *Server) Apply(rev uint64, docs map[string][]byte) error {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.pool.begin()
	t, err := compile(s, rev, docs, s.pool)
	if err != nil {
		s.log.Error("configuration rejected; keeping the previous one", "revision", rev, "err", err)
		return err
	}
	s.table.Store(t)
	s.pool.end()
	close(s.applied)
	s.applied = make(chan struct{})
	s.log.Info("configuration applied", "revision", rev, "distributions", len(t.dists))
	return nil
}

// Revision is the revision of the configuration in force.
func (s *Server) Revision() uint64 { return s.table.Load().Revision }

// WaitRevision blocks until a configuration at rev or later is in force.
func (s *Server) WaitRevision(ctx context.Context, rev uint64) error {
	for {
		s.applyMu.Lock()
		ch := s.applied
		s.applyMu.Unlock()
		if s.Revision() >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("edge: waiting for configuration revision %d: %w", rev, ctx.Err())
		}
	}
}

// ServeHTTP routes a viewer request to its distribution and behaviour and
// runs that behaviour's stage chain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if requestHeadSize(r) > maxRequestHead {
		w.Header().Set("Connection", "close")
		s.edgeError(s.exchange(w, r), http.StatusRequestHeaderFieldsTooLarge, "431 Request Header Fields Too Large: the request line and headers exceed 20480 bytes")
		return
	}
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && (r.ContentLength != 0 || len(r.TransferEncoding) > 0) {
		// A body on GET or HEAD has no meaning (CloudFront refuses it too),
		// and with both Content-Length and chunked framing it is the shape
		// of a smuggling attempt: refuse it, and close the connection.
		w.Header().Set("Connection", "close")
		s.edgeError(s.exchange(w, r), http.StatusBadRequest, "400 Bad Request: a GET or HEAD request must not carry a body")
		return
	}
	if s.acme != nil && s.acme.answerHTTP(w, r) {
		return // an ACME CA validating by HTTP-01 (tlsacme.go)
	}
	d := s.table.Load().Lookup(hostOnly(r.Host))
	if d == nil {
		s.noDistribution(s.exchange(w, r))
		return
	}
	s.serveDist(w, r, d, false)
}

// serveDist runs the chain of r's behaviour in d. For a viewer's request
// a status with a custom error page is answered with that page; for the
// page's own fetch (page), nothing is replaced.
func (s *Server) serveDist(w http.ResponseWriter, r *http.Request, d *Dist, page bool) {
	if !page && d.errorPages != nil {
		w = &errorPageWriter{ResponseWriter: w, s: s, r: r, d: d}
	}
	x := s.exchange(w, r)
	x.errorPage = page
	x.B = d.Match(r.URL.Path)
	x.B.handler(x)
}

// exchange starts the exchange of one viewer request.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) *Exchange {
	x := &Exchange{W: w, R: r, Now: s.now(), HTTPS: s.viewerHTTPS(r)}
	x.ReqID = s.idPrefix + strconv.FormatUint(s.reqSeq.Add(1), 36)
	return x
}

// maxRequestHead is CloudFront's limit on the request line plus headers.
const maxRequestHead = 20 << 10

// requestHeadSize approximates the bytes of the request line and header
// fields as sent. net/http's own limit counts bytes read from the
// connection with slack, and not exactly per request on a reused
// connection, so the edge checks the parsed request itself.
func requestHeadSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len("  HTTP/1.1\r\n") + len("Host: \r\n") + len(r.Host)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

func (s *Server) noDistribution(x *Exchange) {
	s.metrics.count(resultError)
	h := x.W.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	s.edgeHeaders(x, h, nil, resultError)
	x.W.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(x.W, "404 Not Found: no distribution answers for host %q\n", hostOnly(x.R.Host))
}

// HTTPServer returns an http.Server for the edge with the limits a public
// server needs: header read timeout and size limit (431 beyond it), body
// read timeout, idle timeout. Responses have no write timeout: large
// bodies and slow viewers are legitimate, and stalls are caught per read.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		// net/http allows 4,096 bytes beyond MaxHeaderBytes; ServeHTTP
		// enforces CloudFront's exact 20,480 bytes (requestHeadSize).
		MaxHeaderBytes: 20<<10 - 4096,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// Serve serves HTTP on l until ctx is done, then shuts down gracefully:
// in-flight responses finish (up to grace). Connections start on the
// HTTP/1.1 fast path (fastpath.go) unless the config turns it off.
func (s *Server) Serve(ctx context.Context, l net.Listener, grace time.Duration) error {
	srv := s.HTTPServer()
	errc := make(chan error, 2)
	var fs *fastServer
	if s.cfg.DisableFastPath {
		go func() { errc <- srv.Serve(l) }()
	} else {
		fs = newFastServer(s, l.Addr())
		if !s.cfg.DisableEventLoop {
			if err := fs.startLoops(s.eventLoops()); err != nil {
				s.log.Warn("edge: HTTP/1.1 connections are served by goroutines", "err", err)
			}
		}
		go func() { errc <- srv.Serve(fs.handoff) }()
		go func() { errc <- fs.accept(l) }()
	}
	var serveErr error
	select {
	case err := <-errc:
		// The listener failed (or was closed): stop as at ctx's end, so that
		// the event loops and the connections they and net/http hold are
		// not left running, and return why.
		if err != nil {
			serveErr = fmt.Errorf("edge: serve: %w", err)
		}
		l.Close()
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if fs != nil {
		l.Close() // ours to close; without the fast path, Shutdown closes it
		fs.shutdown(sctx)
	}
	err := srv.Shutdown(sctx)
	s.wg.Wait()
	if serveErr != nil {
		return serveErr
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("edge: shutdown: %w", err)
	}
	return nil
}

// eventLoops is the number of event loops to start (Config.EventLoops).
func (s *Server) eventLoops() int {
	if s.cfg.EventLoops > 0 {
		return s.cfg.EventLoops
	}
	return max(1, runtime.GOMAXPROCS(0)-1)
}
