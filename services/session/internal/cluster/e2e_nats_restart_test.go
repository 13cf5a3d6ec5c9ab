package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
	"github.com/wamesh/wamesh/services/session/internal/wa"
)

// TestNATSOutageLosesNothing: NATS goes away for longer than the lease TTL
// and than the session's bound on storing one event, while messages keep
// arriving from WhatsApp: the handler gives up on them (no receipt), the
// session stops with its lease. After NATS is back the session is
// connected again, WhatsApp redelivers, every message that arrived is in
// WAMESH_EVENTS exactly once, and a command sent afterwards reaches
// WhatsApp once.
func TestNATSOutageLosesNothing(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	ns := testutil.NewRestartableNATS(t)
	e := newEnvAt(t, ns.URL(), 4, ttl)
	ctx := testutil.Context(t)
	srv, err := waemu.Start(context.WithoutCancel(ctx), waemu.Options{})
	if err != nil {
		t.Fatalf("waemu: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	// No reconnect buffer: a publish that fails during the outage is gone
	// (with one, nats.go would send it after the reconnect and hide whether
	// WhatsApp's redelivery works).
	nc, err := nats.Connect(ns.URL(), nats.Name("pod-a-wa"), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond), nats.ReconnectBufSize(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := wa.NewManager(wa.ManagerConfig{NATS: nc, JetStream: js, DeviceStore: testutil.Postgres(t), PodID: "pod-a",
		Configure: srv.Configure, MediaHTTPClient: srv.HTTPClient(), Logger: testLogger("pod-a"), HandleTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	pod := e.startWith("pod-a", m)
	testutil.Eventually(t, 20*time.Second, pod.c.Ready, "pod ready")

	owner, _ := srv.CreatePhone("+15550001001", "Owner")
	bob, _ := srv.CreatePhone("+15550001002", "Bob")
	e.putSession("s1")
	pairByQR(t, e, "s1", owner)
	connected := func() bool { return sessionState(t, e, "s1").Status == control.StatusConnected }
	testutil.Eventually(t, 30*time.Second, connected, "connected")

	var sent []string
	send := func(text string) {
		id, err := bob.SendText(ctx, owner.JID(), text)
		if err != nil {
			t.Fatalf("bob sends: %v", err)
		}
		sent = append(sent, id)
	}
	send("before the outage")
	testutil.Eventually(t, 10*time.Second, func() bool { return len(received(t, e)) == 1 }, "first message stored")

	ns.Stop()
	outage := time.Now()
	send("during the outage 1")
	send("during the outage 2")
	time.Sleep(2*ttl + time.Second) // the lease expires, the handler gives up
	ns.Start()
	t.Logf("NATS back after %s", time.Since(outage).Round(time.Millisecond))

	testutil.Eventually(t, 60*time.Second, func() bool {
		got := received(t, e)
		for _, id := range sent {
			if got[id] != 1 {
				return false
			}
		}
		return len(got) == len(sent)
	}, "every message stored once: %v", sent)
	testutil.Eventually(t, 30*time.Second, connected, "connected again")
	t.Logf("all messages stored and the session connected %s after the outage began", time.Since(outage).Round(time.Millisecond))

	// A command after the outage reaches WhatsApp once.
	msgID := ids.NewMessageID()
	cmd, err := commands.NewCommand(commands.KindSendMessage, "t1", "s1", msgID, bob.JID().String(),
		commands.SendMessage{Type: events.TypeText, Text: "after the outage"})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cmd.Msg(e.shards, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.js.PublishMsg(ctx, msg); err != nil {
		t.Fatalf("publish command: %v", err)
	}
	count := func() int {
		n := 0
		for _, m := range bob.Messages() {
			if m.ID == msgID {
				n++
			}
		}
		return n
	}
	testutil.Eventually(t, 30*time.Second, func() bool { return count() == 1 }, "bob gets the command's message")
	time.Sleep(time.Second)
	if n := count(); n != 1 {
		t.Fatalf("bob got the command's message %d times", n)
	}
	if got := received(t, e); len(got) != len(sent) {
		t.Fatalf("stored %v, want each of %v once", got, sent)
	}
}

// received counts message.received events of s1 in WAMESH_EVENTS by
// WhatsApp message id.
func received(t *testing.T, e *env) map[string]int {
	t.Helper()
	ctx := testutil.Context(t)
	stream, err := e.js.Stream(ctx, natsx.StreamEvents)
	if err != nil {
		return nil
	}
	oc, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"wamesh.events.t1.s1.message.received"}})
	if err != nil {
		return nil
	}
	out := map[string]int{}
	for {
		batch, err := oc.FetchNoWait(100)
		if err != nil {
			return out
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			if ev, err := events.Decode(msg.Data()); err == nil {
				if d, err := events.DecodeData[events.MessageData](ev); err == nil {
					out[d.ID]++
				}
			}
		}
		if n == 0 {
			return out
		}
	}
}
