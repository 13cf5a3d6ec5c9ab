package commands

import "github.com/wamesh/wamesh/pkg/events"

// MediaRef says where outgoing media comes from: exactly one of MediaID (the
// object store, uploaded through the gateway), URL (fetched by the owner
// behind the SSRF guard) or Base64.
type MediaRef struct {
	MediaID  string `json:"mediaId,omitempty"`  // id in wamesh_media (tenant/session scoped)
	URL      string `json:"url,omitempty"`      // http(s) URL
	Base64   string `json:"base64,omitempty"`   // inline content (small files)
	Mimetype string `json:"mimetype,omitempty"` // overrides detection
	FileName string `json:"fileName,omitempty"` // for documents
}

// SendMessage is the payload of KindSendMessage.
type SendMessage struct {
	Type        events.MessageType `json:"type"`                  // text, image, video, audio, voice, document, sticker, location, contact, poll
	Text        string             `json:"text,omitempty"`        // text body
	Caption     string             `json:"caption,omitempty"`     // media caption
	Media       *MediaRef          `json:"media,omitempty"`       // media source
	Location    *events.Location   `json:"location,omitempty"`    // location
	Contacts    []events.Contact   `json:"contacts,omitempty"`    // contact cards
	Poll        *events.Poll       `json:"poll,omitempty"`        // poll
	ReplyTo     string             `json:"replyTo,omitempty"`     // quoted message id
	Mentions    []string           `json:"mentions,omitempty"`    // mentioned JIDs
	LinkPreview bool               `json:"linkPreview,omitempty"` // build a link preview for the first URL
	ViewOnce    bool               `json:"viewOnce,omitempty"`    // view-once media
}

// EditMessage is the payload of KindEditMessage.
type EditMessage struct {
	TargetID string `json:"targetId"` // message to edit (must be ours)
	Text     string `json:"text"`     // new text
}

// RevokeMessage is the payload of KindRevokeMessage.
type RevokeMessage struct {
	TargetID string `json:"targetId"`         // message to revoke
	Sender   string `json:"sender,omitempty"` // author, for admins revoking others' group messages
}

// React is the payload of KindReact.
type React struct {
	TargetID string `json:"targetId"`         // message reacted to
	Sender   string `json:"sender,omitempty"` // author of the target ("" = the chat partner / own when fromMe)
	FromMe   bool   `json:"fromMe,omitempty"` // target was sent by us
	Emoji    string `json:"emoji"`            // "" removes the reaction
}

// Forward is the payload of KindForward.
type Forward struct {
	SourceChat string `json:"sourceChat"` // chat the message is in
	SourceID   string `json:"sourceId"`   // message to forward
}

// MarkRead is the payload of KindMarkRead.
type MarkRead struct {
	IDs    []string `json:"ids"`              // messages to mark read
	Sender string   `json:"sender,omitempty"` // author (groups)
}

// ChatPresence is the payload of KindChatPresence.
type ChatPresence struct {
	State string `json:"state"` // composing, recording, paused
}

// ChatState is the payload of KindChatState: the account's archive or pin
// state of a chat, synced to its other devices (app state). Set one.
type ChatState struct {
	Archived *bool `json:"archived,omitempty"` // archive (also unpins) or unarchive
	Pinned   *bool `json:"pinned,omitempty"`   // pin or unpin
}

// PollVote is the payload of KindPollVote.
type PollVote struct {
	PollID  string   `json:"pollId"`  // the poll's message id
	Options []string `json:"options"` // chosen option names
}

// GroupAction is the payload of KindGroupAction.
type GroupAction struct {
	Action       string   `json:"action"`                 // add, remove, promote, demote, subject, description, settings, leave
	Participants []string `json:"participants,omitempty"` // JIDs for participant actions
	Value        string   `json:"value,omitempty"`        // subject/description text, or a setting
}
