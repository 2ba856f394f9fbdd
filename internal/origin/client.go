package origin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pharos-cdn/pharos/internal/model"
)

// Client sends requests to one origin over a pool of connections.
type Client struct {
	transport                       *http.Transport
	http                            *http.Client
	scheme                          string // for http-only / https-only; match-viewer decides per request
	httpHost                        string // host:port
	httpsHost                       string
	protocol                        string
	path                            string // OriginPath
	headers                         []model.CustomHeader
	attempts                        int
	readTimeout                     time.Duration
	httpHostHeader, httpsHostHeader string // Host sent when the viewer's is not forwarded
}

// New returns a client for o (after model defaults are applied).
func New(o model.Origin) *Client {
	dialer := &net.Dialer{Timeout: time.Duration(o.ConnectionTimeout) * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       time.Duration(o.KeepaliveTimeout) * time.Second,
		ResponseHeaderTimeout: time.Duration(o.ReadTimeout) * time.Second,
		TLSHandshakeTimeout:   time.Duration(o.ConnectionTimeout) * time.Second,
		// The edge forwards the viewer's (normalised) Accept-Encoding itself;
		// the transport must neither add one nor decompress behind our back.
		DisableCompression: true,
		ForceAttemptHTTP2:  false,
		// Never consult HTTP_PROXY: origins are addressed directly.
		Proxy: nil,
	}
	host := o.DomainName
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = "[" + host + "]"
	}
	c := &Client{
		transport:       tr,
		http:            &http.Client{Transport: tr, CheckRedirect: noRedirects},
		httpHost:        host + ":" + strconv.Itoa(o.HTTPPort),
		httpsHost:       host + ":" + strconv.Itoa(o.HTTPSPort),
		protocol:        o.Protocol,
		path:            o.OriginPath,
		headers:         o.CustomHeaders,
		attempts:        max(o.ConnectionAttempts, 1),
		readTimeout:     time.Duration(o.ReadTimeout) * time.Second,
		httpHostHeader:  hostHeader(o, false),
		httpsHostHeader: hostHeader(o, true),
	}
	return c
}

// hostHeader is the Host for a request over scheme: the domain name, with
// the port when it is not the scheme's default.
func hostHeader(o model.Origin, https bool) string {
	name := strings.Trim(o.DomainName, "[]")
	port, def := o.HTTPPort, 80
	if https {
		port, def = o.HTTPSPort, 443
	}
	if port != def {
		return net.JoinHostPort(name, strconv.Itoa(port))
	}
	if strings.Contains(name, ":") {
		return "[" + name + "]" // an IPv6 literal in Host is bracketed (RFC 3986 §3.2.2)
	}
	return name
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Close drops the pooled connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// useHTTPS says whether a request for a viewer (over HTTPS or not) goes to
// the origin over HTTPS.
func (c *Client) useHTTPS(viewerHTTPS bool) bool {
	return c.protocol == "https-only" || (c.protocol == "match-viewer" && viewerHTTPS)
}

// HostHeader is the Host the origin expects when the viewer's is not
// forwarded: its name, with the port of the scheme URL uses.
func (c *Client) HostHeader(viewerHTTPS bool) string {
	if c.useHTTPS(viewerHTTPS) {
		return c.httpsHostHeader
	}
	return c.httpHostHeader
}

// URL returns the origin URL for a viewer path and the query to forward.
func (c *Client) URL(viewerHTTPS bool, path, rawQuery string) string {
	scheme, host := "http", c.httpHost
	if c.useHTTPS(viewerHTTPS) {
		scheme, host = "https", c.httpsHost
	}
	u := scheme + "://" + host + c.path + path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	return u
}

// CustomHeaders are the origin's own headers, added to every request.
func (c *Client) CustomHeaders() []model.CustomHeader { return c.headers }

// Do sends req. Connection failures are retried up to the origin's
// connection attempts for idempotent requests without a body (CloudFront
// never retries POST, PUT, PATCH, DELETE or OPTIONS). The response body is
// wrapped so that a gap longer than the read timeout ends it with ErrTimeout.
func (c *Client) Do(ctx context.Context, req *http.Request) (*http.Response, error) {
	req = req.WithContext(ctx)
	retry := (req.Method == http.MethodGet || req.Method == http.MethodHead) && req.Body == nil
	var lastErr error
	for attempt := 0; attempt < c.attempts; attempt++ {
		resp, err := c.http.Do(req)
		if err == nil {
			resp.Body = newIdleReader(resp.Body, c.readTimeout)
			return resp, nil
		}
		lastErr = classify(err)
		if !retry || !errors.Is(lastErr, ErrUnreachable) || ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// ErrUnreachable means no connection could be made or it broke before a
// response arrived (the edge answers 502).
var ErrUnreachable = errors.New("origin unreachable")

// ErrTimeout means the origin did not answer, or stopped sending, within its
// read timeout (the edge answers 504).
var ErrTimeout = errors.New("origin timed out")

func classify(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "dial" {
			return fmt.Errorf("%w: connect timeout: %v", ErrUnreachable, err)
		}
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnreachable, err)
}

// idleReader ends a body whose origin goes quiet for longer than timeout:
// CloudFront's read timeout covers the gaps between packets too. Only time
// spent waiting inside Read counts: a consumer that pauses (a slow viewer,
// a full window) is not the origin's fault.
type idleReader struct {
	rc      io.ReadCloser
	timeout time.Duration
	timer   *time.Timer
	fired   atomic.Bool
}

func newIdleReader(rc io.ReadCloser, timeout time.Duration) io.ReadCloser {
	r := &idleReader{rc: rc, timeout: timeout}
	r.timer = time.AfterFunc(timeout, func() {
		r.fired.Store(true)
		rc.Close() // unblocks the Read in progress
	})
	r.timer.Stop()
	return r
}

func (r *idleReader) Read(p []byte) (int, error) {
	if r.fired.Load() {
		return 0, fmt.Errorf("%w: no data for %s", ErrTimeout, r.timeout)
	}
	r.timer.Reset(r.timeout)
	n, err := r.rc.Read(p)
	r.timer.Stop()
	if r.fired.Load() && err != nil && err != io.EOF {
		return n, fmt.Errorf("%w: no data for %s", ErrTimeout, r.timeout)
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: body: %v", ErrUnreachable, err)
	}
	return n, err
}

func (r *idleReader) Close() error {
	r.timer.Stop()
	return r.rc.Close()
}
