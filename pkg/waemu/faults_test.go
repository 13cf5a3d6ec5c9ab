package waemu

import (
	"errors"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	dev := *ac.Client.Store.ID
	text := func(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }

	// Withheld acks make SendMessage time out; resuming restores service.
	srv.WithholdAcks(true)
	_, err := ac.Client.SendMessage(t.Context(), bob.JID(), text("lost ack"), whatsmeow.SendRequestExtra{Timeout: 300 * time.Millisecond})
	if !errors.Is(err, whatsmeow.ErrMessageTimedOut) {
		t.Fatalf("withheld ack: err = %v", err)
	}
	srv.WithholdAcks(false)
	srv.DelayAcks(50 * time.Millisecond)
	start := time.Now()
	if _, err := ac.Client.SendMessage(t.Context(), bob.JID(), text("slow ack")); err != nil || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("delayed ack: %v after %s", err, time.Since(start))
	}
	srv.DelayAcks(0)

	// Media 5xx fails uploads.
	srv.FailMedia(500)
	if _, err := ac.Client.Upload(t.Context(), []byte("x"), whatsmeow.MediaImage); err == nil {
		t.Fatal("upload succeeded during media failure")
	}
	srv.FailMedia(0)

	// A dropped connection is re-established by the client on its own.
	before := srv.ActiveConnections()[0].ConnID
	if !srv.DropConnection(dev) {
		t.Fatal("no connection to drop")
	}
	eventually(t, 10*time.Second, "reconnect", func() bool {
		conns := srv.ActiveConnections()
		return len(conns) == 1 && conns[0].ConnID != before
	})

	// Kicking with replaced ends the session for good.
	if !srv.KickReplaced(dev) {
		t.Fatal("no connection to kick")
	}
	waitEvent[*events.StreamReplaced](ac, 5*time.Second, nil)
}

func TestClientToClientAndDeviceListChange(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	if _, err := ac.Client.SendMessage(t.Context(), bob.JID(), &waE2E.Message{Conversation: proto.String("before")}); err != nil {
		t.Fatal(err)
	}
	// Bob links a client after Alice's client cached Bob's device list.
	bc := pairQR(t, srv, bob, "")
	resp, err := ac.Client.SendMessage(t.Context(), bob.JID(), &waE2E.Message{Conversation: proto.String("after")})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(bc, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == resp.ID && m.Message.GetConversation() == "after" })
	// And back: Bob's client answers Alice's client; Alice's phone sees it too.
	back, err := bc.Client.SendMessage(t.Context(), alice.JID(), &waE2E.Message{Conversation: proto.String("back")})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == back.ID && m.Message.GetConversation() == "back" })
	eventually(t, 5*time.Second, "alice's phone got it", func() bool {
		for _, m := range alice.Messages() {
			if m.ID == back.ID {
				return true
			}
		}
		return false
	})
	waitEvent(bc, 5*time.Second, func(r *events.Receipt) bool { return r.MessageIDs[0] == back.ID })
	// Read receipts travel client to client.
	if err := ac.Client.MarkRead(t.Context(), []types.MessageID{back.ID}, time.Now(), bob.JID(), bob.JID()); err != nil {
		t.Fatal(err)
	}
	waitEvent(bc, 5*time.Second, func(r *events.Receipt) bool {
		return r.MessageIDs[0] == back.ID && r.Type == types.ReceiptTypeRead && r.Sender.User == alice.JID().User
	})
}
