package dispatch_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/dispatcher/internal/dispatch"
)

// TestDeletedWebhookIsForgotten: deleting a webhook removes its consumer
// and its queued deliveries; a concurrency change restarts it with the new
// consumer shape.
func TestDeletedWebhookIsForgotten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, func(received, int) int { return 500 })
	e.webhook("wh1", rc.URL, func(w *control.Webhook) { w.Concurrency = 2 })
	opt := fastOptions()
	opt.Schedule = []time.Duration{time.Hour}
	e.start(opt)
	e.publish(3)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.requests()) == 3 }, "three parked deliveries")
	stream, err := e.js.Stream(e.ctx, natsx.StreamDeliveries)
	if err != nil {
		t.Fatal(err)
	}
	e.webhook("wh1", rc.URL, func(w *control.Webhook) { w.Concurrency = 5 })
	testutil.Eventually(t, 10*time.Second, func() bool {
		c, err := stream.Consumer(e.ctx, dispatch.ConsumerName("wh1"))
		return err == nil && c.CachedInfo().Config.MaxAckPending == 5+1000
	}, "consumer reshaped")

	// Records the deletion must take along: failing-since and the parked
	// deliveries' attempt counts exist by now; an exhausted delivery is
	// put in place, with one of another webhook that must stay.
	countKeys := func(bucket string) int {
		kv, err := e.js.KeyValue(e.ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := kv.ListKeys(e.ctx)
		if err != nil {
			return 0
		}
		n := 0
		for range keys.Keys() {
			n++
		}
		return n
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		return countKeys(dispatch.BucketHealth) == 1 && countKeys(dispatch.BucketAttempts) == 6
	}, "failing-since, three attempt counts and three moved marks recorded")
	failed, err := e.js.KeyValue(e.ctx, dispatch.BucketFailed)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"wh1.d1", "wh2.d1"} {
		if _, err := failed.Put(e.ctx, key, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}

	if err := e.kv.Delete(e.ctx, "wh1"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		_, err := stream.Consumer(e.ctx, dispatch.ConsumerName("wh1"))
		info, ierr := stream.Info(e.ctx)
		return errors.Is(err, jetstream.ErrConsumerNotFound) && ierr == nil && info.State.Msgs == 0
	}, "consumer and deliveries removed")
	// ... and its records, not another webhook's.
	testutil.Eventually(t, 10*time.Second, func() bool {
		return countKeys(dispatch.BucketHealth) == 0 && countKeys(dispatch.BucketAttempts) == 0 && countKeys(dispatch.BucketFailed) == 1
	}, "the deleted webhook's records purged")
	if _, err := failed.Get(e.ctx, "wh2.d1"); err != nil {
		t.Errorf("another webhook's failed delivery: %v, want kept", err)
	}
}

// TestInvalidWebhookRecordIgnored: a record whose id is not a valid subject
// token (or differs from its key) is ignored, and valid ones still work.
func TestInvalidWebhookRecordIgnored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, nil)
	for key, id := range map[string]string{"x.y": "x.y", "bad": "other"} {
		if _, err := control.Put(e.ctx, e.kv, key, control.Webhook{ID: id, Tenant: "t1", URL: rc.URL, Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	e.webhook("good", rc.URL)
	e.start(fastOptions())
	e.publish(1)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 1 }, "good webhook delivered")
	// Nothing is queued for the invalid records (the stream would keep a
	// message for "x.y" that no consumer can take).
	testutil.Eventually(t, 10*time.Second, func() bool { return idle(e, "good") }, "idle, nothing queued")
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("receiver got %d requests, want 1 (the record with a mismatched id is ignored)", n)
	}
}
