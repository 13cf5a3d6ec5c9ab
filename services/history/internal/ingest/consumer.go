package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// DurableName is the durable consumer of WAMESH_EVENTS owned by history.
const DurableName = "history"

// Defaults of Consumer.
const (
	DefaultBatchSize   = 500
	DefaultLinger      = 5 * time.Millisecond
	DefaultRetryDelay  = 2 * time.Second
	DefaultPoisonAfter = 5
	applyTimeout       = 30 * time.Second
)

// Consumer writes WAMESH_EVENTS into the store in batches: one transaction
// per batch, acked only after commit. With several writers a batch's chat
// and contact rows go to one shared writer instead (see sharedWriter), and
// its events are acked after both commits. Poison events are terminated; on
// database errors the batch is negatively acknowledged with a delay.
type Consumer struct {
	Store       store.Store
	JS          jetstream.JetStream
	Log         *slog.Logger
	Options     Options
	BatchSize   int           // events per transaction (DefaultBatchSize)
	Linger      time.Duration // how long to wait for more events before writing (DefaultLinger)
	RetryDelay  time.Duration // Nak delay after a database error (DefaultRetryDelay)
	PoisonAfter int           // deliveries after which an event failing on a healthy database is terminated
	Writers     int           // batches written concurrently (1; upserts commute, so >1 is safe on Postgres)
	Meter       metric.Meter  // optional

	stats   Stats
	metrics consumerMetrics
	running atomic.Bool // the durable consumer exists and is being consumed
}

// Ready reports an error until the consumer is consuming (a /readyz check).
func (c *Consumer) Ready(context.Context) error {
	if !c.running.Load() {
		return errors.New("history consumer not started")
	}
	return nil
}

// Stats counts what the consumer did, for tests and logs.
type Stats struct {
	Stored   atomic.Int64 // events committed
	Poison   atomic.Int64 // events terminated
	Failures atomic.Int64 // failed batch writes
}

// Stats returns the live counters.
func (c *Consumer) Stats() *Stats { return &c.stats }

type consumerMetrics struct {
	stored, poison, failures metric.Int64Counter
}

func (c *Consumer) defaults() error {
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Linger <= 0 {
		c.Linger = DefaultLinger
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = DefaultRetryDelay
	}
	if c.Writers <= 0 {
		c.Writers = 1
	}
	if c.PoisonAfter <= 0 {
		c.PoisonAfter = DefaultPoisonAfter
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	m := c.Meter
	if m == nil {
		m = noop.NewMeterProvider().Meter("history")
	}
	var errs [3]error
	c.metrics.stored, errs[0] = m.Int64Counter("wamesh_history_events_stored", metric.WithDescription("events committed to the history database"))
	c.metrics.poison, errs[1] = m.Int64Counter("wamesh_history_events_poison", metric.WithDescription("events terminated as unstorable"))
	c.metrics.failures, errs[2] = m.Int64Counter("wamesh_history_batch_failures", metric.WithDescription("batch writes that failed and were retried"))
	return errors.Join(errs[:]...)
}

// ConsumerConfig is the durable consumer history creates (or updates).
func (c *Consumer) ConsumerConfig() jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       DurableName,
		Description:   "history: persists every event",
		FilterSubject: natsx.SubjectsEvents,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       applyTimeout + 30*time.Second,
		MaxAckPending: max(10_000, 2*(c.Writers+1)*c.BatchSize),
	}
}

// Run consumes until ctx ends; the batch in hand when it does is finished.
func (c *Consumer) Run(ctx context.Context) error {
	if err := c.defaults(); err != nil {
		return fmt.Errorf("history metrics: %w", err)
	}
	cons, err := c.JS.CreateOrUpdateConsumer(ctx, natsx.StreamEvents, c.ConsumerConfig())
	if ctx.Err() != nil {
		return nil // stopped during start-up: not an error
	}
	if err != nil {
		return fmt.Errorf("create history consumer: %w", err)
	}
	// Keep every writer fed: one batch per writer in flight plus one ready.
	buffered := (c.Writers + 1) * c.BatchSize
	inbox := make(chan jetstream.Msg, buffered)
	cc, err := cons.Consume(func(m jetstream.Msg) { inbox <- m },
		jetstream.PullMaxMessages(buffered),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			c.Log.Debug("history consumer", "err", err)
		}))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("consume %s: %w", natsx.StreamEvents, err)
	}
	c.running.Store(true)
	defer c.running.Store(false)
	var shared *sharedWriter
	if c.Writers > 1 {
		shared = c.startShared(ctx)
	}
	writers := make(chan struct{}, c.Writers)
	var wg sync.WaitGroup
	defer c.release(cc, inbox, &wg, shared)
	for {
		msgs := c.collect(ctx, inbox)
		if len(msgs) == 0 {
			return nil
		}
		writers <- struct{}{}
		wg.Go(func() {
			defer func() { <-writers }()
			c.process(ctx, msgs, shared)
		})
	}
}

// release stops consuming, waits for the writers and hands back what was
// delivered but not processed, so another instance gets it at once.
func (c *Consumer) release(cc jetstream.ConsumeContext, inbox chan jetstream.Msg, wg *sync.WaitGroup, shared *sharedWriter) {
	cc.Stop()
	wg.Wait()
	if shared != nil {
		shared.close()
	}
	for {
		select {
		case m := <-inbox:
			_ = m.Nak()
		case <-cc.Closed():
			for {
				select {
				case m := <-inbox:
					_ = m.Nak()
				default:
					return
				}
			}
		}
	}
}

// collect blocks for one message, then takes what arrives within Linger,
// up to BatchSize. It returns nil when ctx ends.
func (c *Consumer) collect(ctx context.Context, inbox <-chan jetstream.Msg) []jetstream.Msg {
	var msgs []jetstream.Msg
	select {
	case <-ctx.Done():
		return nil
	case m := <-inbox:
		msgs = append(make([]jetstream.Msg, 0, c.BatchSize), m)
	}
	linger := time.NewTimer(c.Linger)
	defer linger.Stop()
	for len(msgs) < c.BatchSize {
		select {
		case m := <-inbox:
			msgs = append(msgs, m)
		case <-linger.C:
			return msgs
		}
	}
	return msgs
}
