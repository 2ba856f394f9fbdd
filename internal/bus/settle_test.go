package bus

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

func TestWhileClusterSettles_RetriesPlacementErrorsOnly(t *testing.T) {
	noPeers := &jetstream.APIError{Code: 400, ErrorCode: 10005, Description: "no suitable peers for placement, peer offline"}
	calls := 0
	err := whileClusterSettles(context.Background(), func(context.Context) error {
		calls++
		if calls < 3 {
			return fmt.Errorf("create: %w", noPeers)
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err=%v calls=%d, want nil after 3 calls", err, calls)
	}

	bad := &jetstream.APIError{Code: 400, ErrorCode: 10003, Description: "bad request"}
	calls = 0
	err = whileClusterSettles(context.Background(), func(context.Context) error { calls++; return bad })
	if !errors.Is(err, bad) || calls != 1 {
		t.Fatalf("err=%v calls=%d, want the bad request after 1 call", err, calls)
	}
}

func TestWhileClusterSettles_GivesUpWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := whileClusterSettles(ctx, func(context.Context) error {
		calls++
		if calls == 2 {
			cancel()
		}
		return &jetstream.APIError{Code: 503, ErrorCode: 10008}
	})
	if err == nil || calls != 2 {
		t.Fatalf("err=%v calls=%d, want the last error after 2 calls", err, calls)
	}
}
