package msgconv

import (
	"errors"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
)

var (
	alicePN  = types.NewJID("15550001", types.DefaultUserServer)
	aliceLID = types.NewJID("900001", types.HiddenUserServer)
	group    = types.NewJID("1203630001", types.GroupServer)
	when     = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
)

func direct(m *waE2E.Message) *waevents.Message {
	return &waevents.Message{Info: types.MessageInfo{ID: "ID1", PushName: "Alice", Timestamp: when,
		MessageSource: types.MessageSource{Chat: aliceLID, Sender: aliceLID, SenderAlt: alicePN, RecipientAlt: alicePN}}, Message: m}
}

func TestMessageMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		evt   *waevents.Message
		check func(t *testing.T, d events.MessageData)
	}{
		{"text with reply and mentions", direct(&waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{
			Text: proto.String("hi @x"), ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("Q1"),
				Participant: proto.String("15550002@s.whatsapp.net"), MentionedJID: []string{"15550003@s.whatsapp.net"}}}}),
			func(t *testing.T, d events.MessageData) {
				if d.Type != events.TypeText || d.Text != "hi @x" || d.QuotedID != "Q1" || len(d.Mentions) != 1 {
					t.Fatalf("%+v", d)
				}
				if d.Sender != alicePN.String() || d.SenderLID != aliceLID.String() || d.Chat != alicePN.String() || d.ChatLID != aliceLID.String() {
					t.Fatalf("jids: %+v", d)
				}
				if d.PushName != "Alice" || !d.Timestamp.Equal(when) || d.IsGroup || d.FromMe {
					t.Fatalf("meta: %+v", d)
				}
			}},
		{"voice note", direct(&waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true), Mimetype: proto.String("audio/ogg"),
			FileLength: proto.Uint64(12), FileSHA256: []byte{0xab}, Seconds: proto.Uint32(3)}}),
			func(t *testing.T, d events.MessageData) {
				if d.Type != events.TypeVoice || d.Media == nil || d.Media.Size != 12 || d.Media.SHA256 != "ab" || d.Media.Seconds != 3 {
					t.Fatalf("%+v %+v", d, d.Media)
				}
			}},
		{"document with caption", direct(&waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{FileName: proto.String("a.pdf"),
			Caption: proto.String("see"), Mimetype: proto.String("application/pdf")}}),
			func(t *testing.T, d events.MessageData) {
				if d.Type != events.TypeDocument || d.Caption != "see" || d.Media.FileName != "a.pdf" {
					t.Fatalf("%+v", d)
				}
			}},
		{"location", direct(&waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(52.5),
			DegreesLongitude: proto.Float64(13.4), Name: proto.String("Berlin")}}),
			func(t *testing.T, d events.MessageData) {
				if d.Type != events.TypeLocation || d.Location.Latitude != 52.5 || d.Location.Name != "Berlin" {
					t.Fatalf("%+v", d)
				}
			}},
		{"contact", direct(&waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Bob"), Vcard: proto.String("BEGIN:VCARD")}}),
			func(t *testing.T, d events.MessageData) {
				if d.Type != events.TypeContact || len(d.Contacts) != 1 || d.Contacts[0].DisplayName != "Bob" {
					t.Fatalf("%+v", d)
				}
			}},
		{"poll", direct(&waE2E.Message{PollCreationMessageV3: &waE2E.PollCreationMessage{Name: proto.String("Q?"),
			Options: []*waE2E.PollCreationMessage_Option{{OptionName: proto.String("a")}, {OptionName: proto.String("b")}}}}),
			func(t *testing.T, d events.MessageData) {
				if d.Type != events.TypePoll || d.Poll.Question != "Q?" || len(d.Poll.Options) != 2 {
					t.Fatalf("%+v", d)
				}
			}},
		{"view-once ephemeral group image", &waevents.Message{IsViewOnce: true, IsEphemeral: true, Info: types.MessageInfo{ID: "G1", Timestamp: when,
			MessageSource: types.MessageSource{Chat: group, IsGroup: true, Sender: alicePN, SenderAlt: aliceLID}},
			Message: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/jpeg"), Caption: proto.String("c")}}},
			func(t *testing.T, d events.MessageData) {
				if !d.IsGroup || d.Chat != group.String() || d.ChatLID != "" || !d.ViewOnce || !d.Ephemeral || d.Caption != "c" {
					t.Fatalf("%+v", d)
				}
				if d.Sender != alicePN.String() || d.SenderLID != aliceLID.String() {
					t.Fatalf("sender: %+v", d)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if k := Classify(tt.evt); k != KindContent {
				t.Fatalf("kind %d", k)
			}
			tt.check(t, Message(tt.evt))
		})
	}
}

func TestActionMapping(t *testing.T) {
	t.Parallel()
	key := &waCommon.MessageKey{ID: proto.String("T1")}
	react := direct(&waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Key: key, Text: proto.String("👍")}})
	if Classify(react) != KindReaction {
		t.Fatal("reaction not classified")
	}
	if r := Reaction(react); r.TargetID != "T1" || r.Emoji != "👍" || r.Sender != alicePN.String() || r.ID != "ID1" {
		t.Fatalf("%+v", r)
	}
	revoke := direct(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum(), Key: key}})
	if Classify(revoke) != KindRevoke || Revoke(revoke).ID != "T1" {
		t.Fatalf("revoke %+v", Revoke(revoke))
	}
	edit := direct(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_MESSAGE_EDIT.Enum(), Key: key,
		EditedMessage: &waE2E.Message{Conversation: proto.String("new")}}})
	if Classify(edit) != KindEdit {
		t.Fatal("edit not classified")
	}
	if e := Edit(edit); e.ID != "T1" || e.Text != "new" {
		t.Fatalf("%+v", e)
	}
	noise := direct(&waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_APP_STATE_SYNC_KEY_SHARE.Enum()}})
	if Classify(noise) != KindIgnore {
		t.Fatal("key share must be ignored")
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	ci := &waE2E.ContextInfo{StanzaID: proto.String("Q")}
	m, err := Build(commands.SendMessage{Type: events.TypeText, Text: "x https://a.example/b", LinkPreview: true}, nil, ci)
	if err != nil || m.GetExtendedTextMessage().GetMatchedText() != "https://a.example/b" || m.GetExtendedTextMessage().GetContextInfo() != ci {
		t.Fatalf("text: %v %v", m, err)
	}
	if m, _ := Build(commands.SendMessage{Text: "plain"}, nil, nil); m.GetConversation() != "plain" {
		t.Fatalf("plain: %v", m)
	}
	up := &Uploaded{Mimetype: "audio/ogg"}
	if m, _ := Build(commands.SendMessage{Type: events.TypeVoice}, up, nil); !m.GetAudioMessage().GetPTT() {
		t.Fatalf("voice: %v", m)
	}
	if m, _ := Build(commands.SendMessage{Type: events.TypeImage, ViewOnce: true}, &Uploaded{Mimetype: "image/png"}, nil); m.GetViewOnceMessage().GetMessage().GetImageMessage() == nil {
		t.Fatalf("view once: %v", m)
	}
	poll, err := Build(commands.SendMessage{Type: events.TypePoll, Poll: &events.Poll{Question: "q", Options: []string{"a", "b"}}}, nil, nil)
	if err != nil || TypeOf(poll) != events.TypePoll || len(poll.GetMessageContextInfo().GetMessageSecret()) != 32 {
		t.Fatalf("poll: %v %v", poll, err)
	}
	for _, bad := range []commands.SendMessage{
		{Type: events.TypeText}, {Type: events.TypeImage}, {Type: events.TypeLocation}, {Type: events.TypeContact},
		{Type: events.TypePoll, Poll: &events.Poll{Question: "q", Options: []string{"only"}}}, {Type: "hologram"},
	} {
		if _, err := Build(bad, nil, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("Build(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}
