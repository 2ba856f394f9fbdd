package node

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/caddyserver/certmagic"
)

// importedMark, in the old ACME directory, says its files were imported.
const importedMark = "imported-into-engine"

// importACMEFiles copies what an edge of an earlier version kept in dir
// (certmagic's FileStorage: account, certificates, keys) into the shared
// storage, once, so that upgrading does not order every certificate
// again. A file the storage already has is kept as it is (another edge
// may have put a newer one there); locks are not copied. The directory
// stays, marked, for the operator to remove.
func importACMEFiles(ctx context.Context, dir string, to certmagic.Storage, log *slog.Logger) {
	if _, err := os.Stat(filepath.Join(dir, importedMark)); err == nil {
		return
	}
	from := &certmagic.FileStorage{Path: dir}
	keys, err := from.List(ctx, "", true)
	if errors.Is(err, fs.ErrNotExist) {
		return // nothing was ever stored here
	}
	if err != nil {
		log.Warn("ACME: could not read the old storage to import it", "dir", dir, "err", err)
		return
	}
	n := 0
	for _, k := range keys {
		if k == "locks" || strings.HasPrefix(k, "locks/") || k == importedMark {
			continue
		}
		if info, err := from.Stat(ctx, k); err != nil || !info.IsTerminal || to.Exists(ctx, k) {
			continue
		}
		v, err := from.Load(ctx, k)
		if err == nil {
			err = to.Store(ctx, k, v)
		}
		if err != nil {
			log.Warn("ACME: import from the old storage stopped; it is tried again at the next start", "key", k, "err", err)
			return
		}
		n++
	}
	if err := os.WriteFile(filepath.Join(dir, importedMark), []byte("these files were copied into the engine's bucket pharos-acme\n"), 0o600); err != nil {
		log.Warn("ACME: could not mark the old storage imported", "dir", dir, "err", err)
	}
	log.Info("ACME: imported the files of the old per-edge storage into the engine", "dir", dir, "files", n)
}
