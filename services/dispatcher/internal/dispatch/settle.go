package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/events"
)

// settleQueue is how many delivered messages may wait for their attempt
// events per endpoint before attempts block.
const settleQueue = 1024

// settlement is a delivered message whose attempt event is being stored.
type settlement struct {
	msg      jetstream.Msg          // the delivery, acked once event is stored
	event    *nats.Msg              // the webhook.delivery.succeeded event
	future   jetstream.PubAckFuture // its asynchronous store; nil if it was not queued
	deadline time.Time              // when to stop waiting for future
}

// settler acks delivered messages in the order they were queued, each only
// after its attempt event is stored, so the delivery log never misses a
// delivery that left the queue. Publishing the events asynchronously keeps
// the client from waiting a round trip per delivery; one goroutine per
// endpoint waits for the stores instead of one per delivery.
type settler struct {
	d       *Dispatcher
	webhook string
	queue   chan settlement
	done    chan struct{}
	timer   *time.Timer // reused by stored
}

func (d *Dispatcher) startSettler(webhook string) *settler {
	s := &settler{d: d, webhook: webhook, queue: make(chan settlement, settleQueue), done: make(chan struct{}), timer: time.NewTimer(time.Hour)}
	s.timer.Stop()
	go s.run()
	return s
}

// close settles what is queued and returns; no add may follow.
func (s *settler) close() {
	close(s.queue)
	<-s.done
}

// add stores ev asynchronously and queues m to be acked once it is stored.
func (s *settler) add(ctx context.Context, m jetstream.Msg, ev *nats.Msg) {
	st := settlement{msg: m, event: ev, deadline: time.Now().Add(publishTimeout)}
	fut, err := s.d.js.PublishMsgAsync(ev, jetstream.WithExpectStream(events.StreamName))
	if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
		wctx, cancel := context.WithDeadline(ctx, st.deadline)
		fut, err = s.d.publishAsync(wctx, ev, jetstream.WithExpectStream(events.StreamName))
		cancel()
	}
	if err != nil {
		s.d.logger.Debug("queue delivery outcome", "webhook", s.webhook, "err", err)
	} else {
		st.future = fut
	}
	s.queue <- st
}

func (s *settler) run() {
	defer close(s.done)
	for st := range s.queue {
		if !s.stored(st) {
			s.republish(st.event)
		}
		s.d.metrics.outcome(context.Background(), "delivered")
		_ = st.msg.Ack()
	}
}

// stored waits for the asynchronous store until the settlement's deadline.
func (s *settler) stored(st settlement) bool {
	if st.future == nil {
		return false
	}
	select {
	case <-st.future.Ok():
		return true
	case err := <-st.future.Err():
		s.d.logger.Debug("store delivery outcome", "webhook", s.webhook, "err", err)
		return false
	default:
	}
	wait := time.Until(st.deadline)
	if wait <= 0 {
		return false
	}
	s.timer.Reset(wait)
	defer s.timer.Stop()
	select {
	case <-st.future.Ok():
		return true
	case err := <-st.future.Err():
		s.d.logger.Debug("store delivery outcome", "webhook", s.webhook, "err", err)
		return false
	case <-s.timer.C:
		return false
	}
}

// republish stores an event whose asynchronous store failed or timed out,
// synchronously; its Nats-Msg-Id makes a second copy a duplicate. As
// before asynchronous publishing, a failure is logged and the delivery is
// acked anyway: it did reach the endpoint.
func (s *settler) republish(ev *nats.Msg) {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if _, err := s.d.js.PublishMsg(ctx, ev, jetstream.WithExpectStream(events.StreamName)); err != nil {
		s.d.logger.Warn("publish delivery outcome", "webhook", s.webhook, "type", string(events.WebhookSucceeded), "err", err)
	}
}
