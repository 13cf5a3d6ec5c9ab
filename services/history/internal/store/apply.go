package store

import (
	"context"
	"sync/atomic"
)

// upsertsAfterConflict is how many batches skip the optimistic attempt
// after one failed on an existing row: a redelivery storm then wastes one
// attempt per this many batches, not one per batch.
const upsertsAfterConflict = 32

// optimism decides which batches first try plain INSERTs for their events
// and messages. Nearly every event is new, and an INSERT ... ON CONFLICT
// probes the primary key of every row before inserting it (a fifth of
// the database's work per ingested event, measured in BENCHMARKS.md);
// a plain INSERT lets the unique index find the rare duplicate instead.
type optimism struct {
	// conflict reports whether err is a unique violation.
	conflict func(err error) bool
	// upserts counts the batches left that skip the attempt.
	upserts atomic.Int32
}

// try reports whether the next batch should try plain INSERTs.
func (o *optimism) try() bool {
	for {
		n := o.upserts.Load()
		if n <= 0 {
			return true
		}
		if o.upserts.CompareAndSwap(n, n-1) {
			return false
		}
	}
}

// Apply writes b in one transaction. With optimism (Postgres) it first
// tries plain INSERTs for new events and messages; if one of them exists
// that transaction rolls back whole, and b is written again with the
// idempotent upserts, so duplicates and redeliveries end as they would
// without the attempt.
func (s *sqlStore) Apply(ctx context.Context, b *Batch) error {
	if b.Len() == 0 {
		return nil
	}
	if o := s.optimism; o != nil && o.try() {
		err := s.inTx(ctx, func(r runner) error { return writeBatch(ctx, r, b, true) })
		if err == nil || !o.conflict(err) {
			return err
		}
		o.upserts.Store(upsertsAfterConflict)
	}
	return s.inTx(ctx, func(r runner) error { return writeBatch(ctx, r, b, false) })
}
