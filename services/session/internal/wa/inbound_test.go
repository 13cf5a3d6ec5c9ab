package wa

import (
	"testing"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/events"
)

// TestInboundActions: reactions, edits, revokes and locations sent by a
// phone become their catalog events.
func TestInboundActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000161", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000162", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)

	textID, err := bob.SendText(e.ctx, owner.JID(), "first version")
	if err != nil {
		t.Fatal(err)
	}
	wait(e, events.MessageReceived, func(d events.MessageData) bool { return d.ID == textID })
	key := &waCommon.MessageKey{RemoteJID: proto.String(owner.JID().String()), FromMe: proto.Bool(true), ID: proto.String(textID)}

	sendRaw := func(msg *waE2E.Message) string {
		id, err := bob.SendMessage(e.ctx, owner.JID(), msg)
		if err != nil {
			t.Fatalf("bob sends: %v", err)
		}
		return id
	}
	reactID := sendRaw(&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: key, Text: proto.String("👍")}})
	_, r := wait(e, events.MessageReaction, func(d events.ReactionData) bool { return d.ID == reactID })
	if r.TargetID != textID || r.Emoji != "👍" || r.Sender != bob.JID().String() {
		t.Fatalf("message.reaction = %+v", r)
	}
	sendRaw(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: key,
		EditedMessage: &waE2E.Message{Conversation: proto.String("second version")}}})
	_, ed := wait(e, events.MessageEdited, func(d events.MessageEditedData) bool { return d.ID == textID })
	if ed.Text != "second version" || ed.FromMe {
		t.Fatalf("message.edited = %+v", ed)
	}
	sendRaw(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: key}})
	wait(e, events.MessageRevoked, func(d events.MessageRevokedData) bool { return d.ID == textID && d.Sender == bob.JID().String() })

	locID := sendRaw(&waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(48.1),
		DegreesLongitude: proto.Float64(11.6), Name: proto.String("Munich")}})
	_, loc := wait(e, events.MessageReceived, func(d events.MessageData) bool { return d.ID == locID })
	if loc.Type != events.TypeLocation || loc.Location == nil || loc.Location.Name != "Munich" {
		t.Fatalf("location = %+v", loc)
	}
}
