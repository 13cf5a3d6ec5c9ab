package dispatch_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// hangingReceiver blocks every request until released, counting how many
// are in flight at once.
type hangingReceiver struct {
	*httptest.Server
	release  chan struct{}
	inflight atomic.Int32
	peak     atomic.Int32
	total    atomic.Int32
}

func newHangingReceiver(t *testing.T) *hangingReceiver {
	h := &hangingReceiver{release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.total.Add(1)
		n := h.inflight.Add(1)
		defer h.inflight.Add(-1)
		for {
			p := h.peak.Load()
			if n <= p || h.peak.CompareAndSwap(p, n) {
				break
			}
		}
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
	}))
	var once sync.Once
	t.Cleanup(h.Close)
	t.Cleanup(func() { once.Do(func() { close(h.release) }) })
	return h
}

// TestHangingEndpointDoesNotDelayOthers: one endpoint hangs; every delivery
// to a healthy endpoint of the same tenant completes while the hanging one
// is still blocked, and the hanging one never has more than its
// concurrency in flight.
func TestHangingEndpointDoesNotDelayOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hang := newHangingReceiver(t)
	healthy := newReceiver(t, nil)
	e.webhook("hanging", hang.URL, func(w *control.Webhook) { w.Concurrency = 3 })
	e.webhook("healthy", healthy.URL)
	e.start(fastOptions())
	const n = 200
	start := time.Now()
	e.publish(n)
	testutil.Eventually(t, 30*time.Second, func() bool { return len(healthy.delivered()) == n }, "healthy endpoint got every event")
	took := time.Since(start)
	// The hanging requests never return before cleanup, so once 3 are in
	// flight they stay: the healthy endpoint finished while they hang.
	testutil.Eventually(t, 10*time.Second, func() bool { return hang.inflight.Load() == 3 }, "3 hanging requests in flight")
	if got := hang.total.Load(); got != 3 {
		t.Errorf("hanging endpoint received %d requests, want exactly its concurrency (3)", got)
	}
	if p := hang.peak.Load(); p > 3 {
		t.Errorf("hanging endpoint saw %d concurrent requests, cap is 3", p)
	}
	t.Logf("%d healthy deliveries in %s while the other endpoint hangs", n, took)
}

// TestOrderedNeverReorders: an ordered webhook gets events in publish order
// and a failing one holds back every later one until it succeeds.
func TestOrderedNeverReorders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Fail every third request: each failure must hold back all later events.
	rc := newReceiver(t, func(_ received, count int) int {
		if count%3 == 0 {
			return 500
		}
		return 200
	})
	e.webhook("ordered", rc.URL, func(w *control.Webhook) { w.Ordered = true; w.Concurrency = 10 })
	e.start(fastOptions())
	const n = 30
	e.publish(n)
	testutil.Eventually(t, 30*time.Second, func() bool { return len(rc.delivered()) == n }, "all ordered deliveries")
	for i, r := range rc.delivered() {
		if r.n != i {
			t.Fatalf("delivery %d carried event %d: reordered", i, r.n)
		}
	}
	prev := -1
	for _, r := range rc.requests() {
		if r.n < prev {
			t.Fatalf("event %d attempted after event %d", r.n, prev)
		}
		prev = r.n
	}
	if len(rc.requests()) <= n {
		t.Fatalf("no failures were injected (%d requests)", len(rc.requests()))
	}
}
