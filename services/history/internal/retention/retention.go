// Package retention deletes history older than each tenant's retention, in
// small batches so deletion never holds long locks.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wamesh/wamesh/services/history/internal/store"
)

// MetadataKey is the tenant metadata key overriding the default retention
// (a Go duration such as "720h"; "0" keeps forever).
const MetadataKey = "historyRetention"

// DefaultBatch is the number of rows deleted per statement.
const DefaultBatch = 5000

// Policy returns a tenant's retention; 0 keeps everything.
type Policy func(tenant string) time.Duration

// Trimmer applies a Policy periodically.
type Trimmer struct {
	Store    store.Store
	Policy   Policy
	Interval time.Duration    // between runs
	Batch    int              // rows per delete statement (DefaultBatch)
	Log      *slog.Logger     // optional
	Now      func() time.Time // optional clock
}

// Run trims now and then every Interval until ctx ends.
func (r *Trimmer) Run(ctx context.Context) error {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		if n, err := r.RunOnce(ctx); err != nil {
			r.log().Warn("history retention", "err", err)
		} else if n > 0 {
			r.log().Info("history retention deleted rows", "rows", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce trims every tenant once and returns the rows deleted.
func (r *Trimmer) RunOnce(ctx context.Context) (int64, error) {
	tenants, err := r.Store.Tenants(ctx)
	if err != nil {
		return 0, err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	batch := r.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	var total int64
	for _, tenant := range tenants {
		keep := r.Policy(tenant)
		if keep <= 0 {
			continue
		}
		cutoff := now().Add(-keep)
		for {
			n, err := r.Store.DeleteBefore(ctx, tenant, cutoff, batch)
			if err != nil {
				return total, fmt.Errorf("trim tenant %s: %w", tenant, err)
			}
			total += n
			if n == 0 || ctx.Err() != nil {
				break
			}
		}
	}
	return total, ctx.Err()
}

func (r *Trimmer) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// WithOverrides returns a Policy using def unless override reports a
// tenant-specific duration (from tenant metadata, MetadataKey).
func WithOverrides(def time.Duration, metadata func(tenant string) (map[string]string, bool), log *slog.Logger) Policy {
	return func(tenant string) time.Duration {
		md, ok := metadata(tenant)
		if !ok || md[MetadataKey] == "" {
			return def
		}
		d, err := time.ParseDuration(md[MetadataKey])
		if err != nil || d < 0 {
			if log != nil {
				log.Warn("ignoring bad tenant history retention", "tenant", tenant, "value", md[MetadataKey])
			}
			return def
		}
		return d
	}
}
