package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketFailed keeps deliveries whose retries are exhausted, so the retry
// operation can re-queue them without the event still being in
// WAMESH_EVENTS. Key: <webhook>.<delivery id>; entries expire after
// Options.FailedTTL.
const BucketFailed = "wamesh_dispatcher_failed"

// failedDelivery is a stored exhausted delivery.
type failedDelivery struct {
	delivery
	Attempts  int       `json:"attempts"`  // attempts made
	LastError string    `json:"lastError"` // reason of the last attempt
	FailedAt  time.Time `json:"failedAt"`
}

type failedStore struct{ kv jetstream.KeyValue }

func openFailedStore(ctx context.Context, js jetstream.JetStream, ttl time.Duration) (*failedStore, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: BucketFailed, Description: "dispatcher: exhausted deliveries kept for manual retry",
		History: 1, TTL: ttl, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", BucketFailed, err)
	}
	return &failedStore{kv: kv}, nil
}

func failedKey(webhook, deliveryID string) string { return webhook + "." + deliveryID }

func (s *failedStore) put(ctx context.Context, dl delivery, attempts int, reason string) error {
	b, err := json.Marshal(failedDelivery{delivery: dl, Attempts: attempts, LastError: reason, FailedAt: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("encode failed delivery: %w", err)
	}
	if _, err := s.kv.Put(ctx, failedKey(dl.Webhook, dl.DeliveryID), b); err != nil {
		return fmt.Errorf("store failed delivery: %w", err)
	}
	return nil
}

func (s *failedStore) get(ctx context.Context, webhook, deliveryID string) (failedDelivery, error) {
	var f failedDelivery
	e, err := s.kv.Get(ctx, failedKey(webhook, deliveryID))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return f, errNotFound
	}
	if err != nil {
		return f, fmt.Errorf("read failed delivery: %w", err)
	}
	if err := json.Unmarshal(e.Value(), &f); err != nil {
		return f, fmt.Errorf("decode failed delivery: %w", err)
	}
	return f, nil
}

func (s *failedStore) remove(ctx context.Context, webhook, deliveryID string) error {
	if err := s.kv.Delete(ctx, failedKey(webhook, deliveryID)); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("remove failed delivery: %w", err)
	}
	return nil
}
