package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketHealth stores, per webhook, since when it has been failing
// continuously (key = webhook id, value = RFC 3339 time). A success deletes
// the key. Shared by every dispatcher instance and kept across restarts.
const BucketHealth = "wamesh_dispatcher_health"

func openHealth(ctx context.Context, js jetstream.JetStream) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: BucketHealth, Description: "dispatcher: webhook failing-since times", History: 1, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", BucketHealth, err)
	}
	return kv, nil
}

// health tracks how long one endpoint has been failing without a success.
type health struct {
	kv  jetstream.KeyValue
	key string

	sinceLock sync.Mutex // guards since
	since     time.Time  // zero = healthy
}

func loadHealth(ctx context.Context, kv jetstream.KeyValue, webhook string) *health {
	h := &health{kv: kv, key: webhook}
	if e, err := kv.Get(ctx, webhook); err == nil {
		h.since, _ = time.Parse(time.RFC3339Nano, string(e.Value()))
	}
	return h
}

// success marks the endpoint healthy. Clearing the stored time is bounded
// by publishTimeout.
func (h *health) success(ctx context.Context) error {
	h.sinceLock.Lock()
	was := h.since
	h.since = time.Time{}
	h.sinceLock.Unlock()
	if was.IsZero() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	if err := h.kv.Delete(ctx, h.key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("clear health of %s: %w", h.key, err)
	}
	return nil
}

// failure records a failure at now and returns how long the endpoint has
// been failing continuously.
func (h *health) failure(ctx context.Context, now time.Time) (time.Duration, error) {
	h.sinceLock.Lock()
	first := h.since.IsZero()
	if first {
		h.since = now
	}
	since := h.since
	h.sinceLock.Unlock()
	if first {
		if _, err := h.kv.Put(ctx, h.key, []byte(now.UTC().Format(time.RFC3339Nano))); err != nil {
			return 0, fmt.Errorf("store health of %s: %w", h.key, err)
		}
	}
	return now.Sub(since), nil
}
