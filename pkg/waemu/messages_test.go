package waemu

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

func TestDirectMessagesBothWays(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	tc := pairQR(t, srv, alice, "")

	// Client -> phone: ack, delivered, read.
	resp, err := tc.Client.SendMessage(t.Context(), bob.JID(), &waE2E.Message{Conversation: proto.String("hi bob")})
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if resp.Timestamp.IsZero() {
		t.Fatalf("ack without timestamp")
	}
	eventually(t, 5*time.Second, "bob receives", func() bool {
		msgs := bob.Messages()
		return len(msgs) == 1 && msgs[0].Text == "hi bob" && msgs[0].ID == resp.ID && msgs[0].From == alice.JID()
	})
	waitEvent(tc, 5*time.Second, func(r *events.Receipt) bool {
		return r.Type == types.ReceiptTypeDelivered && r.MessageIDs[0] == resp.ID
	})
	if err := bob.MarkRead(alice.JID(), resp.ID); err != nil {
		t.Fatalf("mark read: %v", err)
	}
	waitEvent(tc, 5*time.Second, func(r *events.Receipt) bool {
		return r.Type == types.ReceiptTypeRead && r.MessageIDs[0] == resp.ID && r.Sender.User == bob.JID().User
	})
	if err := bob.MarkPlayed(alice.JID(), resp.ID); err != nil {
		t.Fatalf("mark played: %v", err)
	}
	waitEvent(tc, 5*time.Second, func(r *events.Receipt) bool {
		return r.Type == types.ReceiptTypePlayed && r.MessageIDs[0] == resp.ID
	})
	if err := bob.MarkRead(alice.JID(), "no-such-id"); err == nil {
		t.Fatal("marking an unknown message read succeeded")
	}

	// Phone -> client: first a pkmsg, then a msg on the established session.
	for _, text := range []string{"hello alice", "second"} {
		id, err := bob.SendText(t.Context(), alice.JID(), text)
		if err != nil {
			t.Fatalf("phone send: %v", err)
		}
		evt := waitEvent(tc, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id })
		if evt.Message.GetConversation() != text || evt.Info.Sender.User != bob.JID().User || evt.Info.Edit != "" {
			t.Fatalf("got %q from %s", evt.Message.GetConversation(), evt.Info.Sender)
		}
		eventually(t, 5*time.Second, "client delivery receipt", func() bool {
			for _, r := range bob.Receipts() {
				if r.IDs[0] == id {
					return true
				}
			}
			return false
		})
	}
	// Reply on the same session from the client again (msg, not pkmsg).
	if _, err := tc.Client.SendMessage(t.Context(), bob.JID(), &waE2E.Message{Conversation: proto.String("again")}); err != nil {
		t.Fatalf("send again: %v", err)
	}
	eventually(t, 5*time.Second, "bob receives again", func() bool { return len(bob.Messages()) == 2 })
	bob.mu.Lock()
	encLog := append([]string(nil), bob.encLog...)
	bob.mu.Unlock()
	if encLog[0] != "in:pkmsg" || encLog[len(encLog)-1] != "in:msg" {
		t.Fatalf("bob's enc log = %v: want a pkmsg first and a msg last from the client", encLog)
	}
	if err := tc.Client.MarkRead(t.Context(), []types.MessageID{bob.Messages()[0].ID}, time.Now(), bob.JID(), bob.JID()); err != nil {
		t.Logf("mark read (client): %v", err)
	}
}

func TestRetryReceiptResends(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	first, err := bob.SendText(t.Context(), alice.JID(), "one")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == first })
	if _, err := ac.Client.SendMessage(t.Context(), bob.JID(), &waE2E.Message{Conversation: proto.String("ack")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "bob got reply", func() bool { return len(bob.Messages()) == 1 })
	// The client loses its session with Bob: his next "msg" cannot be
	// decrypted, the client sends a retry receipt, and Bob resends as pkmsg.
	if err := ac.Client.Store.Sessions.DeleteAllSessions(t.Context(), bob.LID().User+"_1"); err != nil {
		t.Fatal(err)
	}
	if err := ac.Client.Store.Sessions.DeleteAllSessions(t.Context(), bob.JID().User); err != nil {
		t.Fatal(err)
	}
	second, err := bob.SendText(t.Context(), alice.JID(), "two")
	if err != nil {
		t.Fatal(err)
	}
	evt := waitEvent(ac, 10*time.Second, func(m *events.Message) bool {
		return m.Info.ID == second && m.Message.GetConversation() == "two"
	})
	_ = evt
	retried := false
	for _, r := range srv.ClientReceipts() {
		retried = retried || (r.Type == "retry" && r.IDs[0] == second)
	}
	if !retried {
		t.Fatal("no retry receipt was needed; the test did not exercise resend")
	}
}

func TestOwnDevicesSeeEachOther(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	a1 := pairQR(t, srv, alice, "")
	a2 := pairQR(t, srv, alice, "")

	// A message from one companion reaches the other as a device-sent copy.
	resp, err := a1.Client.SendMessage(t.Context(), bob.JID(), &waE2E.Message{Conversation: proto.String("from a1")})
	if err != nil {
		t.Fatal(err)
	}
	got := waitEvent(a2, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == resp.ID })
	if !got.Info.IsFromMe || got.Info.Chat != bob.JID() || got.Message.GetConversation() != "from a1" {
		t.Fatalf("a2 got %+v", got.Info)
	}
	// Bob's answer reaches both companions.
	id, err := bob.SendText(t.Context(), alice.JID(), "to both")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(a1, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id })
	waitEvent(a2, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id })
	// What Alice types on her phone shows up on her companions.
	mine, err := alice.SendText(t.Context(), bob.JID(), "from the phone")
	if err != nil {
		t.Fatal(err)
	}
	evt := waitEvent(a1, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == mine })
	if !evt.Info.IsFromMe || evt.Info.Chat != bob.JID() || evt.Message.GetConversation() != "from the phone" {
		t.Fatalf("a1 got %+v %v", evt.Info, evt.Message)
	}
}

func TestPreKeyThenNormalMessages(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	carol := mustPhone(t, srv, 3, "Carol")
	ac := pairQR(t, srv, alice, "")
	encLog := func() []string {
		carol.mu.Lock()
		defer carol.mu.Unlock()
		return append([]string(nil), carol.encLog...)
	}
	// Phone -> client: pkmsg until the client answers, then msg.
	first, err := carol.SendText(t.Context(), alice.JID(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == first })
	if _, err := ac.Client.SendMessage(t.Context(), carol.JID(), &waE2E.Message{Conversation: proto.String("r1")}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "carol got reply", func() bool { return len(carol.Messages()) == 1 })
	second, err := carol.SendText(t.Context(), alice.JID(), "p2")
	if err != nil {
		t.Fatal(err)
	}
	if got := waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == second }); got.Message.GetConversation() != "p2" {
		t.Fatalf("p2 = %v", got.Message)
	}
	if log := encLog(); len(log) != 3 || log[0] != "out:pkmsg" || log[1] != "in:msg" || log[2] != "out:msg" {
		t.Fatalf("enc log = %v, want [out:pkmsg in:msg out:msg]", log)
	}
}

func TestSendToLID(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	resp, err := ac.Client.SendMessage(ctx, bob.LID(), &waE2E.Message{Conversation: proto.String("via lid")})
	if err != nil {
		t.Fatalf("send to lid: %v", err)
	}
	m, err := bob.WaitMessage(ctx, func(m ReceivedMessage) bool { return m.ID == resp.ID })
	if err != nil || m.Text != "via lid" {
		t.Fatalf("bob got %+v, %v", m, err)
	}
	// Bob answers; the client can keep talking on the same sessions.
	id, err := bob.SendText(t.Context(), alice.JID(), "ok")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id })
	if _, err := ac.Client.SendMessage(t.Context(), bob.LID(), &waE2E.Message{Conversation: proto.String("again")}); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitMessage(ctx, func(m ReceivedMessage) bool { return m.Text == "again" }); err != nil {
		t.Fatal(err)
	}
}

func TestStatusBroadcast(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	if err := ac.Client.Store.Contacts.PutContactName(t.Context(), bob.JID(), "Bob", "Bob"); err != nil {
		t.Fatal(err)
	}
	resp, err := ac.Client.SendMessage(t.Context(), types.StatusBroadcastJID, &waE2E.Message{Conversation: proto.String("my status")})
	if err != nil {
		t.Fatalf("post status: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	m, err := bob.WaitMessage(ctx, func(m ReceivedMessage) bool { return m.ID == resp.ID })
	if err != nil || m.Chat != types.StatusBroadcastJID || m.Text != "my status" || m.From != alice.JID() {
		t.Fatalf("bob got %+v, %v", m, err)
	}
}
