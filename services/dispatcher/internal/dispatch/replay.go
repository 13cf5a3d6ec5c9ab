package dispatch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/queries"
)

// MaxReplay caps the deliveries one replay queues.
const MaxReplay = 100_000

// opReplay re-queues every event of the tenant stored since req.Since that
// the webhook subscribes to. Each gets a new delivery id and dedup id, so it
// is sent again even if it was delivered before; webhook-id stays the event
// id, so receivers can still recognise it.
func (d *Dispatcher) opReplay(ctx context.Context, body []byte) (any, error) {
	var req queries.WebhookReplayRequest
	if err := decodeRequest(body, &req); err != nil {
		return nil, err
	}
	w, err := d.lookup(req.Tenant, req.Webhook)
	if err != nil {
		return nil, err
	}
	if req.Since.IsZero() || req.Since.After(time.Now()) {
		return nil, commands.Errorf(commands.CodeValidation, "since must be a time in the past")
	}
	n, err := d.replay(ctx, w.ID, w.Tenant, req.Since)
	if err != nil {
		return nil, err
	}
	return queries.WebhookReplayResult{Queued: n}, nil
}

func (d *Dispatcher) replay(ctx context.Context, webhook, tenant string, since time.Time) (int, error) {
	oc, err := d.js.OrderedConsumer(ctx, natsx.StreamEvents, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.SubjectPrefix + tenant + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &since,
	})
	if err != nil {
		return 0, fmt.Errorf("replay consumer: %w", err)
	}
	salt := uuid.NewString()
	var futures []jetstream.PubAckFuture
	for len(futures) < MaxReplay {
		batch, err := oc.Fetch(500, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return 0, fmt.Errorf("replay fetch: %w", err)
		}
		more := false
		for m := range batch.Messages() {
			md, _ := m.Metadata()
			more = md != nil && md.NumPending > 0
			f, err := d.replayOne(ctx, m, webhook, salt)
			if err != nil {
				return 0, err
			}
			if f != nil {
				futures = append(futures, f)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, jetstream.ErrNoMessages) {
			return 0, fmt.Errorf("replay fetch: %w", err)
		}
		if !more {
			break
		}
	}
	return len(futures), waitAll(ctx, futures)
}

// replayOne queues m for the webhook if it matches, ignoring the webhook's
// enabled flag and creation time (the user asked for these events).
func (d *Dispatcher) replayOne(ctx context.Context, m jetstream.Msg, webhook, salt string) (jetstream.PubAckFuture, error) {
	ref, err := refOf(m)
	if err != nil {
		return nil, nil
	}
	w, ok := d.webhooks.Get(webhook)
	if !ok {
		return nil, commands.Errorf(commands.CodeNotFound, "webhook %s was deleted", webhook)
	}
	w.Enabled = true
	if !Matches(&w, ref) {
		return nil, nil
	}
	dl := ref.delivery(webhook, DeliveryID(ref.ID, webhook, "replay", salt), m.Data())
	f, err := d.publishAsync(ctx, dl.message(dl.DeliveryID, m.Headers().Get(events.HeaderTraceParent)))
	if err != nil {
		return nil, fmt.Errorf("queue replay: %w", err)
	}
	return f, nil
}

func waitAll(ctx context.Context, futures []jetstream.PubAckFuture) error {
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("queue replay: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
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
