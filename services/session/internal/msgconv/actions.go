package msgconv

import (
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"

	"github.com/wamesh/wamesh/pkg/events"
)

// chatOf returns the chat JID of a message as wamesh reports it.
func chatOf(evt *waevents.Message) string {
	if evt.Info.IsGroup {
		return evt.Info.Chat.ToNonAD().String()
	}
	chat, _ := PhoneAndLID(evt.Info.Chat, evt.Info.RecipientAlt)
	return chat
}

func senderOf(evt *waevents.Message) string {
	s, _ := PhoneAndLID(evt.Info.Sender, evt.Info.SenderAlt)
	return s
}

// Reaction maps a reaction message to the message.reaction payload.
func Reaction(evt *waevents.Message) events.ReactionData {
	r := evt.Message.GetReactionMessage()
	return events.ReactionData{
		ID: evt.Info.ID, Chat: chatOf(evt), Sender: senderOf(evt), TargetID: r.GetKey().GetID(),
		Emoji: r.GetText(), Timestamp: evt.Info.Timestamp.UTC(), FromMe: evt.Info.IsFromMe,
	}
}

// Edit maps an edit to the message.edited payload.
func Edit(evt *waevents.Message) events.MessageEditedData {
	target := evt.Info.ID
	content := evt.Message
	if pm := evt.Message.GetProtocolMessage(); pm != nil {
		target = pm.GetKey().GetID()
		content = pm.GetEditedMessage()
	}
	text := content.GetConversation()
	if text == "" {
		text = content.GetExtendedTextMessage().GetText()
	}
	if text == "" {
		_, text = MediaOf(content)
	}
	return events.MessageEditedData{
		ID: target, Chat: chatOf(evt), Sender: senderOf(evt), Text: text,
		Timestamp: evt.Info.Timestamp.UTC(), FromMe: evt.Info.IsFromMe,
	}
}

// Revoke maps a revoke to the message.revoked payload.
func Revoke(evt *waevents.Message) events.MessageRevokedData {
	key := evt.Message.GetProtocolMessage().GetKey()
	d := events.MessageRevokedData{
		ID: key.GetID(), Chat: chatOf(evt), Sender: senderOf(evt),
		Timestamp: evt.Info.Timestamp.UTC(), FromMe: evt.Info.IsFromMe,
	}
	if p := key.GetParticipant(); p != "" && evt.Info.IsGroup {
		if author, err := types.ParseJID(p); err == nil && author.User != evt.Info.Sender.User {
			d.RevokedBy = d.Sender
			d.Sender = author.ToNonAD().String()
		}
	}
	return d
}
