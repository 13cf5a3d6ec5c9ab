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

func TestLIDChats(t *testing.T) {
	t.Parallel()
	srv := startServerWith(t, Options{LIDChats: true, LIDGroups: true})
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	bc := pairQR(t, srv, bob, "")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	// Phone -> client arrives from Bob's LID, with his phone number alongside.
	id, err := bob.SendText(ctx, alice.JID(), "from my lid")
	if err != nil {
		t.Fatal(err)
	}
	got := waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id })
	if got.Info.Sender.Server != types.HiddenUserServer || !isUser(got.Info.Sender, bob) || got.Info.SenderAlt.User != bob.JID().User {
		t.Fatalf("sender = %s alt %s", got.Info.Sender, got.Info.SenderAlt)
	}
	// The client answers in the LID chat; Bob's phone and client get it.
	resp, err := ac.Client.SendMessage(ctx, got.Info.Chat, &waE2E.Message{Conversation: proto.String("reply")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitMessage(ctx, func(m ReceivedMessage) bool { return m.ID == resp.ID && m.Text == "reply" }); err != nil {
		t.Fatal(err)
	}
	evt := waitEvent(bc, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == resp.ID })
	if !isUser(evt.Info.Sender, alice) || evt.Message.GetConversation() != "reply" {
		t.Fatalf("bob's client got %+v", evt.Info)
	}
	waitEvent(ac, 5*time.Second, func(r *events.Receipt) bool { return r.MessageIDs[0] == resp.ID && isUser(r.Sender, bob) })
	if err := bob.MarkRead(alice.JID(), resp.ID); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(r *events.Receipt) bool {
		return r.MessageIDs[0] == resp.ID && r.Type == types.ReceiptTypeRead && isUser(r.Sender, bob)
	})
}
