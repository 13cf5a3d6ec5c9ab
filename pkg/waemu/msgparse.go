package waemu

import (
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
)

// MediaInfo describes an attachment a phone received. Data holds the
// decrypted bytes once the phone downloaded them (see Phone.DownloadMedia).
type MediaInfo struct {
	Mimetype   string `json:"mimetype,omitempty"`
	FileName   string `json:"fileName,omitempty"`
	FileLength uint64 `json:"fileLength,omitempty"`
	DirectPath string `json:"directPath,omitempty"`
	Data       []byte `json:"data,omitempty"`
}

// unwrap strips the containers clients put around real content.
func unwrap(m *waE2E.Message) *waE2E.Message {
	for i := 0; i < 4 && m != nil; i++ {
		switch {
		case m.GetEphemeralMessage().GetMessage() != nil:
			m = m.GetEphemeralMessage().GetMessage()
		case m.GetViewOnceMessage().GetMessage() != nil:
			m = m.GetViewOnceMessage().GetMessage()
		case m.GetViewOnceMessageV2().GetMessage() != nil:
			m = m.GetViewOnceMessageV2().GetMessage()
		case m.GetDocumentWithCaptionMessage().GetMessage() != nil:
			m = m.GetDocumentWithCaptionMessage().GetMessage()
		default:
			return m
		}
	}
	return m
}

// toReceived classifies a decrypted message for the phone's inbox.
func toReceived(id string, chat, from types.JID, t time.Time, raw *waE2E.Message) ReceivedMessage {
	rm := ReceivedMessage{ID: id, Chat: chat, From: from, Timestamp: t, Raw: raw, Type: "unknown"}
	m := unwrap(raw)
	media := func(typ, mime, name, caption, path string, size uint64) {
		rm.Type, rm.Caption = typ, caption
		rm.Media = &MediaInfo{Mimetype: mime, FileName: name, FileLength: size, DirectPath: path}
	}
	switch {
	case m.Conversation != nil:
		rm.Type, rm.Text = "text", m.GetConversation()
	case m.ExtendedTextMessage != nil:
		rm.Type, rm.Text = "text", m.GetExtendedTextMessage().GetText()
	case m.ImageMessage != nil:
		x := m.GetImageMessage()
		media("image", x.GetMimetype(), "", x.GetCaption(), x.GetDirectPath(), x.GetFileLength())
	case m.VideoMessage != nil:
		x := m.GetVideoMessage()
		media("video", x.GetMimetype(), "", x.GetCaption(), x.GetDirectPath(), x.GetFileLength())
	case m.AudioMessage != nil:
		x := m.GetAudioMessage()
		media("audio", x.GetMimetype(), "", "", x.GetDirectPath(), x.GetFileLength())
	case m.DocumentMessage != nil:
		x := m.GetDocumentMessage()
		media("document", x.GetMimetype(), x.GetFileName(), x.GetCaption(), x.GetDirectPath(), x.GetFileLength())
	case m.StickerMessage != nil:
		x := m.GetStickerMessage()
		media("sticker", x.GetMimetype(), "", "", x.GetDirectPath(), x.GetFileLength())
	case m.ReactionMessage != nil:
		rm.Type, rm.Text = "reaction", m.GetReactionMessage().GetText()
	case m.LocationMessage != nil:
		rm.Type, rm.Text = "location", m.GetLocationMessage().GetName()
	case m.LiveLocationMessage != nil:
		rm.Type = "live_location"
	case m.ContactMessage != nil:
		rm.Type, rm.Text = "contact", m.GetContactMessage().GetDisplayName()
	case m.ContactsArrayMessage != nil:
		rm.Type, rm.Text = "contacts", m.GetContactsArrayMessage().GetDisplayName()
	case m.PollCreationMessage != nil, m.PollCreationMessageV2 != nil, m.PollCreationMessageV3 != nil:
		rm.Type = "poll"
		rm.Text = m.GetPollCreationMessage().GetName() + m.GetPollCreationMessageV2().GetName() + m.GetPollCreationMessageV3().GetName()
	case m.PollUpdateMessage != nil:
		rm.Type = "poll_vote"
	case m.EditedMessage != nil:
		rm.Type = "edit"
		inner := m.GetEditedMessage().GetMessage().GetProtocolMessage().GetEditedMessage()
		rm.Text = inner.GetConversation() + inner.GetExtendedTextMessage().GetText()
	case m.ProtocolMessage != nil:
		rm.Type = protocolType(m.GetProtocolMessage())
	}
	return rm
}

func protocolType(pm *waE2E.ProtocolMessage) string {
	switch pm.GetType() {
	case waE2E.ProtocolMessage_REVOKE:
		return "revoke"
	case waE2E.ProtocolMessage_MESSAGE_EDIT:
		return "edit"
	default:
		return "protocol"
	}
}
