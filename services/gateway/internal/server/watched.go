package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
)

// watched is a control.Cache whose readers can wait until it has caught up
// with their own write (read-your-writes after a KV put).
type watched[T any] struct {
	*control.Cache[T]

	changedLock sync.Mutex
	changed     chan struct{} // closed and replaced on every change
}

func watch[T any](ctx context.Context, kv jetstream.KeyValue, logger *slog.Logger) (*watched[T], error) {
	w := &watched[T]{changed: make(chan struct{})}
	c, err := control.Watch[T](ctx, kv, logger, control.OnChange[T](func(string, T, bool) { w.notify() }))
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", kv.Bucket(), err)
	}
	w.Cache = c
	return w, nil
}

func (w *watched[T]) notify() {
	w.changedLock.Lock()
	close(w.changed)
	w.changed = make(chan struct{})
	w.changedLock.Unlock()
}

// waitFor blocks until cond holds (checked after every change) or ctx ends.
func (w *watched[T]) waitFor(ctx context.Context, cond func() bool) error {
	for {
		w.changedLock.Lock()
		ch := w.changed
		w.changedLock.Unlock()
		if w.Cache != nil && cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for cache: %w", ctx.Err())
		}
	}
}

// waitRev waits until the cache holds key at revision rev or later.
func (w *watched[T]) waitRev(ctx context.Context, key string, rev uint64) error {
	return w.waitFor(ctx, func() bool { return w.Revision(key) >= rev })
}

// waitGone waits until key is deleted from the cache.
func (w *watched[T]) waitGone(ctx context.Context, key string) error {
	return w.waitFor(ctx, func() bool { _, ok := w.Get(key); return !ok })
}
