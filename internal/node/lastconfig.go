package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// An edge keeps the configuration it last applied on its own disk, so that
// it serves with it when it starts while the engine is unreachable.

const lastConfigFile = "edge-config.json"

type lastConfig struct {
	Revision uint64                     `json:"revision"`
	Docs     map[string]json.RawMessage `json:"docs"`
}

func saveLastConfig(dataDir string, rev uint64, docs map[string][]byte) error {
	lc := lastConfig{Revision: rev, Docs: make(map[string]json.RawMessage, len(docs))}
	for k, v := range docs {
		lc.Docs[k] = v
	}
	b, err := json.Marshal(lc)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dataDir, lastConfigFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save last configuration: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dataDir, lastConfigFile))
}

// loadLastConfig returns the saved configuration; ok is false when there
// is none.
func loadLastConfig(dataDir string) (rev uint64, docs map[string][]byte, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dataDir, lastConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	var lc lastConfig
	if err := json.Unmarshal(b, &lc); err != nil {
		return 0, nil, false, fmt.Errorf("%s is damaged: %w", lastConfigFile, err)
	}
	docs = make(map[string][]byte, len(lc.Docs))
	for k, v := range lc.Docs {
		docs[k] = v
	}
	return lc.Revision, docs, true, nil
}

const invalidationSeqFile = "edge-invalidation-seq"

// saveInvalidationSeq records the last invalidation applied (best effort:
// losing it only makes a restarted edge replay more).
func saveInvalidationSeq(dataDir string, seq uint64) {
	tmp := filepath.Join(dataDir, invalidationSeqFile+".tmp")
	if os.WriteFile(tmp, []byte(strconv.FormatUint(seq, 10)), 0o600) == nil {
		os.Rename(tmp, filepath.Join(dataDir, invalidationSeqFile))
	}
}

func loadInvalidationSeq(dataDir string) uint64 {
	b, err := os.ReadFile(filepath.Join(dataDir, invalidationSeqFile))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}
