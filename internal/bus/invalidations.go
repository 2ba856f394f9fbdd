package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Invalidations travel on a JetStream stream: the control plane publishes
// each one (getting its sequence number), and every edge reads the stream
// through a durable consumer of its own, so an edge that was away replays
// what it missed before it reports itself caught up.
const (
	InvalidationStream  = "PHAROS_INVALIDATIONS"
	invalidationSubject = "pharos.inval."
	// InvalidationRetention is how long the stream keeps invalidations for
	// edges that are away.
	InvalidationRetention = 7 * 24 * time.Hour
)

// Invalidation asks every edge to drop a distribution's objects whose path
// matches one of Paths (CloudFront's rules: exact, or a prefix ending in *).
type Invalidation struct {
	ID             string    `json:"id"`
	DistributionID string    `json:"distributionId"`
	Paths          []string  `json:"paths,omitempty"`
	Tags           []string  `json:"tags,omitempty"` // Surrogate-Key / Cache-Tag values
	Soft           bool      `json:"soft,omitempty"` // mark stale instead of removing
	Created        time.Time `json:"created"`
}

// ensureInvalidationStream creates the stream if it does not exist. An
// existing one is left as it is: every role calls this at start, and an
// edge (asking for one replica) must not shrink what the control plane made
// with --nats-replicas.
func ensureInvalidationStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	err := whileClusterSettles(ctx, func(ctx context.Context) error {
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{
			Replicas:    replicas,
			Name:        InvalidationStream,
			Description: "Pharos invalidations, in order",
			Subjects:    []string{invalidationSubject + ">"},
			Storage:     jetstream.FileStorage,
			MaxAge:      InvalidationRetention,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("bus: ensure stream %s: %w", InvalidationStream, err)
	}
	return nil
}

// PublishInvalidation appends inv to the stream and returns its sequence.
func (b *Bus) PublishInvalidation(ctx context.Context, inv Invalidation) (uint64, error) {
	data, err := json.Marshal(inv)
	if err != nil {
		return 0, err
	}
	ack, err := b.js.Publish(ctx, invalidationSubject+inv.DistributionID, data)
	if err != nil {
		return 0, fmt.Errorf("bus: publish invalidation: %w", err)
	}
	return ack.Sequence, nil
}

// FollowInvalidations delivers every invalidation in order, starting with
// the first one the durable consumer name has not acknowledged, to apply;
// each is acknowledged once apply returns. It runs until ctx ends,
// resuming after engine outages.
func (b *Bus) FollowInvalidations(ctx context.Context, name string, apply func(seq uint64, inv Invalidation)) error {
	for ctx.Err() == nil {
		err := b.followInvalidationsOnce(ctx, name, apply)
		if err == nil || ctx.Err() != nil {
			break
		}
		b.log.Warn("bus: invalidation consumer failed; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return ctx.Err()
}

func (b *Bus) followInvalidationsOnce(ctx context.Context, name string, apply func(uint64, Invalidation)) error {
	// After a reconnect (say, to another server of a cluster) pulls issued
	// to the old server may never be answered: start over then.
	reconnected := b.reconn.wait()
	cons, err := b.js.CreateOrUpdateConsumer(ctx, InvalidationStream, jetstream.ConsumerConfig{
		Durable:       name,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		// One at a time keeps them in order.
		MaxAckPending: 1,
		// An ack lost with a cluster server would hold the next message
		// back until AckWait; applying an invalidation twice is harmless,
		// so redeliver soon.
		AckWait:           2 * time.Second,
		InactiveThreshold: InvalidationRetention,
	})
	if err != nil {
		return fmt.Errorf("consumer %s: %w", name, err)
	}
	failed := make(chan error, 1)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			m.Nak()
			return
		}
		var inv Invalidation
		if err := json.Unmarshal(m.Data(), &inv); err == nil {
			apply(md.Sequence.Stream, inv)
		}
		m.Ack()
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
			select {
			case failed <- err:
			default:
			}
		}
	}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", name, err)
	}
	defer cc.Stop()
	select {
	case <-ctx.Done():
		return nil
	case err := <-failed:
		return err
	case <-reconnected:
		return errors.New("reconnected to the engine: consuming again")
	}
}

// FirstInvalidation is the sequence of the oldest invalidation the stream
// still holds (older ones aged out), or the next one to come when it is
// empty.
func (b *Bus) FirstInvalidation(ctx context.Context) (uint64, error) {
	st, err := b.js.Stream(ctx, InvalidationStream)
	if err != nil {
		return 0, fmt.Errorf("bus: stream %s: %w", InvalidationStream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bus: stream %s info: %w", InvalidationStream, err)
	}
	if info.State.Msgs == 0 {
		return info.State.LastSeq + 1, nil
	}
	return info.State.FirstSeq, nil
}
