package control

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Cache is an in-memory copy of a KV bucket kept current by a watch. Reads
// cost no I/O. Undecodable values are logged and skipped.
type Cache[T any] struct {
	bucket string
	logger *slog.Logger

	entriesLock sync.RWMutex
	entries     map[string]T
	revisions   map[string]uint64

	ready    chan struct{}
	onChange func(key string, v T, deleted bool)
}

// WatchOption configures a Cache.
type WatchOption[T any] func(*Cache[T])

// OnChange registers a callback run (in the watch goroutine) after each change
// is applied, including the initial values.
func OnChange[T any](fn func(key string, v T, deleted bool)) WatchOption[T] {
	return func(c *Cache[T]) { c.onChange = fn }
}

// Watch starts watching every key of kv into a Cache until ctx ends. It
// returns after the initial values are loaded.
func Watch[T any](ctx context.Context, kv jetstream.KeyValue, logger *slog.Logger, opts ...WatchOption[T]) (*Cache[T], error) {
	if logger == nil {
		logger = slog.Default()
	}
	c := &Cache[T]{
		bucket:    kv.Bucket(),
		logger:    logger,
		entries:   map[string]T{},
		revisions: map[string]uint64{},
		ready:     make(chan struct{}),
	}
	for _, o := range opts {
		o(c)
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", c.bucket, err)
	}
	go c.run(ctx, w)
	select {
	case <-c.ready:
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("watch %s: %w", c.bucket, ctx.Err())
	}
}

func (c *Cache[T]) run(ctx context.Context, w jetstream.KeyWatcher) {
	defer w.Stop()
	initial := true
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil { // end of initial values
				if initial {
					initial = false
					close(c.ready)
				}
				continue
			}
			c.apply(e)
		}
	}
}

func (c *Cache[T]) apply(e jetstream.KeyValueEntry) {
	key := e.Key()
	var v T
	deleted := e.Operation() != jetstream.KeyValuePut
	if !deleted {
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			c.logger.Error("undecodable kv value skipped", "bucket", c.bucket, "key", key, "err", err)
			return
		}
	}
	c.entriesLock.Lock()
	if deleted {
		delete(c.entries, key)
		delete(c.revisions, key)
	} else {
		c.entries[key] = v
		c.revisions[key] = e.Revision()
	}
	c.entriesLock.Unlock()
	if c.onChange != nil {
		c.onChange(key, v, deleted)
	}
}

// Get returns the cached value of key.
func (c *Cache[T]) Get(key string) (T, bool) {
	c.entriesLock.RLock()
	defer c.entriesLock.RUnlock()
	v, ok := c.entries[key]
	return v, ok
}

// Revision returns the revision of the cached value of key (0 if absent).
func (c *Cache[T]) Revision(key string) uint64 {
	c.entriesLock.RLock()
	defer c.entriesLock.RUnlock()
	return c.revisions[key]
}

// All returns a snapshot of every entry that passes keep (nil = all).
func (c *Cache[T]) All(keep func(key string, v T) bool) map[string]T {
	c.entriesLock.RLock()
	defer c.entriesLock.RUnlock()
	out := make(map[string]T, len(c.entries))
	for k, v := range c.entries {
		if keep == nil || keep(k, v) {
			out[k] = v
		}
	}
	return out
}

// Len returns the number of entries.
func (c *Cache[T]) Len() int {
	c.entriesLock.RLock()
	defer c.entriesLock.RUnlock()
	return len(c.entries)
}
