package wa

import (
	"encoding/base64"
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

// TestOutboundTypes: every message type of the send command arrives as the
// matching WhatsApp message, and message.sent reports the type.
func TestOutboundTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000181", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000182", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)
	b64 := func(s string) *commands.MediaRef {
		return &commands.MediaRef{Base64: base64.StdEncoding.EncodeToString([]byte(s))}
	}
	tests := []struct {
		req commands.SendMessage
		ok  func(*waE2E.Message) bool
	}{
		{commands.SendMessage{Type: events.TypeLocation, Location: &events.Location{Latitude: 1.5, Longitude: 2.5, Name: "X"}},
			func(x *waE2E.Message) bool { return x.GetLocationMessage().GetName() == "X" }},
		{commands.SendMessage{Type: events.TypeContact, Contacts: []events.Contact{{DisplayName: "Al", VCard: "BEGIN:VCARD\nEND:VCARD"}}},
			func(x *waE2E.Message) bool { return x.GetContactMessage().GetDisplayName() == "Al" }},
		{commands.SendMessage{Type: events.TypePoll, Poll: &events.Poll{Question: "Q?", Options: []string{"a", "b"}, SelectableCount: 1}},
			func(x *waE2E.Message) bool { return x.GetPollCreationMessageV3().GetName() == "Q?" }},
		{commands.SendMessage{Type: events.TypeVoice, Media: b64("OggS fake voice")},
			func(x *waE2E.Message) bool { return x.GetAudioMessage().GetPTT() }},
		{commands.SendMessage{Type: events.TypeVideo, Caption: "clip", Media: b64("fake mp4"), ViewOnce: true},
			func(x *waE2E.Message) bool {
				v := x.GetViewOnceMessage().GetMessage().GetVideoMessage()
				return v.GetCaption() == "clip"
			}},
		{commands.SendMessage{Type: events.TypeSticker, Media: &commands.MediaRef{Base64: base64.StdEncoding.EncodeToString([]byte("RIFF webp")), Mimetype: "image/webp"}},
			func(x *waE2E.Message) bool { return x.GetStickerMessage().GetMimetype() == "image/webp" }},
		{commands.SendMessage{Type: events.TypeText, Text: "hi @bob", Mentions: []string{bob.JID().String()}},
			func(x *waE2E.Message) bool {
				return slices.Contains(x.GetExtendedTextMessage().GetContextInfo().GetMentionedJID(), bob.JID().String())
			}},
	}
	for _, tt := range tests {
		cmd, _ := commands.NewCommand(commands.KindSendMessage, "t1", "s1", ids.NewMessageID(), bob.JID().String(), tt.req)
		if err := m.Execute(e.ctx, cmd); err != nil {
			t.Fatalf("send %s: %v", tt.req.Type, err)
		}
		testutil.Eventually(t, 10*time.Second, func() bool {
			i := slices.IndexFunc(bob.Messages(), func(x waemu.ReceivedMessage) bool { return x.ID == cmd.MessageID })
			return i >= 0 && tt.ok(bob.Messages()[i].Raw)
		}, "bob receives the %s", tt.req.Type)
		wait(e, events.MessageSent, func(d events.MessageData) bool { return d.ID == cmd.MessageID && d.Type == tt.req.Type })
	}
}
