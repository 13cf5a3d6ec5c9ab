package queries

import (
	"time"

	"github.com/wamesh/wamesh/pkg/events"
)

// History query ops (wamesh.q.history.<op>).
const (
	OpChats      = "chats"      // ChatsRequest -> Page[Chat]
	OpChat       = "chat"       // ChatRequest -> Chat
	OpMessages   = "messages"   // MessagesRequest -> Page[Message]
	OpMessage    = "message"    // MessageRequest -> Message
	OpContacts   = "contacts"   // ContactsRequest -> Page[Contact]
	OpDeliveries = "deliveries" // DeliveriesRequest -> Page[DeliveryAttempt]
	OpGroups     = "groups"     // GroupsRequest -> Page[Group]
)

// Page is one page of a list; NextCursor is "" on the last page. Cursors are
// opaque to clients.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// ChatsRequest lists the chats of a session.
type ChatsRequest struct {
	Tenant  string `json:"tenant"`           // caller's tenant (scope)
	Session string `json:"session"`          // session id
	Type    string `json:"type,omitempty"`   // "direct", "group" or "" for both
	Unread  bool   `json:"unread,omitempty"` // only chats with unread messages
	Search  string `json:"search,omitempty"` // substring of name or JID
	Limit   int    `json:"limit,omitempty"`  // default 50, max 500
	Cursor  string `json:"cursor,omitempty"` // from a previous page
}

// ChatRequest names one chat.
type ChatRequest struct {
	Tenant  string `json:"tenant"`
	Session string `json:"session"`
	Chat    string `json:"chat"` // normalised chat JID
}

// Chat is a conversation as history knows it.
type Chat struct {
	JID           string              `json:"jid"`                     // chat JID
	Type          string              `json:"type"`                    // direct or group
	Name          string              `json:"name,omitempty"`          // contact or group name
	LastMessage   *events.MessageData `json:"lastMessage,omitempty"`   // newest message
	LastMessageAt *time.Time          `json:"lastMessageAt,omitempty"` // its time
	UnreadCount   int                 `json:"unreadCount"`             // received and not read by us
	Archived      bool                `json:"archived"`
	Pinned        bool                `json:"pinned"`
	Muted         bool                `json:"muted"`
	MarkedUnread  bool                `json:"markedUnread"`        // marked as unread on one of the account's devices
	ClearedAt     *time.Time          `json:"clearedAt,omitempty"` // when the account last cleared the chat (messages are kept)
	DeletedAt     *time.Time          `json:"deletedAt,omitempty"` // when the account last deleted the chat (messages are kept)
}

// MessagesRequest pages through a chat, newest first.
type MessagesRequest struct {
	Tenant  string     `json:"tenant"`
	Session string     `json:"session"`
	Chat    string     `json:"chat"`             // normalised chat JID
	Limit   int        `json:"limit,omitempty"`  // default 50, max 500
	Cursor  string     `json:"cursor,omitempty"` // from a previous page
	Before  *time.Time `json:"before,omitempty"` // only older than
	After   *time.Time `json:"after,omitempty"`  // only newer than
}

// MessageRequest names one message.
type MessageRequest struct {
	Tenant  string `json:"tenant"`
	Session string `json:"session"`
	Chat    string `json:"chat,omitempty"` // optional: narrows the lookup
	ID      string `json:"id"`             // WhatsApp message id
}

// Message is a stored message with what happened to it since.
type Message struct {
	events.MessageData
	Status    string        `json:"status"`              // pending, sent, delivered, read, played, failed (own); received (others)
	Statuses  []StatusEntry `json:"statuses,omitempty"`  // timeline, per recipient in groups
	Edits     []Edit        `json:"edits,omitempty"`     // previous versions, oldest first
	Revoked   bool          `json:"revoked"`             // deleted for everyone
	Reactions []Reaction    `json:"reactions,omitempty"` // current reactions by sender
	Votes     []PollVote    `json:"votes,omitempty"`     // polls: each voter's current selection
	Error     string        `json:"error,omitempty"`     // failure reason when Status == failed
}

// StatusEntry is one step of a message's status timeline.
type StatusEntry struct {
	Status    string    `json:"status"`              // sent, delivered, read, played, failed
	Recipient string    `json:"recipient,omitempty"` // who (groups)
	Timestamp time.Time `json:"timestamp"`
}

// Edit is an earlier version of an edited message.
type Edit struct {
	Text     string    `json:"text"`     // the text before the edit
	EditedAt time.Time `json:"editedAt"` // when it was replaced
}

// Reaction is the current reaction of one sender.
type Reaction struct {
	Sender    string    `json:"sender"`
	Emoji     string    `json:"emoji"`
	Timestamp time.Time `json:"timestamp"`
}

// PollVote is a voter's current selection in a poll; an empty Options is
// a withdrawn vote.
type PollVote struct {
	Sender    string    `json:"sender"`
	Options   []string  `json:"options"` // option names (hashes when the voter's phone did not know the poll)
	Timestamp time.Time `json:"timestamp"`
}

// ContactsRequest lists contacts of a session.
type ContactsRequest struct {
	Tenant  string `json:"tenant"`
	Session string `json:"session"`
	Search  string `json:"search,omitempty"` // substring of name, phone or JID
	Limit   int    `json:"limit,omitempty"`
	Cursor  string `json:"cursor,omitempty"`
}

// Contact is a WhatsApp user as history knows them.
type Contact struct {
	JID          string `json:"jid"`                    // phone-number JID
	LID          string `json:"lid,omitempty"`          // LID where known
	Phone        string `json:"phone,omitempty"`        // E.164 digits
	Name         string `json:"name,omitempty"`         // address-book name
	PushName     string `json:"pushName,omitempty"`     // their own display name
	BusinessName string `json:"businessName,omitempty"` // verified business name
}

// GroupsRequest lists groups history knows of.
type GroupsRequest struct {
	Tenant  string `json:"tenant"`
	Session string `json:"session"`
	Limit   int    `json:"limit,omitempty"`
	Cursor  string `json:"cursor,omitempty"`
}

// Group is a group as history knows it.
type Group struct {
	JID          string   `json:"jid"`
	Subject      string   `json:"subject"`
	Participants []string `json:"participants"`
	Admins       []string `json:"admins"`
}

// DeliveriesRequest lists delivery attempts of a webhook, newest first.
type DeliveriesRequest struct {
	Tenant  string `json:"tenant"`
	Webhook string `json:"webhook"`
	Limit   int    `json:"limit,omitempty"`
	Cursor  string `json:"cursor,omitempty"`
}

// DeliveryAttempt is one stored attempt.
type DeliveryAttempt struct {
	events.WebhookDeliveryData
	Outcome string    `json:"outcome"` // succeeded, attempt_failed, failed
	Time    time.Time `json:"time"`    // when the attempt finished
}
