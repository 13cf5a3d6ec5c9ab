package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotFound is returned by Get when the key does not exist (or was deleted).
var ErrNotFound = errors.New("not found")

// Get reads and decodes one record, returning it with its revision.
func Get[T any](ctx context.Context, kv jetstream.KeyValue, key string) (T, uint64, error) {
	var v T
	e, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return v, 0, ErrNotFound
	}
	if err != nil {
		return v, 0, fmt.Errorf("kv get %s: %w", key, err)
	}
	if err := json.Unmarshal(e.Value(), &v); err != nil {
		return v, 0, fmt.Errorf("decode %s: %w", key, err)
	}
	return v, e.Revision(), nil
}

// Put encodes and stores a record, returning the new revision.
func Put[T any](ctx context.Context, kv jetstream.KeyValue, key string, v T) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	rev, err := kv.Put(ctx, key, b)
	if err != nil {
		return 0, fmt.Errorf("kv put %s: %w", key, err)
	}
	return rev, nil
}

// Create stores a record only if the key does not exist; jetstream.ErrKeyExists otherwise.
func Create[T any](ctx context.Context, kv jetstream.KeyValue, key string, v T) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	rev, err := kv.Create(ctx, key, b)
	if err != nil {
		return 0, fmt.Errorf("kv create %s: %w", key, err)
	}
	return rev, nil
}

// Update stores a record only if its revision is still rev (compare-and-swap).
func Update[T any](ctx context.Context, kv jetstream.KeyValue, key string, v T, rev uint64) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	nrev, err := kv.Update(ctx, key, b, rev)
	if err != nil {
		return 0, fmt.Errorf("kv update %s: %w", key, err)
	}
	return nrev, nil
}
