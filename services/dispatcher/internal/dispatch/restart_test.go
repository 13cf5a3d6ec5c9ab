package dispatch_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
