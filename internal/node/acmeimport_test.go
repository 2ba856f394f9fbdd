package node

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/pharos-cdn/pharos/internal/bus"
)

// An edge upgraded from per-edge storage brings its files into the
// engine once: what the engine already has wins, locks stay behind.
func TestImportACMEFiles(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := bus.Start(ctx, bus.Options{DataDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	store := bus.NewACMEStore("e1", log)
	if err := store.Attach(ctx, b); err != nil {
		t.Fatal(err)
	}

	dir := filepath.Join(t.TempDir(), "acme")
	old := &certmagic.FileStorage{Path: dir}
	files := map[string]string{
		"acme/ca/users/ops@example.com/ops.json":    "account",
		"certificates/ca/www.test/www.test.crt":     "old cert",
		"certificates/ca/img.test/img.test.crt":     "img cert",
		"locks/issue_cert_www.test.lock":            "{}",
		"certificates/ca/img.test/img.test.key.tmp": "x",
	}
	for k, v := range files {
		if err := old.Store(ctx, k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Store(ctx, "certificates/ca/www.test/www.test.crt", []byte("newer cert")); err != nil {
		t.Fatal(err)
	}

	importACMEFiles(ctx, dir, store, log)
	for k, want := range map[string]string{
		"acme/ca/users/ops@example.com/ops.json":    "account",
		"certificates/ca/img.test/img.test.crt":     "img cert",
		"certificates/ca/www.test/www.test.crt":     "newer cert",
		"certificates/ca/img.test/img.test.key.tmp": "x",
	} {
		if got, err := store.Load(ctx, k); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", k, got, err, want)
		}
	}
	if store.Exists(ctx, "locks") {
		t.Errorf("locks were imported")
	}
	if _, err := os.Stat(filepath.Join(dir, importedMark)); err != nil {
		t.Errorf("the old directory is not marked imported: %v", err)
	}
	// Once only: a file since deleted from the engine does not come back.
	if err := store.Delete(ctx, "certificates/ca/img.test"); err != nil {
		t.Fatal(err)
	}
	importACMEFiles(ctx, dir, store, log)
	if store.Exists(ctx, "certificates/ca/img.test/img.test.crt") {
		t.Errorf("imported a second time")
	}
	// No old directory: nothing to do, nothing made.
	none := filepath.Join(t.TempDir(), "acme")
	importACMEFiles(ctx, none, store, log)
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("%s made (%v)", none, err)
	}
}
