package dispatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
)

// FanoutConsumer is the durable consumer on WAMESH_EVENTS shared by every
// dispatcher instance.
const FanoutConsumer = "dispatcher-fanout"

// fanoutInFlight is how many events may wait for their delivery messages to
// be stored. More only adds latency: the stores are pipelined already, and
// past nats.go's limit of 4000 unconfirmed publishes each publish would
// wait for room.
const fanoutInFlight = 512

// fanned is an event whose delivery messages are being stored; it is acked
// once every store is confirmed.
type fanned struct {
	msg     jetstream.Msg
	futures []jetstream.PubAckFuture
}

// fanoutConsumer creates or updates the shared fan-out consumer with the
// filters reconcile chose. Every instance computes them from the same
// webhooks, so concurrent updates converge.
func (d *Dispatcher) fanoutConsumer(ctx context.Context) (jetstream.Consumer, error) {
	filters := slices.Clone(d.filters)
	cons, err := d.js.CreateOrUpdateConsumer(ctx, natsx.StreamEvents, jetstream.ConsumerConfig{
		Durable:        FanoutConsumer,
		Description:    "dispatcher: fan events out to WAMESH_DELIVERIES",
		FilterSubjects: filters,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        d.opt.FanoutAckWait,
		MaxAckPending:  8192,
	})
	if err != nil {
		return nil, fmt.Errorf("create fan-out consumer: %w", err)
	}
	d.fanoutCreated, d.appliedFilters = true, filters
	return cons, nil
}

// runFanout consumes WAMESH_EVENTS until ctx ends. Publishes are
// asynchronous and confirmed in order by ackFanned, so fan-out is pipelined.
func (d *Dispatcher) runFanout(ctx context.Context, cons jetstream.Consumer) error {
	pending := make(chan fanned, fanoutInFlight)
	done := make(chan struct{})
	go func() { defer close(done); d.ackFanned(ctx, pending) }()
	cc, err := cons.Consume(func(m jetstream.Msg) { d.fanOut(ctx, m, pending) },
		jetstream.PullMaxMessages(1024),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			d.logger.Debug("fan-out consumer", "err", err)
		}))
	if err != nil {
		return fmt.Errorf("consume events: %w", err)
	}
	<-ctx.Done()
	cc.Stop()
	<-done
	return nil
}

// fanOut queues one delivery message per matching webhook.
func (d *Dispatcher) fanOut(ctx context.Context, m jetstream.Msg, pending chan<- fanned) {
	if !d.ix.Load().wants(m.Subject()) {
		_ = m.Ack() // nobody subscribes: skip decoding
		return
	}
	ref, err := refOf(m)
	if err != nil {
		d.logger.Warn("undecodable event skipped", "subject", m.Subject(), "err", err)
		_ = m.Term()
		return
	}
	md, err := m.Metadata()
	if err != nil {
		_ = m.Term()
		return
	}
	targets := d.ix.Load().targets(ref, md.Timestamp)
	f := fanned{msg: m}
	for _, w := range targets {
		dl := delivery{
			Webhook: w.ID, DeliveryID: DeliveryID(ref.ID, w.ID), EventID: ref.ID, EventType: string(ref.Type),
			Tenant: ref.Tenant, Session: ref.Session, Body: m.Data(),
		}
		fut, err := d.publishAsync(ctx, dl.message(dl.DeliveryID, m.Headers().Get(events.HeaderTraceParent)))
		if err != nil {
			d.logger.Warn("queue delivery", "webhook", w.ID, "err", err)
			_ = m.NakWithDelay(time.Second)
			return
		}
		f.futures = append(f.futures, fut)
	}
	select {
	case pending <- f:
	case <-ctx.Done():
	}
}

// publishAsync publishes without waiting for the ack. While too many acks
// are outstanding, nats.go waits for room (up to its stall wait) before
// giving up; it is asked again until ctx ends. Waiting for every
// outstanding ack instead would stall while others keep publishing.
func (d *Dispatcher) publishAsync(ctx context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (jetstream.PubAckFuture, error) {
	for {
		fut, err := d.js.PublishMsgAsync(m, opts...)
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			return fut, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

// ackFanned acks each event once its delivery messages are stored, in the
// order they were queued.
func (d *Dispatcher) ackFanned(ctx context.Context, pending <-chan fanned) {
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-pending:
			d.confirm(ctx, f)
		}
	}
}

func (d *Dispatcher) confirm(ctx context.Context, f fanned) {
	for _, fut := range f.futures {
		select {
		case <-fut.Ok():
		case err := <-fut.Err():
			d.logger.Warn("store delivery", "subject", fut.Msg().Subject, "err", err)
			_ = f.msg.NakWithDelay(time.Second)
			return
		case <-ctx.Done():
			return
		}
	}
	_ = f.msg.Ack()
}
