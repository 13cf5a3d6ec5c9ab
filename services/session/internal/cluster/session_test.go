package cluster

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/shard"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestSessionLifecycle: a definition change restarts the session with the
// new definition, a deletion calls Delete, a new session starts.
func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4, 15*time.Second)
	e.putSession("s1")
	in := e.start("pod-a")
	testutil.Eventually(t, 10*time.Second, func() bool { return e.l.ownerOf("s1") == "pod-a" }, "s1 started")

	e.putSession("s1", func(s *control.Session) { s.Restart = 1 })
	testutil.Eventually(t, 5*time.Second, func() bool {
		e.l.lock.Lock()
		defer e.l.lock.Unlock()
		return e.l.defs["s1"].Restart == 1 && e.l.starts["s1"] == 2
	}, "restart bump re-applied with Start")

	e.putSession("s2")
	testutil.Eventually(t, 5*time.Second, func() bool { return e.l.ownerOf("s2") == "pod-a" }, "new session started")

	if err := e.kv(natsx.BucketSessions).Delete(testutil.Context(t), "s1"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		e.l.lock.Lock()
		defer e.l.lock.Unlock()
		return e.l.deletes["s1"] == 1
	}, "deleted session wiped with Delete")
	in.stop(t, false)
	if r := e.l.stopReasons("s1"); len(r) != 0 {
		t.Errorf("deleted s1 was stopped too: %v", r)
	}
}

// TestRPC: the owner answers RPCs of its sessions; another tenant's or an
// unknown session gets SESSION_NOT_FOUND; after shutdown nobody answers.
func TestRPC(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4, 15*time.Second)
	e.putSession("s1")
	in := e.start("pod-a")
	testutil.Eventually(t, 10*time.Second, func() bool { return in.c.Ready() && e.l.ownerOf("s1") == "pod-a" }, "ready")
	ctx := testutil.Context(t)
	for _, tc := range []struct {
		name, tenant, session string
		code                  commands.Code
	}{
		{"owner answers", "t1", "s1", ""},
		{"other tenant", "t2", "s1", commands.CodeSessionNotFound},
		{"unknown session", "t1", "nope", commands.CodeSessionNotFound},
	} {
		var got rpcAnswer
		err := commands.Call(ctx, e.nc, e.shards, commands.Request{Tenant: tc.tenant, Session: tc.session, Op: commands.OpStatus}, &got)
		if tc.code == "" {
			if err != nil || got.Pod != "pod-a" || got.Session != "s1" {
				t.Errorf("%s: got %+v, %v", tc.name, got, err)
			}
			continue
		}
		if commands.CodeOf(err) != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
	in.stop(t, false)
	err := commands.Call(ctx, e.nc, e.shards, commands.Request{Tenant: "t1", Session: "s1", Op: commands.OpStatus}, nil)
	if !errors.Is(err, commands.ErrNoOwner) {
		t.Errorf("after shutdown: got %v, want SESSION_UNAVAILABLE", err)
	}
}

// TestCrashRedeliversHeldCommandsAtOnce: commands the crashed pod received
// but never ran (its session could not start) reach the next owner right
// after the lease moves, in order, not after the 30s AckWait: the new owner
// recreates the shard consumer.
func TestCrashRedeliversHeldCommandsAtOnce(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	e := newEnv(t, 1, ttl)
	e.putSession("s1")
	e.l.lock.Lock()
	e.l.failStart["pod-a"] = true
	e.l.lock.Unlock()
	slow := func(o *Options) { o.AckWait = 30 * time.Second; o.ConnectBackoff = time.Minute }
	a := e.start("pod-a", slow)
	testutil.Eventually(t, 10*time.Second, func() bool { return a.c.Ready() }, "pod-a ready")
	want := []string{"c1", "c2", "c3", "c4"}
	for _, id := range want {
		e.publish(commands.KindSendMessage, "s1", id)
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		cons, err := e.js.Consumer(testutil.Context(t), natsx.StreamCommands, commands.ShardConsumerName(0))
		if err != nil {
			return false
		}
		ci, err := cons.Info(testutil.Context(t))
		return err == nil && ci.NumAckPending == len(want)
	}, "pod-a holds the four commands unacked")
	a.stop(t, true)
	e.start("pod-b", slow)
	testutil.Eventually(t, ttl+5*time.Second, func() bool {
		e.l.lock.Lock()
		defer e.l.lock.Unlock()
		return len(e.l.executed["s1"]) == len(want)
	}, "pod-b ran the held commands within the lease TTL + 5s")
	e.l.lock.Lock()
	got := append([]string(nil), e.l.executed["s1"]...)
	e.l.lock.Unlock()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order after takeover: got %v, want %v", got, want)
		}
	}
}

// TestCommandBeforeSessionIsKnown: a command for a session not yet in
// wamesh_sessions is nak'd and runs once the session appears.
func TestCommandBeforeSessionIsKnown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 15*time.Second)
	in := e.start("pod-a")
	testutil.Eventually(t, 10*time.Second, in.c.Ready, "ready")
	e.publish(commands.KindSendMessage, "late", "c1")
	e.publish(commands.KindSendMessage, "late", "c2")
	testutil.Eventually(t, 5*time.Second, func() bool {
		cons, err := e.js.Consumer(testutil.Context(t), natsx.StreamCommands, commands.ShardConsumerName(shard.Of("late", e.shards)))
		if err != nil {
			return false
		}
		ci, err := cons.Info(testutil.Context(t))
		return err == nil && ci.NumRedelivered > 0
	}, "command of the unknown session nak'd and redelivered")
	e.putSession("late")
	testutil.Eventually(t, 10*time.Second, func() bool {
		e.l.lock.Lock()
		defer e.l.lock.Unlock()
		return len(e.l.executed["late"]) == 2
	}, "commands ran after the session appeared")
	// Order is not asserted: nak'd commands of a not-yet-known session come
	// back by their own timers (see README, delivery semantics).
}

// TestDeleteThenRecreate: a session deleted and at once re-created with the
// same id is wiped first and then started with its new definition, even
// when both changes arrive while the old worker is busy (here: in Start).
func TestDeleteThenRecreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4, 15*time.Second)
	gate := make(chan struct{})
	e.l.lock.Lock()
	e.l.startGate = gate
	e.l.lock.Unlock()
	e.putSession("s1", func(s *control.Session) { s.Name = "old" })
	in := e.start("pod-a")
	testutil.Eventually(t, 10*time.Second, func() bool {
		e.l.lock.Lock()
		defer e.l.lock.Unlock()
		return e.l.inStart == 1
	}, "first Start in progress")

	if err := e.kv(natsx.BucketSessions).Delete(testutil.Context(t), "s1"); err != nil {
		t.Fatal(err)
	}
	e.putSession("s1", func(s *control.Session) { s.Name = "new"; s.Tenant = "t2" })
	// Both changes reached the shard while the old worker is still in Start.
	testutil.Eventually(t, 5*time.Second, func() bool {
		return pendingName(in.c, "s1") == "new"
	}, "re-created definition handed to the shard")
	e.l.lock.Lock()
	e.l.startGate = nil
	e.l.lock.Unlock()
	gate <- struct{}{}

	testutil.Eventually(t, 10*time.Second, func() bool {
		e.l.lock.Lock()
		defer e.l.lock.Unlock()
		return len(e.l.trail["s1"]) == 3
	}, "old start, delete, new start")
	e.l.lock.Lock()
	trail := append([]string(nil), e.l.trail["s1"]...)
	def := e.l.defs["s1"]
	e.l.lock.Unlock()
	if want := []string{"start old", "delete", "start new"}; !slices.Equal(trail, want) {
		t.Errorf("calls %v, want %v", trail, want)
	}
	if def.Tenant != "t2" || e.l.ownerOf("s1") != "pod-a" {
		t.Errorf("running definition %+v owner %q, want the re-created one on pod-a", def, e.l.ownerOf("s1"))
	}
	in.stop(t, false)
}

// TestDeleteRetried: a failed Delete (device not wiped) is retried until it
// succeeds, whether the session ran here or not.
func TestDeleteRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4, 15*time.Second)
	e.putSession("s1")
	in := e.start("pod-a", func(o *Options) { o.ConnectBackoff = 10 * time.Millisecond })
	testutil.Eventually(t, 10*time.Second, func() bool { return e.l.ownerOf("s1") == "pod-a" }, "s1 started")
	e.l.lock.Lock()
	e.l.failDelete["s1"], e.l.failDelete["s2"] = 2, 2
	e.l.lock.Unlock()
	kv := e.kv(natsx.BucketSessions)
	e.putSession("s2")
	for _, id := range []string{"s1", "s2"} {
		if err := kv.Delete(testutil.Context(t), id); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		e.l.lock.Lock()
		defer e.l.lock.Unlock()
		return e.l.deletes["s1"] == 1 && e.l.deletes["s2"] == 1
	}, "deletes retried until they succeed")
	in.stop(t, false)
}

// pendingName is the Name of the definition waiting in the session's worker.
func pendingName(c *Cluster, id string) string {
	c.shardsLock.Lock()
	r := c.shards[shard.Of(id, c.opts.Shards)]
	c.shardsLock.Unlock()
	if r == nil {
		return ""
	}
	w := r.worker(id)
	if w == nil {
		return ""
	}
	w.pendingLock.Lock()
	defer w.pendingLock.Unlock()
	if w.pending == nil {
		return ""
	}
	return w.pending.Name
}
