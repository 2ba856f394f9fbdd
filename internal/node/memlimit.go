package node

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// memoryLimit is the soft memory limit an edge with a memory tier of
// cacheMem bytes runs under: the tier (whose charges are what its objects
// really take), a quarter more for fills in flight and the collector's
// slack, and 256 MiB for everything else (buffers, the engine, TLS).
// Without one, Go lets the heap reach twice what is live before it
// collects, so a full 8 GiB tier could take 16 GiB.
func memoryLimit(cacheMem int64) int64 {
	return cacheMem + cacheMem/4 + 256<<20
}

// ApplyMemoryLimit sets memoryLimit(cacheMem) as the process's soft memory
// limit unless the operator set GOMEMLIMIT, which wins. Below the limit
// the collector paces itself as usual (GOGC), so a small cache pays
// nothing; near it, it collects sooner instead of letting the process
// grow. It returns the limit in force.
func ApplyMemoryLimit(cacheMem int64, log *slog.Logger) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1)
	}
	limit := memoryLimit(cacheMem)
	debug.SetMemoryLimit(limit)
	log.Debug("soft memory limit set from --cache-mem (GOMEMLIMIT overrides it)", "bytes", limit)
	return limit
}
