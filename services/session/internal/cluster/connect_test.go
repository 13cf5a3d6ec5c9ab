package cluster

import (
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestConnectConcurrencyBounded: 20 sessions starting at once never have
// more than ConnectConcurrency Start calls in flight, and all start.
func TestConnectConcurrencyBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4, 15*time.Second)
	sessions := sessionIDs(20)
	for _, s := range sessions {
		e.putSession(s)
	}
	gate := make(chan struct{})
	e.l.lock.Lock()
	e.l.startGate = gate
	e.l.lock.Unlock()
	e.start("pod-a", func(o *Options) { o.ConnectConcurrency = 3 })
	inStart := func() int {
		e.l.lock.Lock()
		defer e.l.lock.Unlock()
		return e.l.inStart
	}
	for released := 0; released < len(sessions); released++ {
		testutil.Eventually(t, 5*time.Second, func() bool { return inStart() == min(3, len(sessions)-released) },
			"%d starts waiting after %d released", min(3, len(sessions)-released), released)
		gate <- struct{}{}
	}
	testutil.Eventually(t, 5*time.Second, func() bool { return allOwnedBy(e.l, sessions, "pod-a") }, "all started")
	e.l.lock.Lock()
	defer e.l.lock.Unlock()
	if e.l.maxInStart != 3 {
		t.Errorf("at most %d starts in flight, want exactly 3", e.l.maxInStart)
	}
}
