package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
)

// consumerPrefix names the per-webhook consumers of WAMESH_DELIVERIES
// (replays and manual retries); eventConsumerPrefix those of WAMESH_EVENTS.
const (
	consumerPrefix      = "dispatcher-wh-"
	eventConsumerPrefix = "dispatcher-ev-"
)

// ConsumerName returns the durable consumer of a webhook's queued
// deliveries (replays and manual retries) on WAMESH_DELIVERIES.
func ConsumerName(webhook string) string { return consumerPrefix + webhook }

// EventConsumerName returns the durable consumer of a webhook's events on
// WAMESH_EVENTS.
func EventConsumerName(webhook string) string { return eventConsumerPrefix + webhook }

// shape is what a webhook's consumers are built from; a change restarts the
// endpoint. (Subject filters are updated in place: see update.)
type shape struct {
	ordered     bool
	concurrency int
}

func (d *Dispatcher) shapeOf(w control.Webhook) shape {
	s := shape{concurrency: w.Concurrency}
	switch {
	case w.Ordered:
		s.ordered, s.concurrency = true, 1
	case s.concurrency <= 0:
		s.concurrency = d.opt.DefaultConcurrency
	}
	return s
}

// endpoint is the worker of one enabled webhook.
type endpoint struct {
	d        *Dispatcher
	id       string
	shape    shape
	limiter  *rate.Limiter
	breaker  *breaker
	health   *health
	settler  *settler        // acks deliveries once their attempt events are stored
	backlogs [2]atomic.Int64 // messages waiting per consumer, as last seen

	filtersLock sync.Mutex // guards filters
	filters     []string   // of the event consumer: webhookFilters

	signerLock  sync.Mutex // guards signerCache
	signerCache signerCache

	cancel context.CancelFunc
	done   chan struct{}
}

func limitOf(w control.Webhook) (rate.Limit, int) {
	if w.RateLimit <= 0 {
		return rate.Inf, 1
	}
	return rate.Limit(w.RateLimit), w.RateLimit
}

func (d *Dispatcher) startEndpoint(ctx context.Context, w control.Webhook) *endpoint {
	lim, burst := limitOf(w)
	ctx, cancel := context.WithCancel(ctx)
	e := &endpoint{
		d: d, id: w.ID, shape: d.shapeOf(w), filters: webhookFilters(w),
		limiter: rate.NewLimiter(lim, burst),
		breaker: newBreaker(d.opt.BreakerThreshold, d.opt.BreakerCooldown),
		cancel:  cancel, done: make(chan struct{}),
	}
	go e.run(ctx)
	return e
}

func (e *endpoint) stop() {
	e.cancel()
	<-e.done
}

// update applies settings that need no restart. Changed event types or
// sessions are applied to the event consumer at once, in place (it keeps
// its position): restarting the endpoint first would wait for in-flight
// requests, and events of a newly wanted type stored meanwhile would be
// skipped by the old filters.
func (e *endpoint) update(ctx context.Context, w control.Webhook) {
	lim, burst := limitOf(w)
	e.limiter.SetLimit(lim)
	e.limiter.SetBurst(burst)
	want := webhookFilters(w)
	e.filtersLock.Lock()
	changed := !slices.Equal(e.filters, want)
	e.filters = want
	e.filtersLock.Unlock()
	if changed {
		if _, err := e.eventConsumer(ctx, w); err != nil {
			e.d.logger.Warn("update event filters", "webhook", e.id, "err", err)
		}
	}
}

// checkFilters applies the filters again when the server's differ: an
// older instance during a rolling update, or a failed update, may have
// left others, and nothing else would notice until the webhook changes.
func (e *endpoint) checkFilters(ctx context.Context) {
	c, err := e.d.js.Consumer(ctx, natsx.StreamEvents, EventConsumerName(e.id))
	if err != nil {
		return
	}
	w, ok := e.d.webhooks.Get(e.id)
	e.filtersLock.Lock()
	same := slices.Equal(slices.Sorted(slices.Values(c.CachedInfo().Config.FilterSubjects)), e.filters)
	e.filtersLock.Unlock()
	if same || !ok {
		return
	}
	e.d.logger.Info("event filters changed on the server; applying them again", "webhook", e.id)
	if _, err := e.eventConsumer(ctx, w); err != nil {
		e.d.logger.Warn("update event filters", "webhook", e.id, "err", err)
	}
}

func (e *endpoint) run(ctx context.Context) {
	defer close(e.done)
	e.health = loadHealth(ctx, e.d.healthKV, e.id)
	e.settler = e.d.startSettler(e.id)
	defer e.settler.close() // after loop: no attempt is left to add to it
	for ctx.Err() == nil {
		events, queued, err := e.consumers(ctx)
		if err != nil {
			e.d.logger.Warn("create delivery consumers", "webhook", e.id, "err", err)
			waitFor(ctx, time.Second)
			continue
		}
		e.loop(ctx, events, queued) // returns early only when pulling failed: start over
	}
}

// consumers creates or updates the webhook's two durable consumers: its
// events on WAMESH_EVENTS, filtered by the server, and its queued
// deliveries (replays, manual retries) on WAMESH_DELIVERIES. Ordered
// endpoints allow one unacknowledged message per consumer, so a message
// waiting for its retry holds back every later one. Others allow
// concurrency plus the parked retries, so a failing message never blocks
// the rest; the local slots cap the requests actually in flight.
func (e *endpoint) consumers(ctx context.Context) (events, queued jetstream.Consumer, err error) {
	w, ok := e.d.webhooks.Get(e.id)
	if !ok {
		return nil, nil, fmt.Errorf("webhook %s: %w", e.id, errGone)
	}
	if events, err = e.eventConsumer(ctx, w); err != nil {
		return nil, nil, err
	}
	queued, err = e.d.js.CreateOrUpdateConsumer(ctx, natsx.StreamDeliveries, jetstream.ConsumerConfig{
		Durable:       ConsumerName(e.id),
		Description:   "dispatcher: replays and retries for webhook " + e.id,
		FilterSubject: DeliverySubject(e.id),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.d.opt.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: e.maxAckPending(),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("consumer %s: %w", ConsumerName(e.id), err)
	}
	return events, queued, nil
}

func (e *endpoint) maxAckPending() int {
	if e.shape.ordered {
		return 1
	}
	return e.shape.concurrency + e.d.opt.MaxParked
}

// eventConsumer creates or updates the webhook's consumer on WAMESH_EVENTS.
func (e *endpoint) eventConsumer(ctx context.Context, w control.Webhook) (jetstream.Consumer, error) {
	e.filtersLock.Lock()
	filters := slices.Clone(e.filters)
	e.filtersLock.Unlock()
	cfg := jetstream.ConsumerConfig{
		Durable:        EventConsumerName(e.id),
		Description:    "dispatcher: events for webhook " + e.id,
		FilterSubjects: filters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        e.d.opt.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  e.maxAckPending(),
	}
	e.startAt(ctx, w, &cfg)
	c, err := e.d.js.CreateOrUpdateConsumer(ctx, natsx.StreamEvents, cfg)
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", EventConsumerName(e.id), err)
	}
	return c, nil
}

// startAt sets where the webhook's event consumer starts: a second before
// the webhook was created (the gateway's clock and the server's may differ
// a little; Matches re-checks the creation time), so a new webhook is not
// flooded with history and one created while no dispatcher ran still gets
// every event since. A webhook from before the upgrade from the shared
// fan-out starts after the last event the fan-out had copied. An existing
// consumer keeps its start, which the server does not let change.
func (e *endpoint) startAt(ctx context.Context, w control.Webhook, cfg *jetstream.ConsumerConfig) {
	if c, err := e.d.js.Consumer(ctx, natsx.StreamEvents, EventConsumerName(e.id)); err == nil {
		have := c.CachedInfo().Config
		cfg.DeliverPolicy, cfg.OptStartTime, cfg.OptStartSeq = have.DeliverPolicy, have.OptStartTime, have.OptStartSeq
		return
	}
	switch up := e.d.upgrade; {
	case up.floor > 0 && w.CreatedAt.Before(up.at):
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, up.floor+1
	case w.CreatedAt.IsZero():
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	default:
		t := w.CreatedAt.Add(-time.Second)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	}
}

// loop delivers each message in its own goroutine, at most concurrency at
// once; it returns when ctx ends, after in-flight attempts end. Messages
// stream in over one pull subscription per consumer that keeps at most
// concurrency of them buffered. While the breaker is open nothing is taken
// from the buffers.
func (e *endpoint) loop(ctx context.Context, consumers ...jetstream.Consumer) {
	lctx, stop := context.WithCancel(ctx) // pulling, until a consumer fails
	feed := make(chan pulled)
	var pullers sync.WaitGroup
	defer pullers.Wait() // runs after stop: they end
	defer stop()
	for i, cons := range consumers {
		it, err := cons.Messages(jetstream.PullMaxMessages(e.shape.concurrency), jetstream.PullExpiry(max(e.d.opt.FetchWait, time.Second)))
		if err != nil {
			e.d.logger.Warn("pull deliveries", "webhook", e.id, "err", err)
			waitFor(ctx, time.Second)
			return
		}
		pullers.Go(func() { e.pull(lctx, it, &e.backlogs[i], feed, stop) })
	}
	slots := make(chan struct{}, e.shape.concurrency)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	jobs := make(chan job) // to an idle worker
	defer close(jobs)      // before inflight.Wait: idle workers end
	for lctx.Err() == nil {
		if !e.admit(lctx, slots) {
			continue
		}
		var p pulled
		select {
		case p = <-feed:
		case <-lctx.Done():
			<-slots
			return
		}
		j := job{msg: p.msg, md: p.md, slots: slots}
		select {
		case jobs <- j:
		default: // every worker busy: one more, kept for the loop's lifetime
			inflight.Go(func() { e.work(ctx, j, jobs) })
		}
	}
}

// pulled is a message taken from a consumer, with its metadata.
type pulled struct {
	msg jetstream.Msg
	md  *jetstream.MsgMetadata // nil if unreadable
}

// pull hands its messages to feed until ctx ends. When the consumer is
// gone or the subscription closed it calls restart, so run starts over with
// new consumers.
func (e *endpoint) pull(ctx context.Context, it jetstream.MessagesContext, backlog *atomic.Int64, feed chan<- pulled, restart func()) {
	go func() { <-ctx.Done(); it.Stop() }()
	for {
		m, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) ||
				errors.Is(err, jetstream.ErrConsumerNotFound) || ctx.Err() != nil {
				restart()
				return
			}
			e.d.logger.Debug("pull deliveries", "webhook", e.id, "err", err)
			continue
		}
		md, _ := m.Metadata() // parsed once per message: attempt needs it too
		if md != nil {
			backlog.Store(int64(md.NumPending))
		}
		select {
		case feed <- pulled{msg: m, md: md}:
		case <-ctx.Done():
			_ = m.Nak() // not attempted: hand it back at once
			restart()
			return
		}
	}
}

// job is one message for a worker; the loop took one of slots for it.
type job struct {
	msg   jetstream.Msg
	md    *jetstream.MsgMetadata
	slots chan struct{}
}

// work runs attempts until jobs is closed. Workers outlive their attempts
// so that each delivery does not start a goroutine and grow its stack
// again; there are as many as attempts ever ran (or were being recorded)
// at once.
func (e *endpoint) work(ctx context.Context, j job, jobs <-chan job) {
	for ok := true; ok; j, ok = <-jobs {
		released := false
		release := func() {
			if !released {
				released = true
				<-j.slots
			}
		}
		e.attempt(ctx, j.msg, j.md, release)
		release()
	}
}

// admit takes a slot for the next request if the breaker allows one. The
// breaker is read after the slot is taken, so a failure that frees a slot
// is counted before the next request starts. Half-open, it also waits for
// every other request to end, so the probe is alone. It returns false
// (holding no slot) when the breaker is open or ctx ended.
func (e *endpoint) admit(ctx context.Context, slots chan struct{}) bool {
	if !acquire(ctx, slots, 1) {
		return false
	}
	wait, probe := e.breaker.state(time.Now())
	if probe && wait == 0 {
		others := cap(slots) - 1
		if !acquire(ctx, slots, others) {
			return false
		}
		wait, _ = e.breaker.state(time.Now())
		for range others {
			<-slots
		}
	}
	if wait > 0 {
		<-slots
		waitFor(ctx, wait)
		return false
	}
	return true
}

// acquire takes n slots; false when ctx ended first (the slots taken are
// abandoned with the loop).
func acquire(ctx context.Context, slots chan struct{}, n int) bool {
	for range n {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// waitFor waits d or until ctx ends.
func waitFor(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
