package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pharos-cdn/pharos/internal/bus"
	"github.com/pharos-cdn/pharos/internal/certs"
	"github.com/pharos-cdn/pharos/internal/edge"
	"github.com/pharos-cdn/pharos/internal/listen"
	"github.com/pharos-cdn/pharos/internal/model"
)

// ensureRoot gives the CDN its one local root: the engine's (ca.root) if
// it has one, saved under dataDir so the path printed is right; else the
// one under dataDir (made now if there is none), put in the engine only
// if still absent, so two control planes starting together agree.
func ensureRoot(ctx context.Context, kv *bus.ConfigStore, dataDir, where string) (*certs.CA, error) {
	for range 3 {
		v, _, err := kv.Get(ctx, certs.RootKey)
		if err == nil {
			ca, err := certs.DecodeRoot(v)
			if err != nil {
				return nil, err
			}
			if local, ok, _ := certs.LoadCA(dataDir); !ok || !local.Cert.Equal(ca.Cert) {
				if err := certs.SaveCA(dataDir, ca); err != nil {
					return nil, err
				}
			}
			return ca, nil
		}
		if !errors.Is(err, bus.ErrNotFound) {
			return nil, fmt.Errorf("local CA: %w", err)
		}
		ca, _, err := certs.LoadOrCreateCA(dataDir, where)
		if err != nil {
			return nil, err
		}
		if _, err := kv.Update(ctx, certs.RootKey, certs.EncodeRoot(ca), 0); err == nil {
			return ca, nil
		} else if !errors.Is(err, bus.ErrConflict) {
			return nil, fmt.Errorf("local CA: %w", err)
		}
		// Another control plane put its root first: take that one.
	}
	return nil, fmt.Errorf("local CA: the engine's %s keeps changing", certs.RootKey)
}

// certFollower applies the engine's root and imported certificates to an
// edge's TLS certificates, rebuilding only when they changed, and keeps a
// copy under the edge's data directory (mode 0600) for starts without the
// engine.
type certFollower struct {
	tc      *edge.TLSCerts
	dataDir string // "" keeps no copy
	log     *slog.Logger
	sig     string // keys and revisions of the certificates in force
	rootRev uint64 // revision of the root in force
}

const savedCertsFile = "edge-certs.json"

func (f *certFollower) apply(s bus.Snapshot) {
	if e, ok := s.Entries[certs.RootKey]; ok && e.Revision != f.rootRev {
		f.rootRev = e.Revision
		if ca, err := certs.DecodeRoot(e.Value); err != nil {
			f.log.Error("ignoring the engine's root certificate", "err", err)
		} else {
			if old := f.tc.CA(); f.dataDir != "" && (old == nil || !old.Cert.Equal(ca.Cert)) {
				if err := certs.SaveCA(f.dataDir, ca); err != nil {
					f.log.Warn("could not save the root certificate", "err", err)
				}
			}
			f.tc.SetCA(ca)
		}
	}
	var keys []string
	for k := range s.Entries {
		if strings.HasPrefix(k, certs.CertPrefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var sig strings.Builder
	list := make([]model.Certificate, 0, len(keys))
	for _, k := range keys {
		sig.WriteString(k + "@" + strconv.FormatUint(s.Entries[k].Revision, 10) + ",")
		var c model.Certificate
		if err := json.Unmarshal(s.Entries[k].Value, &c); err != nil {
			f.log.Error("ignoring an imported certificate", "key", k, "err", err)
			continue
		}
		list = append(list, c)
	}
	if sig.String() == f.sig {
		return
	}
	f.sig = sig.String()
	f.setImported(list)
	if f.dataDir != "" {
		if b, err := json.Marshal(list); err == nil {
			if err := os.WriteFile(filepath.Join(f.dataDir, savedCertsFile), b, 0o600); err != nil {
				f.log.Warn("could not save the imported certificates", "err", err)
			}
		}
	}
}

func (f *certFollower) setImported(list []model.Certificate) {
	set, skipped := certs.NewSet(list)
	for id, err := range skipped {
		f.log.Error("imported certificate not served", "id", id, "err", err)
	}
	f.tc.SetImported(set)
	f.log.Info("certificates applied", "imported", set.Len())
}

// loadSaved gives an edge starting without the engine the root and the
// imported certificates it had last.
func (f *certFollower) loadSaved() {
	if ca, ok, err := certs.LoadCA(f.dataDir); err != nil {
		f.log.Warn("ignoring the saved root certificate", "err", err)
	} else if ok {
		f.tc.SetCA(ca)
	}
	b, err := os.ReadFile(filepath.Join(f.dataDir, savedCertsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var list []model.Certificate
	if err == nil {
		err = json.Unmarshal(b, &list)
	}
	if err != nil {
		f.log.Warn("ignoring the saved certificates", "err", err)
		return
	}
	f.setImported(list)
}

func listenHTTPS(addr string) (net.Listener, net.PacketConn, error) {
	l, pc, err := listen.TCPAndUDP(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--https (HTTP/3 needs the port over UDP too): %w", err)
	}
	return l, pc, nil
}

// ownNames are the names on an edge's default certificate: its id, its
// listening and public addresses, and the loopback names.
func ownNames(id string, l net.Addr, public []string) []string {
	names := []string{"localhost", "127.0.0.1", "::1"}
	if id != "" && id != "localhost" && !strings.ContainsAny(id, " /,") {
		names = append([]string{id}, names...)
	}
	if host, _, err := net.SplitHostPort(l.String()); err == nil {
		if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
			names = append(names, ip.String())
		}
	}
	for _, p := range public {
		names = append(names, p)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// serveHTTPS runs the edge's HTTPS (and HTTP/3) serving until ctx is done
// or stop is called; stop then waits for its graceful end. Plain HTTP's
// end calls stop, so neither outlives the other.
func serveHTTPS(ctx context.Context, e *edge.Server, l net.Listener, pc net.PacketConn, tc *edge.TLSCerts, grace time.Duration, log *slog.Logger) (stop func()) {
	if l == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.ServeTLS(ctx, l, pc, tc, grace); err != nil {
			log.Error("https stopped", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}

// httpsLine is the banner's line for HTTPS: where, and the root to trust.
func httpsLine(l net.Listener, dataDir string) string {
	root := certs.RootPath(dataDir)
	return fmt.Sprintf("https://%s (HTTP/1.1, HTTP/2; HTTP/3 on udp)\n  ca     %s (local CA root: curl --cacert %s)", dialable(l.Addr()), root, root)
}

func addrOf(l net.Listener) net.Addr {
	if l == nil {
		return &net.TCPAddr{}
	}
	return l.Addr()
}

func absDir(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}
