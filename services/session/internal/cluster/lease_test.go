package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/shard"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// sessionsOfShard returns the ids among sessions that fall in shard n.
func sessionsOfShard(sessions []string, shards, n int) []string {
	var out []string
	for _, s := range sessions {
		if shard.Of(s, shards) == n {
			out = append(out, s)
		}
	}
	return out
}

// TestLeaseLost checks both ways a lease is lost. Taken: another writer
// puts a different owner into the key; the pod sees it on the watch and
// stops that shard's sessions at once (well before a renewal would notice,
// the lease TTL here being 15s). Bumped: another writer rewrites the key
// with the same value, so only the next compare-and-swap renewal (every
// TTL/3) can notice; with a 3s TTL the stop must come within ~2s.
func TestLeaseLost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		ttl     time.Duration
		value   func(pod string) string
		within  time.Duration
		retaken bool // the pod may take the shard back (the key still names it)
	}{
		{name: "taken", ttl: 15 * time.Second, value: func(string) string { return "intruder" }, within: 2 * time.Second},
		{name: "bumped", ttl: 3 * time.Second, value: func(pod string) string { return pod }, within: 2500 * time.Millisecond, retaken: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 4, tc.ttl)
			sessions := sessionIDs(12)
			for _, s := range sessions {
				e.putSession(s)
			}
			in := e.start("pod-a")
			testutil.Eventually(t, 10*time.Second, func() bool {
				return in.c.Ready() && allOwnedBy(e.l, sessions, "pod-a")
			}, "pod-a runs everything")
			victims := sessionsOfShard(sessions, e.shards, 1)
			if len(victims) == 0 {
				t.Fatal("no session in shard 1; pick other ids")
			}
			kv := e.kv(natsx.BucketLeases)
			ctx := testutil.Context(t)
			before := len(e.l.stopReasons(victims[0]))
			if _, err := kv.PutString(ctx, leaseKey(1), tc.value("pod-a")); err != nil {
				t.Fatalf("bump lease: %v", err)
			}
			bumped := time.Now()
			testutil.Eventually(t, tc.within, func() bool {
				for _, s := range victims {
					r := e.l.stopReasons(s)
					if len(r) <= before || r[len(r)-1] != ReasonLeaseLost {
						return false
					}
				}
				return true
			}, "sessions of the lost shard stopped with reason lease_lost")
			t.Logf("stopped %s after the bump", time.Since(bumped).Round(time.Millisecond))
			if !tc.retaken && slices.Contains(in.c.Owned(), 1) {
				t.Errorf("pod-a still serves shard 1 held by another owner: %v", in.c.Owned())
			}
			for _, s := range sessions {
				if !slices.Contains(victims, s) && e.l.ownerOf(s) != "pod-a" {
					t.Errorf("session %s of another shard was stopped", s)
				}
			}
		})
	}
}

// TestReleaseOnShutdown: a graceful stop deletes the membership key and
// every lease, so nothing waits for a TTL.
func TestReleaseOnShutdown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 8, 15*time.Second)
	e.putSession("s1")
	in := e.start("pod-a")
	testutil.Eventually(t, 10*time.Second, func() bool { return in.c.Ready() && e.l.ownerOf("s1") == "pod-a" }, "ready")
	in.stop(t, false)
	if time.Since(in.stopped) > 5*time.Second {
		t.Errorf("shutdown took %s, want < 5s", time.Since(in.stopped))
	}
	ctx := testutil.Context(t)
	for _, bucket := range []string{natsx.BucketLeases, natsx.BucketMembers} {
		keys, _ := e.kv(bucket).Keys(ctx)
		if len(keys) != 0 {
			t.Errorf("%s still has %v after a graceful stop", bucket, keys)
		}
	}
	if e.l.ownerOf("s1") != "" || !slices.Equal(e.l.stopReasons("s1"), []string{ReasonShutdown}) {
		t.Errorf("s1: owner %q stops %v, want stopped once for shutdown", e.l.ownerOf("s1"), e.l.stopReasons("s1"))
	}
}

// TestRestartWithSamePodReclaims: a pod restarted after a crash with the
// same stable id takes its old leases back at once instead of after the TTL.
func TestRestartWithSamePodReclaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4, 15*time.Second)
	e.putSession("s1")
	first := e.start("pod-a")
	testutil.Eventually(t, 10*time.Second, func() bool { return first.c.Ready() && e.l.ownerOf("s1") == "pod-a" }, "ready")
	e.l.lock.Lock()
	epoch := e.l.epochs["s1"]
	e.l.lock.Unlock()
	first.stop(t, true)
	second := e.start("pod-a")
	testutil.Eventually(t, 5*time.Second, func() bool { return second.c.Ready() && e.l.ownerOf("s1") == "pod-a" },
		"restarted pod runs s1 again well before the 15s TTL")
	e.l.lock.Lock()
	defer e.l.lock.Unlock()
	if e.l.epochs["s1"] <= epoch {
		t.Errorf("epoch after reclaim %d, want above %d", e.l.epochs["s1"], epoch)
	}
}
