package bus

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// settleTimeout bounds how long Start waits for a forming JetStream cluster
// to accept the buckets and stream, when the caller's context has no
// deadline of its own.
const settleTimeout = 60 * time.Second

// attemptTimeout bounds one try, so that a request no leader answers is
// tried again rather than waited on until the end.
const attemptTimeout = 5 * time.Second

// whileClusterSettles runs op until it succeeds, fails for a reason that
// waiting cannot cure, or the time is up. A cluster whose servers have just
// started has a meta leader before every peer is known online, and then
// refuses replicated assets with "no suitable peers for placement"; a
// process started alongside it should wait, not exit.
func whileClusterSettles(ctx context.Context, op func(context.Context) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, settleTimeout)
		defer cancel()
	}
	wait := 100 * time.Millisecond
	for {
		attempt, cancel := context.WithTimeout(ctx, attemptTimeout)
		err := op(attempt)
		cancel()
		if err == nil || !clusterSettling(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// clusterSettling reports whether err is one a JetStream cluster answers
// while it is still electing leaders or learning its peers.
func clusterSettling(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case 10005, // no suitable peers for placement
			10008: // JetStream system temporarily unavailable
			return true
		}
		return apiErr.Code == 503
	}
	// No reply in time: the cluster has no meta leader yet.
	return errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded)
}
