package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/time/rate"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
)

// consumerPrefix names the per-webhook delivery consumers.
const consumerPrefix = "dispatcher-wh-"

// ConsumerName returns the durable consumer of a webhook's deliveries.
func ConsumerName(webhook string) string { return consumerPrefix + webhook }

// shape is what a webhook's consumer is built from; a change restarts the
// endpoint.
type shape struct {
	ordered     bool
	concurrency int
}

func (d *Dispatcher) shapeOf(w control.Webhook) shape {
	if w.Ordered {
		return shape{ordered: true, concurrency: 1}
	}
	c := w.Concurrency
	if c <= 0 {
		c = d.opt.DefaultConcurrency
	}
	return shape{concurrency: c}
}

// endpoint is the worker of one enabled webhook.
type endpoint struct {
	d       *Dispatcher
	id      string
	shape   shape
	limiter *rate.Limiter
	breaker *breaker
	health  *health
	settler *settler     // acks deliveries once their attempt events are stored
	backlog atomic.Int64 // messages waiting, as last seen

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
		d: d, id: w.ID, shape: d.shapeOf(w),
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

// update applies settings that need no restart.
func (e *endpoint) update(w control.Webhook) {
	lim, burst := limitOf(w)
	e.limiter.SetLimit(lim)
	e.limiter.SetBurst(burst)
}

func (e *endpoint) run(ctx context.Context) {
	defer close(e.done)
	e.health = loadHealth(ctx, e.d.healthKV, e.id)
	e.settler = e.d.startSettler(e.id)
	defer e.settler.close() // after loop: no attempt is left to add to it
	for ctx.Err() == nil {
		cons, err := e.consumer(ctx)
		if err != nil {
			e.d.logger.Warn("create delivery consumer", "webhook", e.id, "err", err)
			waitFor(ctx, time.Second)
			continue
		}
		e.loop(ctx, cons) // returns early only when pulling failed: start over
	}
}

// consumer creates or updates the webhook's durable consumer. Ordered
// endpoints allow one unacknowledged message, so a message waiting for its
// retry holds back every later one. Others allow concurrency plus the
// parked retries, so a failing message never blocks the rest; the local
// slots cap the requests actually in flight.
func (e *endpoint) consumer(ctx context.Context) (jetstream.Consumer, error) {
	maxAck := 1
	if !e.shape.ordered {
		maxAck = e.shape.concurrency + e.d.opt.MaxParked
	}
	cons, err := e.d.js.CreateOrUpdateConsumer(ctx, natsx.StreamDeliveries, jetstream.ConsumerConfig{
		Durable:       ConsumerName(e.id),
		Description:   "dispatcher: deliveries of webhook " + e.id,
		FilterSubject: DeliverySubject(e.id),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       e.d.opt.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: maxAck,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", ConsumerName(e.id), err)
	}
	return cons, nil
}

// loop delivers each message in its own goroutine, at most concurrency at
// once; it returns when ctx ends, after in-flight attempts end. Messages
// stream in over one pull subscription that keeps at most concurrency of
// them buffered. While the breaker is open nothing is taken from the buffer.
func (e *endpoint) loop(ctx context.Context, cons jetstream.Consumer) {
	it, err := cons.Messages(jetstream.PullMaxMessages(e.shape.concurrency), jetstream.PullExpiry(max(e.d.opt.FetchWait, time.Second)))
	if err != nil {
		e.d.logger.Warn("pull deliveries", "webhook", e.id, "err", err)
		waitFor(ctx, time.Second)
		return
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		it.Stop()
	}()
	slots := make(chan struct{}, e.shape.concurrency)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	jobs := make(chan job) // to an idle worker
	defer close(jobs)      // before inflight.Wait: idle workers end
	for ctx.Err() == nil {
		if !e.admit(ctx, slots) {
			continue
		}
		m, err := it.Next()
		if err != nil {
			<-slots
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || errors.Is(err, jetstream.ErrConsumerDeleted) ||
				errors.Is(err, jetstream.ErrConsumerNotFound) || ctx.Err() != nil {
				return // run starts over with a new consumer, unless ctx ended
			}
			e.d.logger.Debug("pull deliveries", "webhook", e.id, "err", err)
			continue
		}
		md, _ := m.Metadata() // parsed once per message: attempt needs it too
		if md != nil {
			e.backlog.Store(int64(md.NumPending))
		}
		j := job{msg: m, md: md, slots: slots}
		select {
		case jobs <- j:
		default: // every worker busy: one more, kept for the loop's lifetime
			inflight.Go(func() { e.work(ctx, j, jobs) })
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
