package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
)

// LetsEncrypt is the ACME directory used when none is given: Let's
// Encrypt's production CA.
const LetsEncrypt = certmagic.LetsEncryptProductionCA

// The ACME challenge types an edge can answer (RFC 8555 §8.3, RFC 8737).
const (
	ChallengeHTTP01    = "http-01"
	ChallengeTLSALPN01 = "tls-alpn-01"
)

// ACMEOptions configure an ACME client.
type ACMEOptions struct {
	Email  string // the account's contact
	Agreed bool   // the operator agreed to the CA's terms
	CA     string // the directory URL; "" is LetsEncrypt
	// Roots, when not nil, are the only roots trusted for the directory's
	// HTTPS (a test CA); nil trusts the system's.
	Roots *x509.CertPool
	// Storage keeps accounts, keys, certificates, challenge tokens and
	// locks. Edges that share one (the engine's, bus.ACMEStore) answer
	// each other's validations and order each name once between them.
	// nil is a FileStorage under Dir, this process's alone.
	Storage certmagic.Storage
	Dir     string
	// Challenges are the types to answer; empty answers both.
	Challenges []string
	// HTTP and HTTPS are where the edge listens. certmagic binds its own
	// challenge listener when it can; handing it the edge's own addresses
	// makes that bind fail, so the edge's listeners answer instead.
	HTTP, HTTPS net.Addr
	Logger      *slog.Logger
}

// ACME obtains and renews certificates from an ACME CA (certmagic) for
// names the edge allows, one name per certificate. Get never waits on the
// network: a name without a certificate yet starts management in the
// background, and the caller serves something else meanwhile.
type ACME struct {
	cfg    *certmagic.Config
	issuer *certmagic.ACMEIssuer
	cache  *certmagic.Cache
	log    *slog.Logger
	alpn   *tls.Config // answers tls-alpn-01 validations; nil when off

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	storage  certmagic.Storage
	eligible atomic.Pointer[func(string) bool]
	mu       sync.Mutex
	managed  map[string]*managedName
	stopped  bool
	wg       sync.WaitGroup // obtain loops
}

// managedName is a name under management.
type managedName struct {
	cancel  context.CancelFunc // ends its obtain loop
	checked time.Time          // when storage was last read for it
}

// MaxACMENames bounds the names one edge manages: they come from the
// configuration (aliases), never from viewers, so this is only a backstop.
const MaxACMENames = 10000

// sweepEvery is how often names that are no longer allowed (an alias
// removed, a certificate imported) leave management.
const sweepEvery = time.Minute

// NewACME makes an ACME client storing under o.Dir. It contacts the CA
// only when Get first asks for a name.
func NewACME(o ACMEOptions) (*ACME, error) {
	if o.Email == "" {
		return nil, fmt.Errorf("acme: an account email is required")
	}
	if !o.Agreed {
		return nil, fmt.Errorf("acme: the CA's terms of service must be agreed to (--acme-agree)")
	}
	if o.CA == "" {
		o.CA = LetsEncrypt
	}
	httpOn, alpnOn, err := challenges(o.Challenges)
	if err != nil {
		return nil, err
	}
	if (httpOn && o.HTTP == nil) || (alpnOn && o.HTTPS == nil) {
		return nil, fmt.Errorf("acme: the edge's HTTP and HTTPS addresses are required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	zl := zap.New(newSlogCore(o.Logger.Handler())).Named("acme")
	if o.Storage == nil {
		o.Storage = &certmagic.FileStorage{Path: o.Dir}
	}
	a := &ACME{log: o.Logger, storage: o.Storage, managed: map[string]*managedName{}, done: make(chan struct{})}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return a.cfg, nil },
		Logger:           zl,
	})
	a.cfg = certmagic.New(a.cache, certmagic.Config{
		Storage: o.Storage,
		Logger:  zl,
		// Let's Encrypt no longer runs OCSP, and a staple fetch is one more
		// outside call the edge would make.
		OCSP: certmagic.OCSPConfig{DisableStapling: true},
	})
	tmpl := certmagic.ACMEIssuer{CA: o.CA, Email: o.Email, Agreed: true, TrustedRoots: o.Roots, Logger: zl}
	var httpHost, httpsHost string
	if httpOn {
		httpHost, tmpl.AltHTTPPort = hostPort(o.HTTP)
		tmpl.ListenHost = httpHost
	}
	if alpnOn {
		httpsHost, tmpl.AltTLSALPNPort = hostPort(o.HTTPS)
		if httpOn && httpsHost != httpHost {
			// certmagic has one ListenHost for both: on another host the
			// HTTPS port may be free, and it would open a listener there.
			o.Logger.Warn("acme: tls-alpn-01 is off: --http and --https listen on different hosts", "http", o.HTTP, "https", o.HTTPS)
			alpnOn = false
		} else {
			tmpl.ListenHost = httpsHost
			a.alpn = &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{acmeTLS1}, GetCertificate: a.cfg.GetCertificate}
		}
	}
	tmpl.DisableHTTPChallenge, tmpl.DisableTLSALPNChallenge = !httpOn, !alpnOn
	a.issuer = certmagic.NewACMEIssuer(a.cfg, tmpl)
	a.cfg.Issuers = []certmagic.Issuer{a.issuer}
	return a, nil
}

// acmeTLS1 is the ALPN protocol of tls-alpn-01 validations (RFC 8737 §6.2).
const acmeTLS1 = "acme-tls/1"

func challenges(list []string) (httpOn, alpnOn bool, err error) {
	if len(list) == 0 {
		return true, true, nil
	}
	for _, c := range list {
		switch c {
		case ChallengeHTTP01:
			httpOn = true
		case ChallengeTLSALPN01:
			alpnOn = true
		default:
			return false, false, fmt.Errorf("acme: challenge %q: want %s or %s", c, ChallengeHTTP01, ChallengeTLSALPN01)
		}
	}
	return httpOn, alpnOn, nil
}

func hostPort(a net.Addr) (string, int) {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "", 0
	}
	n, _ := strconv.Atoi(port)
	return host, n
}

// Start begins the sweep that takes names eligible no longer says yes to
// out of management. Call it once, before serving.
func (a *ACME) Start(eligible func(name string) bool) {
	a.eligible.Store(&eligible)
	go a.run()
}

// Stop ends management and waits for orders in progress to give up:
// retries and renewals stop, stored files stay.
func (a *ACME) Stop() {
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	a.cancel()
	a.wg.Wait()
	if a.eligible.Load() != nil {
		<-a.done
	}
	a.cache.Stop()
}

func (a *ACME) run() {
	defer close(a.done)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			a.sweep()
		}
	}
}

// sweep stops managing names that are no longer allowed, so they are
// neither retried nor renewed; their files stay, ready if the name
// comes back.
func (a *ACME) sweep() {
	allowed := *a.eligible.Load()
	var gone []certmagic.SubjectIssuer
	a.mu.Lock()
	for name, m := range a.managed {
		if !allowed(name) {
			m.cancel()
			delete(a.managed, name)
			gone = append(gone, certmagic.SubjectIssuer{Subject: name})
		}
	}
	a.mu.Unlock()
	if len(gone) > 0 {
		a.cache.RemoveManaged(gone)
		a.log.Info("acme: names no longer managed", "count", len(gone))
	}
}

// Get returns the CA's certificate for name when one is ready, else nil;
// the first call for a name starts managing it in the background (loading
// it from storage, or ordering it). The caller decides that name may have
// one. Names a public CA cannot validate (localhost, private addresses,
// .local, .internal) never start. While the storage cannot answer (an
// edge that has not reached the engine yet) nothing starts.
func (a *ACME) Get(name string) *tls.Certificate {
	if c := a.cached(name); c != nil {
		return c
	}
	if !a.storageReady() {
		return nil
	}
	if a.manage(name) || a.recheck(name) {
		return a.cached(name) // found in storage
	}
	return nil
}

// storageReady reports whether the storage can answer now; only a
// storage that says otherwise (bus.ACMEStore before the engine) is not.
func (a *ACME) storageReady() bool {
	r, ok := a.storage.(interface{ Ready() bool })
	return !ok || r.Ready()
}

func (a *ACME) cached(name string) *tls.Certificate {
	now := time.Now()
	for _, c := range a.cache.AllMatchingCertificates(name) {
		if slices.Contains(c.Names, name) && c.Leaf != nil && now.Before(c.Leaf.NotAfter) {
			return &c.Certificate
		}
	}
	return nil
}

// loadTimeout bounds a read of storage made during a handshake.
const loadTimeout = 3 * time.Second

// recheckEvery is how often a handshake for a managed name without a
// certificate looks in storage again: another edge sharing it may have
// obtained the certificate while this one waits to retry.
const recheckEvery = 5 * time.Second

// manage starts managing name unless it already is, and reports whether
// it loaded a usable certificate from storage on the way. Loading is a
// few small reads, done at once so that the first handshake after a
// restart, or on an edge that did not order the name, already presents
// the stored certificate; everything that needs the CA (an order, a
// renewal) runs in the background.
func (a *ACME) manage(name string) bool {
	if !certmagic.SubjectQualifiesForPublicCert(name) {
		return false
	}
	a.mu.Lock()
	if _, ok := a.managed[name]; ok || a.stopped || len(a.managed) >= MaxACMENames {
		a.mu.Unlock()
		return false
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.managed[name] = &managedName{cancel: cancel, checked: time.Now()}
	a.wg.Add(1)
	a.mu.Unlock()
	lctx, lcancel := context.WithTimeout(ctx, loadTimeout)
	c, err := a.cfg.CacheManagedCertificate(lctx, name)
	lcancel()
	if err == nil && !c.NeedsRenewal(a.cfg) {
		a.wg.Done()
		return true // the cache's maintenance renews it in time
	}
	if err == nil {
		// Due for renewal: certmagic renews only names not yet cached.
		a.cache.RemoveManaged([]certmagic.SubjectIssuer{{Subject: name}})
	}
	go a.obtain(ctx, name)
	return false
}

// recheck reads a managed name's certificate from storage again, at most
// every recheckEvery, and reports whether it found one. The obtain loop
// finds it too, but only at its next attempt, which may be hours away.
func (a *ACME) recheck(name string) bool {
	a.mu.Lock()
	m := a.managed[name]
	if m == nil || a.stopped || time.Since(m.checked) < recheckEvery {
		a.mu.Unlock()
		return false
	}
	m.checked = time.Now()
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(a.ctx, loadTimeout)
	defer cancel()
	_, err := a.cfg.CacheManagedCertificate(ctx, name)
	return err == nil
}

// retryAfter spaces attempts for a name that failed: a CA counts failed
// validations per name and account (Let's Encrypt: 5 an hour).
var retryAfter = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour}

// obtain loads name's certificate from storage, or renews or orders it,
// retrying until it succeeds or ctx ends; from then on the cache's
// maintenance renews it. With Let's Encrypt's production CA, certmagic
// tries a retry against the staging CA first (the attempt count in ctx),
// so repeated failures do not spend production rate limits.
func (a *ACME) obtain(ctx context.Context, name string) {
	defer a.wg.Done()
	attempts := 0
	ctx = context.WithValue(ctx, certmagic.AttemptsCtxKey, &attempts)
	for {
		err := a.cfg.ManageSync(ctx, []string{name})
		if err == nil || ctx.Err() != nil {
			return
		}
		wait := retryAfter[min(attempts, len(retryAfter)-1)]
		a.log.Warn("acme: no certificate from the CA yet; the local CA's is served meanwhile", "name", name, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		attempts++
	}
}

// Managed reports how many names are under management.
func (a *ACME) Managed() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.managed)
}

// HandleHTTP answers an http-01 validation request for a challenge that
// this edge, or any edge sharing its storage, started (certmagic looks a
// token it did not start up in storage), and reports whether it did; any
// other request is left alone.
func (a *ACME) HandleHTTP(w http.ResponseWriter, r *http.Request) bool {
	if !a.storageReady() {
		return false // no order can be in progress without storage
	}
	return a.issuer.HandleHTTPChallenge(w, r)
}

// ChallengeConfig returns the TLS settings that answer a tls-alpn-01
// validation when hello is one (it offers exactly the acme-tls/1
// protocol and names a server, RFC 8737 §3), else nil. Like HandleHTTP it
// answers challenges any edge sharing the storage started.
func (a *ACME) ChallengeConfig(hello *tls.ClientHelloInfo) *tls.Config {
	if a.alpn == nil || hello.ServerName == "" || len(hello.SupportedProtos) != 1 || hello.SupportedProtos[0] != acmeTLS1 || !a.storageReady() {
		return nil
	}
	return a.alpn
}
