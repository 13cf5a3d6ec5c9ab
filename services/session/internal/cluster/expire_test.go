package cluster

import (
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestCommandsNeverDroppedSilently: a command that cannot run is never
// terminated without a message.failed: an offline session's command is
// retried (deliveries not counted) until WAMESH_COMMAND_MAX_AGE, a command
// of a session that never starts fails after the max age, one of a
// session that does not exist, or of another tenant, fails with
// SESSION_NOT_FOUND. Each leaves
// the command stream.
func TestCommandsNeverDroppedSilently(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 15*time.Second)
	const maxAge = 2 * time.Second
	e.l.lock.Lock()
	e.l.offline["s-offline"] = true
	e.l.failStart["s-nostart"] = true
	e.l.lock.Unlock()
	e.putSession("s-offline")
	e.putSession("s-nostart")

	var lock sync.Mutex
	failed := map[string]events.MessageFailedData{} // command id -> payload
	sub, err := e.nc.Subscribe("wamesh.events.*.*.message.failed", func(m *nats.Msg) {
		ev, err := events.Decode(m.Data)
		if err != nil {
			return
		}
		d, _ := events.DecodeData[events.MessageFailedData](ev)
		lock.Lock()
		failed[d.Command] = d
		lock.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })

	in := e.start("pod-a", func(o *Options) { o.MaxAge = maxAge; o.RetryDelay = 20 * time.Millisecond })
	testutil.Eventually(t, 10*time.Second, func() bool { return in.c.Ready() && e.l.ownerOf("s-offline") == "pod-a" }, "ready")
	published := time.Now()
	e.publish(commands.KindSendMessage, "s-offline", "c-offline")
	e.publish(commands.KindSendMessage, "s-nostart", "c-nostart")
	e.publish(commands.KindSendMessage, "s-ghost", "c-ghost")
	foreign := commands.Command{ID: "c-foreign", Kind: commands.KindSendMessage, Tenant: "t2", Session: "s-offline",
		Payload: []byte(`{}`), CreatedAt: time.Now()}
	msg, err := foreign.Msg(e.shards, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.js.PublishMsg(testutil.Context(t), msg); err != nil {
		t.Fatal(err)
	}

	want := map[string]commands.Code{
		"c-offline": commands.CodeTimeout,
		"c-nostart": commands.CodeTimeout,
		"c-ghost":   commands.CodeSessionNotFound,
		"c-foreign": commands.CodeSessionNotFound, // s-offline belongs to t1
	}
	testutil.Eventually(t, maxAge+15*time.Second, func() bool {
		lock.Lock()
		defer lock.Unlock()
		return len(failed) == len(want)
	}, "message.failed for every command")
	lock.Lock()
	for id, code := range want {
		if d := failed[id]; d.Code != string(code) || d.ID != id {
			t.Errorf("%s: message.failed %+v, want code %s and message id %s", id, d, code, id)
		}
	}
	lock.Unlock()
	if d := time.Since(published); d < maxAge {
		t.Errorf("expired commands failed after %s, before the max age %s", d, maxAge)
	}
	testutil.Eventually(t, 5*time.Second, func() bool {
		st, err := e.js.Stream(testutil.Context(t), natsx.StreamCommands)
		return err == nil && st.CachedInfo().State.Msgs == 0
	}, "commands left the stream")
	e.l.lock.Lock()
	executed := len(e.l.executed["s-offline"])
	e.l.lock.Unlock()
	if executed != 0 {
		t.Errorf("offline command executed %d times", executed)
	}
	in.stop(t, false)
}
