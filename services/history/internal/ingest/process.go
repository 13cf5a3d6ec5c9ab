package ingest

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/services/history/internal/store"
)

// process writes one batch and acknowledges it: Ack after commit, Term
// for poison, NakWithDelay on database errors. With a shared writer the
// batch's chat and contact rows are committed by it, and it acks.
func (c *Consumer) process(ctx context.Context, msgs []jetstream.Msg, shared *sharedWriter) {
	var b store.Batch
	good := make([]jetstream.Msg, 0, len(msgs))
	for _, m := range msgs {
		if err := Add(&b, m.Data(), c.Options); err != nil {
			c.terminate(ctx, m, err)
			continue
		}
		good = append(good, m)
	}
	if len(good) == 0 {
		return
	}
	var rest *store.Batch
	if shared != nil {
		rest = b.TakeShared()
	}
	start := time.Now()
	err := c.apply(ctx, &b)
	c.Log.Debug("history batch written", "events", len(good), "took", time.Since(start), "err", err)
	switch {
	case err != nil:
		c.failed(ctx, err, good)
	case rest != nil && rest.Len() > 0:
		shared.send(rest, good)
	default:
		c.ackAll(ctx, good)
	}
}

// failed handles the events of a batch whose write failed: redelivery
// later while the database is down, else one by one to find the poison.
func (c *Consumer) failed(ctx context.Context, err error, msgs []jetstream.Msg) {
	c.stats.Failures.Add(1)
	c.metrics.failures.Add(ctx, 1)
	if !c.healthy(ctx) {
		c.Log.Warn("history database unavailable; events will be redelivered", "err", err, "events", len(msgs), "retry_in", c.RetryDelay)
		c.nakAll(msgs)
		return
	}
	c.Log.Warn("history batch failed on a healthy database; writing events one by one", "err", err, "events", len(msgs))
	for _, m := range msgs {
		c.processOne(ctx, m)
	}
}

// processOne isolates the event that breaks a batch: all its rows in one
// transaction.
func (c *Consumer) processOne(ctx context.Context, m jetstream.Msg) {
	var b store.Batch
	if err := Add(&b, m.Data(), c.Options); err != nil {
		c.terminate(ctx, m, err)
		return
	}
	err := c.apply(ctx, &b)
	if err == nil {
		c.ackAll(ctx, []jetstream.Msg{m})
		return
	}
	meta, merr := m.Metadata()
	if merr == nil && int(meta.NumDelivered) >= c.PoisonAfter && c.healthy(ctx) {
		c.terminate(ctx, m, err)
		return
	}
	c.Log.Warn("history event failed; will retry", "err", err, "subject", m.Subject())
	c.nakAll([]jetstream.Msg{m})
}

// apply writes b; a batch already pulled is finished even during shutdown.
func (c *Consumer) apply(ctx context.Context, b *store.Batch) error {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
	defer cancel()
	return c.Store.Apply(actx, b)
}

func (c *Consumer) healthy(ctx context.Context) bool {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	return c.Store.Ping(pctx) == nil
}

func (c *Consumer) ackAll(ctx context.Context, msgs []jetstream.Msg) {
	for _, m := range msgs {
		if err := m.Ack(); err != nil {
			c.Log.Warn("ack history event", "err", err, "subject", m.Subject())
		}
	}
	c.stats.Stored.Add(int64(len(msgs)))
	c.metrics.stored.Add(ctx, int64(len(msgs)))
}

func (c *Consumer) nakAll(msgs []jetstream.Msg) {
	for _, m := range msgs {
		if err := m.NakWithDelay(c.RetryDelay); err != nil {
			c.Log.Warn("nak history event", "err", err, "subject", m.Subject())
		}
	}
}

func (c *Consumer) terminate(ctx context.Context, m jetstream.Msg, cause error) {
	c.stats.Poison.Add(1)
	c.metrics.poison.Add(ctx, 1)
	c.Log.Error("history dropped a poison event", "err", cause, "subject", m.Subject())
	reason := cause.Error()
	if len(reason) > 200 {
		reason = reason[:200]
	}
	if err := m.TermWithReason(reason); err != nil {
		c.Log.Warn("term history event", "err", err, "subject", m.Subject())
	}
}
