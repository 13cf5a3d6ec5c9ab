package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketAttempts holds the number of the last attempt made for deliveries
// waiting for a retry. Key: <webhook>.<delivery id>. A delivery message's
// redelivery count is no attempt count: a message handed back at shutdown,
// or while its endpoint was being disabled, was never tried. Entries are
// written only when an attempt fails and removed when the delivery settles,
// so a delivery that succeeds at once never touches the bucket.
const BucketAttempts = "wamesh_dispatcher_attempts"

type attemptStore struct{ kv jetstream.KeyValue }

// openAttemptStore opens the bucket; entries outlive the longest wait
// between two attempts (ttl), which only matters if removing one failed.
func openAttemptStore(ctx context.Context, js jetstream.JetStream, ttl time.Duration) (*attemptStore, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: BucketAttempts, Description: "dispatcher: attempts made of deliveries awaiting a retry",
		History: 1, TTL: ttl, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", BucketAttempts, err)
	}
	return &attemptStore{kv: kv}, nil
}

// last returns the number of the last attempt recorded for dl, 0 if none.
func (s *attemptStore) last(ctx context.Context, dl delivery) (int, error) {
	e, err := s.kv.Get(ctx, failedKey(dl.Webhook, dl.DeliveryID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read attempts: %w", err)
	}
	n, err := strconv.Atoi(string(e.Value()))
	if err != nil {
		return 0, fmt.Errorf("decode attempts of %s: %w", dl.DeliveryID, err)
	}
	return n, nil
}

// record notes that attempt n of dl failed and a retry follows; a failed
// write is tried once more.
func (s *attemptStore) record(ctx context.Context, dl delivery, n int) error {
	var err error
	for range 2 {
		if _, err = s.kv.Put(ctx, failedKey(dl.Webhook, dl.DeliveryID), []byte(strconv.Itoa(n))); err == nil {
			return nil
		}
	}
	return fmt.Errorf("record attempt: %w", err)
}

// markMoved notes that dl's retry was moved to WAMESH_DELIVERIES. The mark
// outlives the delivery (it expires with the bucket's TTL): an event that
// comes back after its moved copy already succeeded must not be sent
// again.
func (s *attemptStore) markMoved(ctx context.Context, dl delivery) error {
	if _, err := s.kv.Put(ctx, movedKey(dl), []byte("1")); err != nil {
		return fmt.Errorf("mark retry moved: %w", err)
	}
	return nil
}

// movedKey is dl's moved mark: beside its count, so deleting the webhook
// purges it with the counts.
func movedKey(dl delivery) string { return failedKey(dl.Webhook, dl.DeliveryID) + ".moved" }

// moved reports whether dl's retry was moved to WAMESH_DELIVERIES.
func (s *attemptStore) moved(ctx context.Context, dl delivery) (bool, error) {
	_, err := s.kv.Get(ctx, movedKey(dl))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// forget removes dl's count once it settled.
func (s *attemptStore) forget(ctx context.Context, dl delivery) error {
	if err := s.kv.Delete(ctx, failedKey(dl.Webhook, dl.DeliveryID)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("forget attempts: %w", err)
	}
	return nil
}

// attemptNumber returns the number of the attempt about to be made with m
// (md is its metadata, nil if unreadable), and whether a count may be
// stored for it (to be removed when the delivery settles). The first
// delivery of a message with no attempts before it (AttemptBase: a retry
// moved to WAMESH_DELIVERIES, a manual retry) is attempt 1; otherwise the
// stored count decides. When the count cannot be read, the redelivery
// count stands in (less the early hand-back of a moved retry).
func (e *endpoint) attemptNumber(ctx context.Context, dl delivery, md *jetstream.MsgMetadata) (n int, counted bool) {
	first := md == nil || md.NumDelivered <= 1
	if first && dl.AttemptBase == 0 {
		return 1, false
	}
	last, err := e.d.attempts.last(ctx, dl)
	if err != nil {
		e.d.logger.Warn("read attempt count", "webhook", e.id, "delivery", dl.DeliveryID, "err", err)
		if first {
			return dl.AttemptBase + 1, true
		}
		early := 0
		if !dl.NotBefore.IsZero() {
			early = 1
		}
		return dl.AttemptBase + max(int(md.NumDelivered)-early, 1), true
	}
	// A count below the base is a leftover of the delivery's exhausted
	// run before a manual retry.
	return max(last, dl.AttemptBase) + 1, true
}
