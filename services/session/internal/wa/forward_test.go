package wa

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestForwardAndReplyUseHistory: forward re-sends a message looked up in the
// history service (marked forwarded); a reply quotes the stored text; without
// a history service a forward is retried, not failed.
func TestForwardAndReplyUseHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000131", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000132", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)

	fwd, _ := commands.NewCommand(commands.KindForward, "t1", "s1", ids.NewMessageID(), bob.JID().String(),
		commands.Forward{SourceChat: "15550000199@s.whatsapp.net", SourceID: "SRC1"})
	var ce *commands.Error
	if err := m.Execute(e.ctx, fwd); err == nil || errors.As(err, &ce) {
		t.Fatalf("forward without history = %v, want a retry", err)
	}

	stored := queries.Message{MessageData: events.MessageData{ID: "SRC1", Chat: "15550000199@s.whatsapp.net",
		Sender: "15550000199@s.whatsapp.net", Type: events.TypeText, Text: "stored text"}}
	sub, err := e.nc.Subscribe(queries.Subject(queries.ServiceHistory, queries.OpMessage), func(msg *nats.Msg) {
		var req queries.MessageRequest
		_ = json.Unmarshal(msg.Data, &req)
		if req.ID != "SRC1" || req.Tenant != "t1" || req.Session != "s1" {
			_ = commands.Reply(msg, nil, &commands.Error{Code: commands.CodeNotFound, Message: "no such message"})
			return
		}
		_ = commands.Reply(msg, stored, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	if err := m.Execute(e.ctx, fwd); err != nil {
		t.Fatalf("forward: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, x := range bob.Messages() {
			if x.ID == fwd.MessageID {
				return x.Text == "stored text" && x.Raw.GetExtendedTextMessage().GetContextInfo().GetIsForwarded()
			}
		}
		return false
	}, "bob receives the forwarded message")

	reply, _ := commands.NewCommand(commands.KindSendMessage, "t1", "s1", ids.NewMessageID(), bob.JID().String(),
		commands.SendMessage{Type: events.TypeText, Text: "answer", ReplyTo: "SRC1"})
	if err := m.Execute(e.ctx, reply); err != nil {
		t.Fatalf("reply: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, x := range bob.Messages() {
			if x.ID == reply.MessageID {
				ci := x.Raw.GetExtendedTextMessage().GetContextInfo()
				return ci.GetStanzaID() == "SRC1" && ci.GetQuotedMessage().GetConversation() == "stored text"
			}
		}
		return false
	}, "bob receives the reply with its quote")

	missing, _ := commands.NewCommand(commands.KindForward, "t1", "s1", ids.NewMessageID(), bob.JID().String(),
		commands.Forward{SourceID: "NOPE"})
	if err := m.Execute(e.ctx, missing); commands.CodeOf(err) != commands.CodeNotFound {
		t.Fatalf("forward of an unknown message: %v", err)
	}
}
