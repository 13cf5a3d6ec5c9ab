package dispatch_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/dispatcher/internal/dispatch"
)

// TestContinuousFailureDisables: an endpoint failing for longer than
// DisableAfter (5 days in production, milliseconds here) is disabled.
func TestContinuousFailureDisables(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int32
	rc := newReceiver(t, func(received, int) int { calls.Add(1); return 500 })
	e.webhook("wh1", rc.URL)
	opt := fastOptions()
	opt.DisableAfter = 150 * time.Millisecond
	opt.Schedule = []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}
	e.start(opt)
	e.publish(1)
	testutil.Eventually(t, 10*time.Second, func() bool {
		w, _, err := control.Get[control.Webhook](e.ctx, e.kv, "wh1")
		return err == nil && !w.Enabled && strings.Contains(w.Disabled, "failing continuously")
	}, "webhook disabled after continuous failure")
	if calls.Load() < 2 {
		t.Fatalf("disabled after %d attempts", calls.Load())
	}
}

// TestHealthClearedOnSuccess: a success forgets the failing-since time.
func TestHealthClearedOnSuccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, func(_ received, count int) int {
		if count == 1 {
			return 500
		}
		return 200
	})
	e.webhook("wh1", rc.URL)
	e.start(fastOptions())
	e.publish(1)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 1 }, "delivered")
	kv, err := e.js.KeyValue(e.ctx, dispatch.BucketHealth)
	if err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		_, err := kv.Get(e.ctx, "wh1")
		return errors.Is(err, jetstream.ErrKeyNotFound)
	}, "failing-since cleared")
}

// TestBreakerPausesFailingEndpoint: after the threshold of consecutive
// failures the endpoint gets no request during the cooldown, while retries
// without the breaker would have come every 20 ms.
func TestBreakerPausesFailingEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	failing := newReceiver(t, func(received, int) int { return 500 })
	healthy := newReceiver(t, nil)
	e.webhook("failing", failing.URL, func(w *control.Webhook) { w.Concurrency = 1 })
	e.webhook("healthy", healthy.URL, func(w *control.Webhook) { w.Ordered = true })
	opt := fastOptions()
	opt.BreakerThreshold, opt.BreakerCooldown = 3, time.Hour
	e.start(opt)
	const n = 20
	e.publish(n)
	testutil.Eventually(t, 20*time.Second, func() bool { return len(healthy.delivered()) == n }, "healthy (ordered, so slower) endpoint done")
	if got := len(failing.requests()); got != 3 {
		t.Fatalf("failing endpoint got %d requests, want 3 (breaker open after 3)", got)
	}
}
