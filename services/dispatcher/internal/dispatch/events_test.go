package dispatch_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/dispatcher/internal/dispatch"
)

// TestRetryOutlivesTheEvent: a failed delivery waits for its retry in
// WAMESH_DELIVERIES, not in WAMESH_EVENTS, so it is retried even when the
// event has expired from WAMESH_EVENTS meanwhile (simulated by purging the
// stream), with the same webhook-id and the next attempt number.
func TestRetryOutlivesTheEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, func(_ received, count int) int {
		if count == 1 {
			return 503
		}
		return 200
	})
	e.webhook("wh1", rc.URL)
	opt := fastOptions()
	opt.Schedule = []time.Duration{2 * time.Second}
	e.start(opt)
	id := e.publish(1)[0]

	deliveries, err := e.js.Stream(e.ctx, natsx.StreamDeliveries)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		info, err := deliveries.Info(e.ctx)
		return err == nil && info.State.Msgs == 1 && eventConsumer(t, e, "wh1").NumAckPending == 0
	}, "the retry waits in WAMESH_DELIVERIES, the event is acked")
	if len(rc.delivered()) != 0 {
		t.Fatal("delivered before the retry")
	}
	stored, err := e.js.Stream(e.ctx, natsx.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	if err := stored.Purge(e.ctx, jetstream.WithPurgeSubject("wamesh.events.t1.s1.>")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 1 }, "delivered by the retry")
	if got := rc.delivered()[0].header.Get("webhook-id"); got != id {
		t.Errorf("retry sent webhook-id %q, want %q", got, id)
	}
	testutil.Eventually(t, 5*time.Second, func() bool { return len(e.outcomes()) == 2 && idle(e, "wh1") }, "two outcomes, queue empty")
	for i, ev := range e.outcomes() {
		d, err := events.DecodeData[events.WebhookDeliveryData](ev)
		if err != nil {
			t.Fatal(err)
		}
		if d.Attempt != i+1 {
			t.Errorf("outcome %d (%s): attempt %d, want %d", i, ev.EventType(), d.Attempt, i+1)
		}
	}
	if n := len(rc.requests()); n != 2 {
		t.Errorf("receiver saw %d requests, want 2", n)
	}
}

// TestWebhookGetsEventsFromItsCreation: events stored before a webhook was
// created are not delivered to it; events after are.
func TestWebhookGetsEventsFromItsCreation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.start(fastOptions())
	e.publish(2)
	time.Sleep(1100 * time.Millisecond) // the consumer starts a second before the creation
	e.webhook("wh1", rc.URL, func(w *control.Webhook) { w.CreatedAt = time.Now() })
	later := e.publish(1)[0]
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 1 && idle(e, "wh1") }, "the later event delivered")
	if n, got := len(rc.requests()), rc.requests()[0].eventID; n != 1 || got != later {
		t.Errorf("receiver saw %d requests, first %s; want only %s", n, got, later)
	}
}

// TestEventFilterChange: changing a webhook's event types updates its
// consumer's filters in place (its start is kept) and takes effect for the
// next events.
func TestEventFilterChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, nil)
	w := e.webhook("wh1", rc.URL, func(w *control.Webhook) { w.Events = []string{"group.*"} })
	e.start(fastOptions())
	testutil.Eventually(t, 10*time.Second, func() bool {
		_, err := e.js.Consumer(e.ctx, natsx.StreamEvents, dispatch.EventConsumerName("wh1"))
		return err == nil
	}, "event consumer created")
	e.webhook("wh1", rc.URL, func(x *control.Webhook) {
		x.Events, x.CreatedAt = []string{string(events.MessageReceived)}, w.CreatedAt
	})
	testutil.Eventually(t, 10*time.Second, func() bool {
		c, err := e.js.Consumer(e.ctx, natsx.StreamEvents, dispatch.EventConsumerName("wh1"))
		return err == nil && slices.Equal(c.CachedInfo().Config.FilterSubjects, []string{"wamesh.events.t1.*." + string(events.MessageReceived)})
	}, "filters updated")
	id := e.publish(1)[0]
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 1 }, "delivered under the new filter")
	if got := rc.delivered()[0].eventID; got != id {
		t.Errorf("delivered %s, want %s", got, id)
	}
}

// TestUpgradeFromFanout: at the first start after the shared fan-out
// consumer of earlier versions, its position is recorded and it is
// deleted; an existing webhook's new event consumer starts after the
// events the fan-out had already copied (they are in WAMESH_DELIVERIES), so
// nothing is sent twice and nothing after them is missed.
func TestUpgradeFromFanout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.webhook("wh1", rc.URL)
	ids := e.publish(3)
	legacy, err := e.js.CreateOrUpdateConsumer(e.ctx, natsx.StreamEvents, jetstream.ConsumerConfig{Durable: "dispatcher-fanout", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := legacy.Fetch(2, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		if err := m.DoubleAck(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.start(fastOptions())
	if _, err := e.js.Consumer(e.ctx, natsx.StreamEvents, "dispatcher-fanout"); !errors.Is(err, jetstream.ErrConsumerNotFound) {
		t.Errorf("fan-out consumer after start: %v, want it deleted", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 1 && idle(e, "wh1") }, "the event after the fan-out's position delivered")
	if got := rc.requests(); len(got) != 1 || got[0].eventID != ids[2] {
		t.Errorf("receiver saw %d requests (first %s), want only %s", len(got), got[0].eventID, ids[2])
	}
	kv, err := e.js.KeyValue(e.ctx, dispatch.BucketHealth)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(e.ctx, "fanout.floor"); err != nil {
		t.Errorf("upgrade record: %v", err)
	}
}

// TestEventBackAfterItsRetryMoved: the dispatcher stopped after moving an
// event's retry to WAMESH_DELIVERIES but before acking the event, and the
// moved copy has since been delivered. When the event comes back it is
// acked, not sent again.
func TestEventBackAfterItsRetryMoved(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.webhook("wh1", rc.URL)
	id := e.publish(1)[0]
	cons, err := e.js.CreateOrUpdateConsumer(e.ctx, natsx.StreamEvents, jetstream.ConsumerConfig{
		Durable: dispatch.EventConsumerName("wh1"), FilterSubjects: []string{"wamesh.events.t1.*.*.*"},
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: time.Second, MaxDeliver: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cons.Fetch(1, jetstream.FetchMaxWait(2*time.Second)); err != nil { // delivered, never acked
		t.Fatal(err)
	}
	e.start(fastOptions()) // creates the bucket; the event comes back a second after the fetch
	kv, err := e.js.KeyValue(e.ctx, dispatch.BucketAttempts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(e.ctx, "wh1."+dispatch.DeliveryID(id, "wh1")+".moved", []byte("1")); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, func() bool {
		info := eventConsumer(t, e, "wh1")
		return info.NumAckPending == 0 && info.NumPending == 0 && info.Delivered.Consumer >= 2
	}, "the event came back and was acked")
	if n := len(rc.requests()); n != 0 {
		t.Errorf("receiver got %d requests, want none: the moved copy had delivered it", n)
	}
}
