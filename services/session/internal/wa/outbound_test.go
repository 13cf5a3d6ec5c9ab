package wa

import (
	"slices"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
)

// TestOutboundActions: react, edit, revoke, mark read and chat presence
// commands reach the other phone.
func TestOutboundActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000171", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000172", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)
	chat := bob.JID().String()
	exec := func(kind commands.Kind, body any) string {
		t.Helper()
		cmd, _ := commands.NewCommand(kind, "t1", "s1", ids.NewMessageID(), chat, body)
		if err := m.Execute(e.ctx, cmd); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		return cmd.MessageID
	}
	received := func(id string, ok func(*waE2E.Message) bool) {
		t.Helper()
		testutil.Eventually(t, 10*time.Second, func() bool {
			i := slices.IndexFunc(bob.Messages(), func(x waemu.ReceivedMessage) bool { return x.ID == id })
			return i >= 0 && ok(bob.Messages()[i].Raw)
		}, "bob receives %s", id)
	}

	orig := exec(commands.KindSendMessage, commands.SendMessage{Type: events.TypeText, Text: "v1"})
	react := exec(commands.KindReact, commands.React{TargetID: orig, FromMe: true, Emoji: "🎉"})
	received(react, func(x *waE2E.Message) bool {
		return x.GetReactionMessage().GetText() == "🎉" && x.GetReactionMessage().GetKey().GetID() == orig
	})
	edit := exec(commands.KindEditMessage, commands.EditMessage{TargetID: orig, Text: "v2"})
	received(edit, func(x *waE2E.Message) bool {
		pm := x.GetProtocolMessage()
		if pm == nil {
			pm = x.GetEditedMessage().GetMessage().GetProtocolMessage()
		}
		return pm.GetKey().GetID() == orig && pm.GetEditedMessage().GetConversation() == "v2"
	})
	revoke := exec(commands.KindRevokeMessage, commands.RevokeMessage{TargetID: orig})
	received(revoke, func(x *waE2E.Message) bool {
		return x.GetProtocolMessage().GetType() == waE2E.ProtocolMessage_REVOKE && x.GetProtocolMessage().GetKey().GetID() == orig
	})
	for _, id := range []string{react, edit, revoke} {
		wait(e, events.MessageSent, func(d events.MessageData) bool { return d.ID == id })
	}

	in, err := bob.SendText(e.ctx, owner.JID(), "read me")
	if err != nil {
		t.Fatal(err)
	}
	wait(e, events.MessageReceived, func(d events.MessageData) bool { return d.ID == in })
	exec(commands.KindMarkRead, commands.MarkRead{IDs: []string{in}})
	testutil.Eventually(t, 10*time.Second, func() bool {
		return slices.ContainsFunc(bob.Receipts(), func(r waemu.PhoneReceipt) bool { return r.Type == "read" && slices.Contains(r.IDs, in) })
	}, "bob gets the read receipt")
	exec(commands.KindChatPresence, commands.ChatPresence{State: "composing"})
	testutil.Eventually(t, 10*time.Second, func() bool {
		return slices.ContainsFunc(bob.ChatStates(), func(c waemu.ChatState) bool { return c.State == "composing" })
	}, "bob sees typing")
}
