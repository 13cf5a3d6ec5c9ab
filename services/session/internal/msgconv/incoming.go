// Package msgconv converts between WhatsApp protobuf messages (whatsmeow)
// and wamesh payloads: incoming messages to pkg/events payloads, outgoing
// pkg/commands payloads to waE2E messages. It does no I/O.
package msgconv

import (
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"

	"github.com/wamesh/wamesh/pkg/events"
)

// Kind classifies an incoming message by the event it becomes.
type Kind int

// Kinds of incoming messages.
const (
	KindIgnore   Kind = iota // protocol noise: key shares, history notifications, ...
	KindContent              // message.received / message.sent
	KindReaction             // message.reaction
	KindEdit                 // message.edited
	KindRevoke               // message.revoked
	KindPollVote             // poll.vote
)

// Classify returns the kind of an (unwrapped) incoming message.
func Classify(evt *waevents.Message) Kind {
	m := evt.Message
	switch {
	case m == nil:
		return KindIgnore
	case evt.IsEdit:
		return KindEdit
	case m.GetReactionMessage() != nil:
		return KindReaction
	case m.GetPollUpdateMessage() != nil:
		return KindPollVote
	case m.GetProtocolMessage() != nil:
		switch m.GetProtocolMessage().GetType() {
		case waE2E.ProtocolMessage_REVOKE:
			return KindRevoke
		case waE2E.ProtocolMessage_MESSAGE_EDIT:
			return KindEdit
		}
		return KindIgnore
	}
	if TypeOf(m) == events.TypeUnknown && m.GetSenderKeyDistributionMessage() != nil {
		return KindIgnore // a bare sender key share
	}
	return KindContent
}

// PhoneAndLID returns the phone-number and LID forms of a user JID, given
// its alternative address (either may be empty).
func PhoneAndLID(jid, alt types.JID) (phone, lid string) {
	for _, j := range []types.JID{jid, alt} {
		switch j.Server {
		case types.DefaultUserServer:
			if phone == "" {
				phone = j.ToNonAD().String()
			}
		case types.HiddenUserServer:
			if lid == "" {
				lid = j.ToNonAD().String()
			}
		}
	}
	if phone == "" && !jid.IsEmpty() {
		phone = jid.ToNonAD().String() // groups, bots: keep what we have
	}
	return phone, lid
}

// Message maps a content message to the message.received payload.
func Message(evt *waevents.Message) events.MessageData {
	info := evt.Info
	sender, senderLID := PhoneAndLID(info.Sender, info.SenderAlt)
	chat, chatLID := info.Chat.ToNonAD().String(), ""
	if !info.IsGroup {
		chat, chatLID = PhoneAndLID(info.Chat, info.RecipientAlt)
		if info.IsFromMe && info.DeviceSentMeta != nil {
			if dst, err := types.ParseJID(info.DeviceSentMeta.DestinationJID); err == nil {
				chat, chatLID = PhoneAndLID(dst, info.RecipientAlt)
			}
		}
	}
	m := evt.Message
	d := events.MessageData{
		ID: info.ID, Chat: chat, ChatLID: chatLID, Sender: sender, SenderLID: senderLID,
		PushName: info.PushName, Timestamp: info.Timestamp.UTC(), Type: TypeOf(m),
		IsGroup: info.IsGroup, FromMe: info.IsFromMe, Ephemeral: evt.IsEphemeral, ViewOnce: evt.IsViewOnce,
	}
	fillContent(&d, m)
	if ci := contextInfo(m); ci != nil {
		d.QuotedID = ci.GetStanzaID()
		d.QuotedSender = ci.GetParticipant()
		d.Mentions = ci.GetMentionedJID()
		d.Forwarded = ci.GetIsForwarded()
		if ci.GetExpiration() > 0 {
			d.Ephemeral = true
		}
	}
	return d
}

// TypeOf returns the content kind of a message.
func TypeOf(m *waE2E.Message) events.MessageType {
	switch {
	case m.GetConversation() != "" || m.GetExtendedTextMessage() != nil:
		return events.TypeText
	case m.GetImageMessage() != nil:
		return events.TypeImage
	case m.GetVideoMessage() != nil:
		return events.TypeVideo
	case m.GetAudioMessage() != nil:
		if m.GetAudioMessage().GetPTT() {
			return events.TypeVoice
		}
		return events.TypeAudio
	case m.GetDocumentMessage() != nil:
		return events.TypeDocument
	case m.GetStickerMessage() != nil:
		return events.TypeSticker
	case m.GetLocationMessage() != nil || m.GetLiveLocationMessage() != nil:
		return events.TypeLocation
	case m.GetContactMessage() != nil || m.GetContactsArrayMessage() != nil:
		return events.TypeContact
	case pollCreation(m) != nil:
		return events.TypePoll
	case m.GetReactionMessage() != nil:
		return events.TypeReaction
	}
	return events.TypeUnknown
}

func fillContent(d *events.MessageData, m *waE2E.Message) {
	switch d.Type {
	case events.TypeText:
		d.Text = m.GetConversation()
		if d.Text == "" {
			d.Text = m.GetExtendedTextMessage().GetText()
		}
	case events.TypeImage, events.TypeVideo, events.TypeAudio, events.TypeVoice, events.TypeDocument, events.TypeSticker:
		d.Media, d.Caption = MediaOf(m)
	case events.TypeLocation:
		d.Location = locationOf(m)
	case events.TypeContact:
		d.Contacts = contactsOf(m)
	case events.TypePoll:
		d.Poll = pollOf(m)
	}
}

// contextInfo returns the ContextInfo of whichever content the message has.
func contextInfo(m *waE2E.Message) *waE2E.ContextInfo {
	type withContext interface{ GetContextInfo() *waE2E.ContextInfo }
	for _, c := range []withContext{
		m.GetExtendedTextMessage(), m.GetImageMessage(), m.GetVideoMessage(), m.GetAudioMessage(),
		m.GetDocumentMessage(), m.GetStickerMessage(), m.GetLocationMessage(), m.GetContactMessage(),
		m.GetContactsArrayMessage(), pollCreation(m),
	} {
		if ci := c.GetContextInfo(); ci != nil {
			return ci
		}
	}
	return nil
}
