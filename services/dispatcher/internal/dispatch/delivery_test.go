package dispatch_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
)

const rotatedSecret = "whsec_c2Vjb25kLXNlY3JldC1zZWNvbmQtc2VjcmV0LXNlYw=="

// TestFailingThenRecovering: 500 three times, then 200. The receiver sees
// the same webhook-id each time, every request verifies with both secrets
// during a rotation, and each attempt is recorded as an event.
func TestFailingThenRecovering(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, func(_ received, count int) int {
		if count <= 3 {
			return 500
		}
		return 200
	})
	expires := time.Now().Add(24 * time.Hour)
	e.webhook("wh1", rc.URL, func(w *control.Webhook) {
		w.Secrets = []control.Secret{{Value: rotatedSecret}, {Value: testSecret, ExpiresAt: &expires}}
	})
	e.start(fastOptions())
	ids := e.publish(1)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 1 }, "delivered after retries")

	reqs := rc.requests()
	if len(reqs) != 4 {
		t.Fatalf("receiver saw %d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		if got := r.header.Get("webhook-id"); got != ids[0] {
			t.Errorf("attempt %d: webhook-id %q, want the event id %q", i+1, got, ids[0])
		}
		if ct := r.header.Get("Content-Type"); ct != "application/cloudevents+json" {
			t.Errorf("attempt %d: Content-Type %q", i+1, ct)
		}
		for _, s := range []string{testSecret, rotatedSecret} {
			wh, _ := standardwebhooks.NewWebhook(s)
			if err := wh.Verify(r.body, r.header); err != nil {
				t.Errorf("attempt %d does not verify with %s...: %v", i+1, s[:12], err)
			}
		}
	}
	var types []string
	testutil.Eventually(t, 5*time.Second, func() bool {
		types = types[:0]
		for _, ev := range e.outcomes() {
			types = append(types, string(ev.EventType()))
		}
		return len(types) == 4
	}, "4 outcome events")
	want := []events.Type{events.WebhookAttemptFailed, events.WebhookAttemptFailed, events.WebhookAttemptFailed, events.WebhookSucceeded}
	outs := e.outcomes()
	for i, ev := range outs {
		d, err := events.DecodeData[events.WebhookDeliveryData](ev)
		if err != nil {
			t.Fatal(err)
		}
		if ev.EventType() != want[i] || d.Attempt != i+1 || d.EventID != ids[0] || d.Webhook != "wh1" || ev.Session != "" {
			t.Errorf("outcome %d: type %s attempt %d event %s session %q", i, ev.EventType(), d.Attempt, d.EventID, ev.Session)
		}
		if i < 3 && (d.StatusCode != 500 || d.NextAttemptAt == nil) {
			t.Errorf("outcome %d: status %d next %v", i, d.StatusCode, d.NextAttemptAt)
		}
	}
}

// TestExhaustedThenManualRetry: a delivery that fails every attempt ends
// with webhook.delivery.failed, and the retry operation re-sends it.
func TestExhaustedThenManualRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var healthy atomic.Bool
	rc := newReceiver(t, func(received, int) int {
		if healthy.Load() {
			return 204
		}
		return 503
	})
	e.webhook("wh1", rc.URL)
	opt := fastOptions()
	opt.Schedule = opt.Schedule[:2]
	e.start(opt)
	ids := e.publish(1)

	var failed events.WebhookDeliveryData
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, ev := range e.outcomes() {
			if ev.EventType() == events.WebhookFailed {
				failed, _ = events.DecodeData[events.WebhookDeliveryData](ev)
				return true
			}
		}
		return false
	}, "webhook.delivery.failed")
	if failed.Attempt != 3 || failed.EventID != ids[0] || len(rc.requests()) != 3 {
		t.Fatalf("failed after attempt %d (want 3), receiver saw %d", failed.Attempt, len(rc.requests()))
	}

	var res queries.WebhookRetryResult
	err := queries.Call(e.ctx, e.nc, queries.ServiceDispatcher, queries.OpWebhookRetry,
		queries.WebhookRetryRequest{Tenant: "t2", Webhook: "wh1", DeliveryID: failed.DeliveryID}, &res)
	if !errors.Is(err, &commands.Error{Code: commands.CodeNotFound}) {
		t.Fatalf("retry by another tenant: %v, want NOT_FOUND", err)
	}
	healthy.Store(true)
	err = queries.Call(e.ctx, e.nc, queries.ServiceDispatcher, queries.OpWebhookRetry,
		queries.WebhookRetryRequest{Tenant: "t1", Webhook: "wh1", DeliveryID: failed.DeliveryID}, &res)
	if err != nil || !res.Queued {
		t.Fatalf("retry: %v %+v", err, res)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 1 }, "delivered after manual retry")
	if got := rc.delivered()[0].header.Get("webhook-id"); got != ids[0] {
		t.Errorf("manual retry webhook-id %q, want %q", got, ids[0])
	}
	err = queries.Call(e.ctx, e.nc, queries.ServiceDispatcher, queries.OpWebhookRetry,
		queries.WebhookRetryRequest{Tenant: "t1", Webhook: "wh1", DeliveryID: failed.DeliveryID}, &res)
	if !errors.Is(err, &commands.Error{Code: commands.CodeNotFound}) {
		t.Fatalf("second retry of the same delivery: %v, want NOT_FOUND", err)
	}
}

// TestGoneDisablesEndpoint: 410 disables the webhook and says so.
func TestGoneDisablesEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, func(received, int) int { return http.StatusGone })
	e.webhook("wh1", rc.URL)
	e.start(fastOptions())
	e.publish(3)
	testutil.Eventually(t, 10*time.Second, func() bool {
		w, _, err := control.Get[control.Webhook](e.ctx, e.kv, "wh1")
		return err == nil && !w.Enabled && w.Disabled != ""
	}, "webhook disabled")
	testutil.Eventually(t, 5*time.Second, func() bool {
		for _, ev := range e.outcomes() {
			if ev.EventType() == events.WebhookDisabled {
				d, _ := events.DecodeData[events.WebhookDisabledData](ev)
				return d.Webhook == "wh1"
			}
		}
		return false
	}, "webhook.disabled event")
	if n := len(rc.requests()); n > 3 {
		t.Errorf("receiver saw %d requests after saying Gone", n)
	}
}

// TestRetryAfterHonoured: a 429 with Retry-After delays the retry by that
// much instead of the schedule's 20 ms.
func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var first atomic.Bool
	first.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if first.CompareAndSwap(true, false) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	t.Cleanup(srv.Close)
	e.webhook("wh1", srv.URL)
	e.start(fastOptions())
	e.publish(1)
	var outs []events.Event
	testutil.Eventually(t, 10*time.Second, func() bool { outs = e.outcomes(); return len(outs) == 2 }, "429 then success")
	d, _ := events.DecodeData[events.WebhookDeliveryData](outs[0])
	if outs[0].EventType() != events.WebhookAttemptFailed || d.StatusCode != 429 || d.NextAttemptAt == nil {
		t.Fatalf("first outcome %s status %d next %v", outs[0].EventType(), d.StatusCode, d.NextAttemptAt)
	}
	if wait := d.NextAttemptAt.Sub(outs[0].Time); wait < 900*time.Millisecond {
		t.Errorf("retry scheduled %s after the 429, want the Retry-After of 1s", wait)
	}
	second, _ := events.DecodeData[events.WebhookDeliveryData](outs[1])
	if gap := outs[1].Time.Sub(outs[0].Time); outs[1].EventType() != events.WebhookSucceeded || second.Attempt != 2 || gap < 900*time.Millisecond {
		t.Errorf("second outcome %s attempt %d, %s after the first", outs[1].EventType(), second.Attempt, gap)
	}
}

// TestRateLimit: rateLimit 5/s with a burst of 5 spreads 10 deliveries
// over at least a second (a lower bound, so it cannot flake on a slow machine).
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var times []time.Time
	var timesLock sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		timesLock.Lock()
		times = append(times, time.Now())
		timesLock.Unlock()
	}))
	t.Cleanup(srv.Close)
	e.webhook("wh1", srv.URL, func(w *control.Webhook) { w.RateLimit = 5 })
	e.start(fastOptions())
	e.publish(10)
	testutil.Eventually(t, 10*time.Second, func() bool {
		timesLock.Lock()
		defer timesLock.Unlock()
		return len(times) == 10
	}, "10 deliveries")
	timesLock.Lock()
	defer timesLock.Unlock()
	if span := times[9].Sub(times[0]); span < 900*time.Millisecond {
		t.Errorf("10 deliveries at 5/s (burst 5) took %s, want at least 1s", span)
	}
}
