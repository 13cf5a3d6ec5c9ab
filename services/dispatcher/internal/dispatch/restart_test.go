package dispatch_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestKillAndRestartLosesNothing: a dispatcher is killed (connection cut,
// Run cancelled) with deliveries in flight and a backlog waiting; a new one
// delivers every event.
func TestKillAndRestartLosesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var hanging atomic.Bool
	hanging.Store(true)
	release := make(chan struct{})
	var inflight atomic.Int32
	var okLock sync.Mutex
	ok := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hanging.Load() {
			inflight.Add(1)
			select {
			case <-release:
			case <-r.Context().Done():
			}
			w.WriteHeader(500)
			return
		}
		okLock.Lock()
		ok[r.Header.Get("webhook-id")]++
		okLock.Unlock()
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	e.webhook("wh1", srv.URL)
	opt := fastOptions()
	opt.AckWait = 2 * time.Second
	opt.DefaultConcurrency = 4
	_, kill := e.startKillable(opt)
	const n = 40
	ids := e.publish(n)
	testutil.Eventually(t, 10*time.Second, func() bool { return inflight.Load() >= 4 }, "deliveries in flight")
	kill()
	hanging.Store(false)

	e.start(opt)
	testutil.Eventually(t, 30*time.Second, func() bool {
		okLock.Lock()
		defer okLock.Unlock()
		return len(ok) == n
	}, "every event delivered after the restart")
	okLock.Lock()
	defer okLock.Unlock()
	for _, id := range ids {
		if ok[id] == 0 {
			t.Errorf("event %s lost", id)
		}
	}
}

// TestShutdownNakIsNoAttempt: a request cut short by a graceful shutdown is
// handed back without counting as an attempt, so after the restart the
// delivery succeeds as attempt 1; a real failure before it still counts.
func TestShutdownNakIsNoAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mode atomic.Int32 // 0: hang until the request ends, 1: fail once, 2: succeed
	var hung atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a closed connection only after the body
		switch mode.Load() {
		case 0:
			hung.Add(1)
			<-r.Context().Done()
		case 1:
			mode.Store(2) // fail once
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	e.webhook("wh1", srv.URL)
	opt := fastOptions()
	opt.Schedule = []time.Duration{200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond}
	for i := range 2 { // two restarts, each cutting the request short
		before := hung.Load()
		stop := e.start(opt)
		if i == 0 {
			e.publish(1)
		}
		testutil.Eventually(t, 10*time.Second, func() bool { return hung.Load() > before }, "request in flight")
		stop()
	}
	mode.Store(1)
	e.start(opt)
	var attempts []int
	testutil.Eventually(t, 10*time.Second, func() bool {
		attempts = attempts[:0]
		done := false
		for _, ev := range e.outcomes() {
			d, _ := events.DecodeData[events.WebhookDeliveryData](ev)
			attempts = append(attempts, d.Attempt)
			done = done || ev.EventType() == events.WebhookSucceeded
		}
		return done
	}, "delivered")
	if !slices.Equal(attempts, []int{1, 2}) {
		t.Errorf("attempt numbers %v, want [1 2]: the two requests cut by shutdowns are no attempts", attempts)
	}
}
