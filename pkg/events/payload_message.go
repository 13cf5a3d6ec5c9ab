package events

import "time"

// MessageType is the kind of content of a message.
type MessageType string

// Message types.
const (
	TypeText     MessageType = "text"
	TypeImage    MessageType = "image"
	TypeVideo    MessageType = "video"
	TypeAudio    MessageType = "audio"
	TypeVoice    MessageType = "voice"
	TypeDocument MessageType = "document"
	TypeSticker  MessageType = "sticker"
	TypeLocation MessageType = "location"
	TypeContact  MessageType = "contact"
	TypePoll     MessageType = "poll"
	TypeReaction MessageType = "reaction"
	TypeUnknown  MessageType = "unknown"
)

// MessageData is the payload of message.received and message.sent.
type MessageData struct {
	ID           string      `json:"id"`                     // WhatsApp message id
	Chat         string      `json:"chat"`                   // chat JID (user or group)
	ChatLID      string      `json:"chatLid,omitempty"`      // chat as LID, for direct chats where known
	Sender       string      `json:"sender"`                 // author as phone-number JID
	SenderLID    string      `json:"senderLid,omitempty"`    // author as LID, where known
	PushName     string      `json:"pushName,omitempty"`     // author's display name
	Timestamp    time.Time   `json:"timestamp"`              // WhatsApp server time
	Type         MessageType `json:"type"`                   // content kind
	Text         string      `json:"text,omitempty"`         // body of a text message
	Caption      string      `json:"caption,omitempty"`      // caption of media
	QuotedID     string      `json:"quotedId,omitempty"`     // id of the message replied to
	QuotedSender string      `json:"quotedSender,omitempty"` // author of the quoted message
	Mentions     []string    `json:"mentions,omitempty"`     // mentioned JIDs
	Media        *Media      `json:"media,omitempty"`        // for image, video, audio, voice, document, sticker
	Location     *Location   `json:"location,omitempty"`     // for location
	Contacts     []Contact   `json:"contacts,omitempty"`     // for contact
	Poll         *Poll       `json:"poll,omitempty"`         // for poll
	IsGroup      bool        `json:"isGroup"`                // chat is a group
	FromMe       bool        `json:"fromMe"`                 // sent by this account (any of its devices)
	Ephemeral    bool        `json:"ephemeral,omitempty"`    // disappearing message
	ViewOnce     bool        `json:"viewOnce,omitempty"`     // view-once media
	Forwarded    bool        `json:"forwarded,omitempty"`    // marked as forwarded
	Command      string      `json:"command,omitempty"`      // for message.sent: the command that produced it
}

// Media describes an attachment.
type Media struct {
	Mimetype string `json:"mimetype"`           // e.g. image/jpeg
	Size     int64  `json:"size"`               // bytes, plaintext
	SHA256   string `json:"sha256,omitempty"`   // hex of the plaintext
	FileName string `json:"fileName,omitempty"` // documents
	Seconds  int    `json:"seconds,omitempty"`  // audio/video length
	Width    int    `json:"width,omitempty"`    // image/video
	Height   int    `json:"height,omitempty"`   // image/video
	MediaID  string `json:"mediaId,omitempty"`  // id in the media store once stored (see media.stored)
}

// Location is a shared place.
type Location struct {
	Latitude  float64 `json:"latitude"`          // degrees
	Longitude float64 `json:"longitude"`         // degrees
	Name      string  `json:"name,omitempty"`    // place name
	Address   string  `json:"address,omitempty"` // street address
	URL       string  `json:"url,omitempty"`     // link
}

// Contact is a shared contact card.
type Contact struct {
	DisplayName string `json:"displayName"` // name shown in the chat
	VCard       string `json:"vcard"`       // vCard 3.0 text
}

// Poll is a poll's question and options.
type Poll struct {
	Question        string   `json:"question"`        // the question
	Options         []string `json:"options"`         // option names
	SelectableCount int      `json:"selectableCount"` // 0 = any number
}

// MessageFailedData is the payload of message.failed.
type MessageFailedData struct {
	ID      string `json:"id"`                // the pre-generated message id
	Chat    string `json:"chat"`              // target chat JID, when it was resolved
	Code    string `json:"code"`              // machine code, e.g. WHATSAPP_ERROR, VALIDATION_FAILED
	Reason  string `json:"reason"`            // human-readable, including WhatsApp's reason
	Command string `json:"command,omitempty"` // the command that failed

	// Message is what a failed send was to send (sender and server
	// timestamp unknown: Timestamp is when the gateway accepted it), so the
	// failed message can be shown where it belongs; nil for other commands.
	Message *MessageData `json:"message,omitempty"`
}

// ReceiptData is the payload of message.delivered, message.read and message.played.
type ReceiptData struct {
	IDs          []string  `json:"ids"`                    // message ids the receipt covers
	Chat         string    `json:"chat"`                   // chat JID
	Recipient    string    `json:"recipient"`              // who delivered/read, phone-number JID
	RecipientLID string    `json:"recipientLid,omitempty"` // the same as LID, where known
	Timestamp    time.Time `json:"timestamp"`              // when
}

// MessageEditedData is the payload of message.edited.
type MessageEditedData struct {
	ID        string    `json:"id"`        // id of the edited (original) message
	Chat      string    `json:"chat"`      // chat JID
	Sender    string    `json:"sender"`    // author JID
	Text      string    `json:"text"`      // new text or caption
	Timestamp time.Time `json:"timestamp"` // time of the edit
	FromMe    bool      `json:"fromMe"`    // edited by this account
}

// MessageRevokedData is the payload of message.revoked.
type MessageRevokedData struct {
	ID        string    `json:"id"`                  // id of the revoked message
	Chat      string    `json:"chat"`                // chat JID
	Sender    string    `json:"sender"`              // author of the revoked message
	RevokedBy string    `json:"revokedBy,omitempty"` // a group admin, when not the author
	Timestamp time.Time `json:"timestamp"`           // time of the revoke
	FromMe    bool      `json:"fromMe"`              // revoked by this account
}

// ReactionData is the payload of message.reaction.
type ReactionData struct {
	ID        string    `json:"id"`        // id of the reaction message itself
	Chat      string    `json:"chat"`      // chat JID
	Sender    string    `json:"sender"`    // who reacted
	TargetID  string    `json:"targetId"`  // the message reacted to
	Emoji     string    `json:"emoji"`     // "" removes the reaction
	Timestamp time.Time `json:"timestamp"` // when
	FromMe    bool      `json:"fromMe"`    // reacted by this account
}

// PollVoteData is the payload of poll.vote.
type PollVoteData struct {
	ID        string    `json:"id"`        // id of the vote message
	Chat      string    `json:"chat"`      // chat JID
	Sender    string    `json:"sender"`    // voter
	PollID    string    `json:"pollId"`    // the poll's message id
	Options   []string  `json:"options"`   // selected option names (hashes when the poll is unknown)
	Timestamp time.Time `json:"timestamp"` // when
}

// MediaStoredData is the payload of media.stored.
type MediaStoredData struct {
	MediaID   string `json:"mediaId"`   // id to fetch with GET /v1/sessions/{s}/media/{id}
	MessageID string `json:"messageId"` // message carrying the media
	Chat      string `json:"chat"`      // chat JID
	Media     Media  `json:"media"`     // descriptor
}
