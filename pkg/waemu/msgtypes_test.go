package waemu

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

func TestPhoneMessageKinds(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	ctx := t.Context()
	wait := func(id string) *events.Message {
		t.Helper()
		return waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id })
	}

	first, err := bob.SendText(ctx, alice.JID(), "first")
	if err != nil {
		t.Fatal(err)
	}
	wait(first)
	reply, err := bob.SendTextWith(ctx, alice.JID(), "reply @alice", TextOptions{ReplyTo: first, Mentions: []types.JID{alice.JID()}})
	if err != nil {
		t.Fatal(err)
	}
	ci := wait(reply).Message.GetExtendedTextMessage().GetContextInfo()
	if ci.GetStanzaID() != first || len(ci.GetMentionedJID()) != 1 {
		t.Fatalf("context info = %v", ci)
	}
	react, _ := bob.React(ctx, alice.JID(), first, "👍")
	if wait(react).Message.GetReactionMessage().GetText() != "👍" {
		t.Fatal("reaction")
	}
	edit, _ := bob.Edit(ctx, alice.JID(), first, "edited")
	if e := wait(edit); e.Info.Edit != types.EditAttributeMessageEdit || e.Message.GetProtocolMessage().GetEditedMessage().GetConversation() != "edited" {
		t.Fatalf("edit = %+v", e.Message)
	}
	revoke, _ := bob.Revoke(ctx, alice.JID(), first)
	if wait(revoke).Message.GetProtocolMessage().GetType() != waE2E.ProtocolMessage_REVOKE {
		t.Fatal("revoke")
	}
	loc, _ := bob.SendLocation(ctx, alice.JID(), 52.5, 13.4, "Berlin", "")
	if wait(loc).Message.GetLocationMessage().GetDegreesLatitude() != 52.5 {
		t.Fatal("location")
	}
	vc, _ := bob.SendContact(ctx, alice.JID(), "Carol", "BEGIN:VCARD\nEND:VCARD")
	if wait(vc).Message.GetContactMessage().GetDisplayName() != "Carol" {
		t.Fatal("contact")
	}
	poll, _ := bob.SendPoll(ctx, alice.JID(), "Lunch?", []string{"pizza", "sushi"}, 1)
	pollEvt := wait(poll)
	if pollEvt.Message.GetPollCreationMessage().GetName() != "Lunch?" {
		t.Fatal("poll")
	}
	// The client votes on the phone's poll; the phone decrypts the vote.
	vote, err := ac.Client.BuildPollVote(ctx, &pollEvt.Info, []string{"sushi"})
	if err != nil {
		t.Fatalf("build vote: %v", err)
	}
	if _, err := ac.Client.SendMessage(ctx, bob.JID(), vote); err != nil {
		t.Fatalf("send vote: %v", err)
	}
	eventually(t, 5*time.Second, "phone decrypts vote", func() bool {
		for _, m := range bob.Messages() {
			if m.Type == "poll_vote" && m.Text == "sushi" {
				return true
			}
		}
		return false
	})
	// The phone votes on the client's poll; the client decrypts the vote.
	cpoll := ac.Client.BuildPollCreation("Dinner?", []string{"a", "b"}, 1)
	resp, err := ac.Client.SendMessage(ctx, bob.JID(), cpoll)
	if err != nil {
		t.Fatalf("send poll: %v", err)
	}
	eventually(t, 5*time.Second, "phone got poll", func() bool { return len(bob.Messages()) == 2 })
	pv, err := bob.Vote(ctx, alice.JID(), resp.ID, "b")
	if err != nil {
		t.Fatalf("phone vote: %v", err)
	}
	dec, err := ac.Client.DecryptPollVote(ctx, wait(pv))
	if err != nil || len(dec.GetSelectedOptions()) != 1 {
		t.Fatalf("client decrypt vote: %v %v", dec, err)
	}
}

func TestClientMessageKinds(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	ctx := t.Context()
	send := func(m *waE2E.Message) string {
		t.Helper()
		resp, err := ac.Client.SendMessage(ctx, bob.JID(), m)
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		return resp.ID
	}
	first := send(&waE2E.Message{Conversation: proto.String("hi")})
	cases := []struct {
		msg      *waE2E.Message
		typ, txt string
	}{
		{&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("quoted")}}, "text", "quoted"},
		{ac.Client.BuildReaction(bob.JID(), alice.JID(), first, "❤"), "reaction", "❤"},
		{ac.Client.BuildEdit(bob.JID(), first, &waE2E.Message{Conversation: proto.String("hi!")}), "edit", "hi!"},
		{ac.Client.BuildRevoke(bob.JID(), types.EmptyJID, first), "revoke", ""},
		{&waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(1), DegreesLongitude: proto.Float64(2), Name: proto.String("X")}}, "location", "X"},
		{&waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Dan"), Vcard: proto.String("BEGIN:VCARD")}}, "contact", "Dan"},
		{ac.Client.BuildPollCreation("Q", []string{"x", "y"}, 1), "poll", "Q"},
	}
	for _, c := range cases {
		id := send(c.msg)
		eventually(t, 5*time.Second, c.typ, func() bool {
			for _, m := range bob.Messages() {
				if m.ID == id {
					if m.Type != c.typ || m.Text != c.txt {
						t.Fatalf("%s: got type %q text %q", c.typ, m.Type, m.Text)
					}
					return true
				}
			}
			return false
		})
	}
}
