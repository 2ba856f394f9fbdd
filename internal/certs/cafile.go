package certs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// RootPath is where a data directory keeps the root certificate, the file
// users hand to clients (curl --cacert).
func RootPath(dataDir string) string { return filepath.Join(dataDir, "ca", "root.pem") }

func keyPath(dataDir string) string { return filepath.Join(dataDir, "ca", "root-key.pem") }

// LoadCA reads the root under dataDir; ok is false when there is none.
func LoadCA(dataDir string) (ca *CA, ok bool, err error) {
	certPEM, err := os.ReadFile(RootPath(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("certs: read root: %w", err)
	}
	keyPEM, err := os.ReadFile(keyPath(dataDir))
	if err != nil {
		return nil, false, fmt.Errorf("certs: read root key: %w", err)
	}
	ca, err = ParseCA(certPEM, keyPEM)
	if err != nil {
		return nil, false, fmt.Errorf("%w (in %s)", err, filepath.Dir(RootPath(dataDir)))
	}
	return ca, true, nil
}

// LoadOrCreateCA reads the root under dataDir, or makes one named after
// where and saves it. created says which.
func LoadOrCreateCA(dataDir, where string) (ca *CA, created bool, err error) {
	ca, ok, err := LoadCA(dataDir)
	if err != nil || ok {
		return ca, false, err
	}
	ca, err = NewCA(where, time.Now())
	if err != nil {
		return nil, false, err
	}
	if err := SaveCA(dataDir, ca); err != nil {
		return nil, false, err
	}
	return ca, true, nil
}

// SaveCA writes ca under dataDir: the key with mode 0600 (written first,
// so a root file never exists without its key), the certificate 0644.
func SaveCA(dataDir string, ca *CA) error {
	dir := filepath.Dir(RootPath(dataDir))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("certs: create %s: %w", dir, err)
	}
	if err := writeFile(keyPath(dataDir), ca.KeyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(RootPath(dataDir), ca.CertPEM, 0o644)
}

// writeFile replaces path atomically with data.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, mode); err != nil { // WriteFile keeps an old file's mode
		return fmt.Errorf("certs: chmod %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	return nil
}
