package dispatch_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/dispatcher/internal/dispatch"
)

func TestTestOperation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, func(received, int) int { return 202 })
	e.webhook("wh1", rc.URL, func(w *control.Webhook) { w.Enabled = false })
	e.start(fastOptions())
	var res queries.WebhookTestResult
	if err := queries.Call(e.ctx, e.nc, queries.ServiceDispatcher, queries.OpWebhookTest, queries.WebhookTestRequest{Tenant: "t1", Webhook: "wh1"}, &res); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 202 || res.Error != "" || len(rc.requests()) != 1 {
		t.Fatalf("test result %+v, receiver saw %d", res, len(rc.requests()))
	}
	r := rc.requests()[0]
	wh, _ := standardwebhooks.NewWebhook(testSecret)
	if err := wh.Verify(r.body, r.header); err != nil || !strings.Contains(string(r.body), `"wamesh.webhook.test"`) {
		t.Errorf("test event: verify %v, body %s", err, r.body)
	}
	cases := []struct {
		req  queries.WebhookTestRequest
		code commands.Code
	}{
		{queries.WebhookTestRequest{Tenant: "t2", Webhook: "wh1"}, commands.CodeNotFound},
		{queries.WebhookTestRequest{Tenant: "t1", Webhook: "nope"}, commands.CodeNotFound},
		{queries.WebhookTestRequest{Tenant: "t1", Webhook: "a.b"}, commands.CodeValidation},
		{queries.WebhookTestRequest{Tenant: "", Webhook: "wh1"}, commands.CodeValidation},
	}
	for _, c := range cases {
		err := queries.Call(e.ctx, e.nc, queries.ServiceDispatcher, queries.OpWebhookTest, c.req, &res)
		if !errors.Is(err, &commands.Error{Code: c.code}) {
			t.Errorf("test %+v: %v, want %s", c.req, err, c.code)
		}
	}
	reply, err := e.nc.RequestWithContext(e.ctx, queries.Subject(queries.ServiceDispatcher, queries.OpWebhookReplay), []byte("{not json"))
	if err != nil || !strings.Contains(string(reply.Data), string(commands.CodeValidation)) {
		t.Errorf("malformed request: %v %s", err, reply.Data)
	}
}

func TestReplayResendsMatchingEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.webhook("wh1", rc.URL, func(w *control.Webhook) { w.Events = []string{"message.*"} })
	e.start(fastOptions())
	since := time.Now().Add(-time.Second)
	ids := e.publish(3)
	if _, err := events.PublishNew(e.ctx, e.js, events.SessionConnected, events.Meta{Tenant: "t1", Session: "s1"}, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 3 }, "first deliveries")

	var res queries.WebhookReplayResult
	if err := queries.Call(e.ctx, e.nc, queries.ServiceDispatcher, queries.OpWebhookReplay, queries.WebhookReplayRequest{Tenant: "t1", Webhook: "wh1", Since: since}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Queued != 3 {
		t.Fatalf("replay queued %d, want 3 (message.* only)", res.Queued)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 6 }, "replayed deliveries")
	counts := countByEvent(rc.delivered())
	for _, id := range ids {
		if counts[id] != 2 {
			t.Errorf("event %s delivered %d times, want 2", id, counts[id])
		}
	}
	for _, req := range []queries.WebhookReplayRequest{{Tenant: "t1", Webhook: "wh1"}, {Tenant: "t1", Webhook: "wh1", Since: time.Now().Add(time.Hour)}} {
		err := queries.Call(e.ctx, e.nc, queries.ServiceDispatcher, queries.OpWebhookReplay, req, &res)
		if !errors.Is(err, &commands.Error{Code: commands.CodeValidation}) {
			t.Errorf("replay since %v: %v, want VALIDATION_FAILED", req.Since, err)
		}
	}
	err := queries.Call(e.ctx, e.nc, queries.ServiceDispatcher, queries.OpWebhookReplay, queries.WebhookReplayRequest{Tenant: "t2", Webhook: "wh1", Since: since}, &res)
	if !errors.Is(err, &commands.Error{Code: commands.CodeNotFound}) {
		t.Errorf("replay by another tenant: %v, want NOT_FOUND", err)
	}
}

// TestOwnEventsDoNotLoop: "*" never matches webhook.* events, an exact
// subscription does, and a webhook never gets events about itself.
func TestOwnEventsDoNotLoop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	all := newReceiver(t, nil)
	watcher := newReceiver(t, nil)
	e.webhook("all", all.URL)
	e.webhook("watcher", watcher.URL, func(w *control.Webhook) {
		w.Events = []string{string(events.WebhookSucceeded), "webhook.*"}
	})
	e.start(fastOptions())
	e.publish(1)
	// all gets the event; watcher gets the success about "all"; the success
	// about "watcher" goes to nobody.
	testutil.Eventually(t, 10*time.Second, func() bool {
		n := 0
		for _, ev := range e.outcomes() {
			if ev.EventType() == events.WebhookSucceeded {
				n++
			}
		}
		return n == 2
	}, "two success events")
	testutil.Eventually(t, 10*time.Second, func() bool { return idle(e, "all", "watcher") }, "consumers idle")
	if n := len(all.requests()); n != 1 {
		t.Errorf(`webhook "*" got %d requests, want 1 (no webhook.* events)`, n)
	}
	reqs := watcher.requests()
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].body), `"webhook":"all"`) {
		t.Fatalf("watcher got %d requests, want only the success about \"all\"", len(reqs))
	}
}

// TestOutcomeOptIn: a webhook's event consumer reads only the outcome
// events it lists by name: a webhook of "*" never even receives its own
// (the server filters them out), one that lists webhook.delivery.succeeded
// gets those about other webhooks.
func TestOutcomeOptIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	all := newReceiver(t, nil)
	e.webhook("all", all.URL)
	e.start(fastOptions())
	e.publish(1)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(e.outcomes()) == 1 && idle(e, "all") }, "one outcome, consumer idle")
	if n := eventConsumer(t, e, "all").Delivered.Consumer; n != 1 {
		t.Errorf("event consumer read %d messages, want 1: the outcome event is not for it", n)
	}

	watcher := newReceiver(t, nil)
	e.webhook("watcher", watcher.URL, func(w *control.Webhook) { w.Events = []string{string(events.WebhookSucceeded)} })
	testutil.Eventually(t, 10*time.Second, func() bool {
		c, err := e.js.Consumer(e.ctx, natsx.StreamEvents, dispatch.EventConsumerName("watcher"))
		return err == nil && slices.Equal(c.CachedInfo().Config.FilterSubjects, []string{"wamesh.events.t1.*." + string(events.WebhookSucceeded)})
	}, "watcher's consumer reads only webhook.delivery.succeeded")
	// The outcome of the first event may reach the watcher too: it was
	// stored after the watcher's (back-dated) creation.
	second := e.publish(1)[0]
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, r := range watcher.requests() {
			if strings.Contains(string(r.body), second) {
				return true
			}
		}
		return false
	}, "watcher gets the success of the second event")
	for _, r := range watcher.requests() {
		if !strings.Contains(string(r.body), `"webhook":"all"`) {
			t.Errorf("watcher got %s, want only successes about \"all\"", r.body)
		}
	}
}

// eventConsumer returns the state of a webhook's consumer on WAMESH_EVENTS.
func eventConsumer(t *testing.T, e *env, webhook string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := e.js.Consumer(e.ctx, natsx.StreamEvents, dispatch.EventConsumerName(webhook))
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// idle reports whether the webhooks' event consumers have nothing left to
// deliver and WAMESH_DELIVERIES is empty.
func idle(e *env, webhooks ...string) bool {
	for _, w := range webhooks {
		c, err := e.js.Consumer(e.ctx, natsx.StreamEvents, dispatch.EventConsumerName(w))
		if err != nil {
			return false
		}
		info, err := c.Info(e.ctx)
		if err != nil || info.NumPending != 0 || info.NumAckPending != 0 {
			return false
		}
	}
	s, _ := e.js.Stream(e.ctx, natsx.StreamDeliveries)
	si, err := s.Info(e.ctx)
	return err == nil && si.State.Msgs == 0
}

// TestSSRFAtDelivery: a destination outside the allowlist is refused at
// dial time, and a redirect is never followed.
func TestSSRFAtDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var targetHits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { targetHits.Add(1) }))
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	port := target.URL[strings.LastIndex(target.URL, ":"):]
	e.webhook("private", "http://127.0.0.2"+port+"/")
	e.webhook("redirect", redirector.URL)
	opt := fastOptions()
	opt.Schedule = opt.Schedule[:1]
	e.start(opt)
	e.publish(1)
	errs := map[string]string{}
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, ev := range e.outcomes() {
			if ev.EventType() == events.WebhookFailed {
				d, _ := events.DecodeData[events.WebhookDeliveryData](ev)
				errs[d.Webhook] = d.Error
			}
		}
		return len(errs) == 2
	}, "both deliveries failed")
	if !strings.Contains(errs["private"], "not allowed") {
		t.Errorf("private destination error %q, want an SSRF refusal", errs["private"])
	}
	if !strings.Contains(errs["redirect"], "302") || targetHits.Load() != 0 {
		t.Errorf("redirect error %q, target hit %d times; want an unfollowed 302", errs["redirect"], targetHits.Load())
	}
}
