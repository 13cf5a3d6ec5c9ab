package dispatch

import (
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
)

func TestMatches(t *testing.T) {
	t.Parallel()
	base := control.Webhook{ID: "wh1", Tenant: "t1", Enabled: true}
	with := func(f func(*control.Webhook)) *control.Webhook { w := base; f(&w); return &w }
	msg := eventRef{ID: "e", Tenant: "t1", Session: "s1", Type: events.MessageReceived}
	own := eventRef{ID: "e", Tenant: "t1", Type: events.WebhookSucceeded, About: "wh1"}
	other := eventRef{ID: "e", Tenant: "t1", Type: events.WebhookSucceeded, About: "wh2"}
	cases := []struct {
		name string
		w    *control.Webhook
		e    eventRef
		want bool
	}{
		{"all events", &base, msg, true},
		{"disabled", with(func(w *control.Webhook) { w.Enabled = false }), msg, false},
		{"other tenant", &base, eventRef{Tenant: "t2", Session: "s1", Type: events.MessageReceived}, false},
		{"glob", with(func(w *control.Webhook) { w.Events = []string{"message.*"} }), msg, true},
		{"glob miss", with(func(w *control.Webhook) { w.Events = []string{"group.*"} }), msg, false},
		{"session filter hit", with(func(w *control.Webhook) { w.Sessions = []string{"s1"} }), msg, true},
		{"session filter miss", with(func(w *control.Webhook) { w.Sessions = []string{"s2"} }), msg, false},
		{"star never matches webhook events", &base, other, false},
		{"webhook.* never matches webhook events", with(func(w *control.Webhook) { w.Events = []string{"webhook.*"} }), other, false},
		{"exact name matches", with(func(w *control.Webhook) { w.Events = []string{"webhook.delivery.succeeded"} }), other, true},
		{"never about itself", with(func(w *control.Webhook) { w.Events = []string{"webhook.delivery.succeeded"} }), own, false},
		{"tenant events pass a session filter", with(func(w *control.Webhook) {
			w.Sessions = []string{"s9"}
			w.Events = []string{"webhook.delivery.succeeded"}
		}), other, true},
	}
	for _, c := range cases {
		if got := Matches(c.w, c.e); got != c.want {
			t.Errorf("%s: Matches = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	d := &Dispatcher{opt: Options{Jitter: 0.2}}
	d.opt.defaults()
	if len(d.opt.Schedule) != 9 {
		t.Fatalf("default schedule has %d steps, want 9", len(d.opt.Schedule))
	}
	var total time.Duration
	for n := 1; n <= 9; n++ {
		base := d.opt.Schedule[n-1]
		got, exhausted := d.retryDelay(n, 0)
		if exhausted || got < base*8/10 || got > base*12/10 {
			t.Errorf("attempt %d: delay %s (exhausted %v), want %s ±20%%", n, got, exhausted, base)
		}
		total += base
	}
	if total < 72*time.Hour || total > 80*time.Hour {
		t.Errorf("schedule spans %s, want about 3 days", total)
	}
	if _, exhausted := d.retryDelay(10, 0); !exhausted {
		t.Error("attempt 10 not exhausted")
	}
	if got, _ := d.retryDelay(1, 90*time.Second); got != 90*time.Second {
		t.Errorf("Retry-After ignored: %s", got)
	}
}

func TestBreaker(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := newBreaker(3, time.Minute)
	for i := range 2 {
		if b.failure(now) {
			t.Fatalf("opened after %d failures", i+1)
		}
	}
	if wait, probe := b.state(now); wait != 0 || probe {
		t.Fatalf("closed breaker: wait %s probe %v", wait, probe)
	}
	if !b.failure(now) {
		t.Fatal("did not open at the threshold")
	}
	if wait, _ := b.state(now.Add(time.Second)); wait != 59*time.Second {
		t.Fatalf("open breaker wait %s", wait)
	}
	if wait, probe := b.state(now.Add(2 * time.Minute)); wait != 0 || !probe {
		t.Fatalf("after cooldown: wait %s probe %v, want a probe", wait, probe)
	}
	b.success()
	if wait, probe := b.state(now.Add(2 * time.Minute)); wait != 0 || probe {
		t.Fatalf("after success: wait %s probe %v", wait, probe)
	}
	off := newBreaker(0, time.Minute)
	for range 100 {
		off.failure(now)
	}
	if wait, probe := off.state(now); wait != 0 || probe {
		t.Fatal("a disabled breaker opened")
	}
}

// TestAttemptsTTL: attempt counts outlive the longest wait between two
// attempts even when exhausted deliveries are kept only briefly.
func TestAttemptsTTL(t *testing.T) {
	t.Parallel()
	opt := Options{FailedTTL: time.Hour, Jitter: 0.2, Schedule: []time.Duration{time.Second, 30 * time.Hour}}
	opt.defaults()
	d := &Dispatcher{opt: opt}
	if got, min := d.attemptsTTL(), 2*36*time.Hour; got < min {
		t.Errorf("attempts TTL %v, want at least %v (30 h delay + 20 %% jitter, twice)", got, min)
	}
	opt.FailedTTL = 90 * 24 * time.Hour
	if got := (&Dispatcher{opt: opt}).attemptsTTL(); got != opt.FailedTTL {
		t.Errorf("attempts TTL %v, want the failed TTL %v", got, opt.FailedTTL)
	}
}
