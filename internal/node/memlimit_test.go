package node

import (
	"io"
	"log/slog"
	"runtime/debug"
	"testing"
)

func TestApplyMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	t.Setenv("GOMEMLIMIT", "")
	if got, want := ApplyMemoryLimit(8<<30, log), int64(10<<30+256<<20); got != want {
		t.Errorf("8 GiB tier: limit %d, want %d", got, want)
	}
	if got := debug.SetMemoryLimit(-1); got != 10<<30+256<<20 {
		t.Errorf("the runtime's limit is %d", got)
	}

	// An operator's GOMEMLIMIT wins: the runtime read it at start, and
	// ApplyMemoryLimit leaves whatever is in force alone.
	debug.SetMemoryLimit(3 << 30)
	t.Setenv("GOMEMLIMIT", "3GiB")
	if got := ApplyMemoryLimit(8<<30, log); got != 3<<30 {
		t.Errorf("with GOMEMLIMIT: limit %d, want 3 GiB kept", got)
	}
}
