package events

import "time"

// ChatPresenceData is the payload of chat.presence (typing/recording in a chat).
type ChatPresenceData struct {
	Chat   string `json:"chat"`            // chat JID
	Sender string `json:"sender"`          // who is typing
	State  string `json:"state"`           // composing, paused
	Media  string `json:"media,omitempty"` // "audio" while recording a voice note
}

// ChatUpdatedData is the payload of chat.updated: only changed fields are set.
type ChatUpdatedData struct {
	Chat       string     `json:"chat"`                 // chat JID
	Archived   *bool      `json:"archived,omitempty"`   // archived or unarchived
	Pinned     *bool      `json:"pinned,omitempty"`     // pinned or unpinned
	MutedUntil *time.Time `json:"mutedUntil,omitempty"` // zero time = unmuted
	MarkedRead *bool      `json:"markedRead,omitempty"` // marked read/unread from another device
	Cleared    bool       `json:"cleared,omitempty"`    // messages cleared
	Deleted    bool       `json:"deleted,omitempty"`    // chat deleted
	Timestamp  time.Time  `json:"timestamp"`            // when
}

// ContactUpdatedData is the payload of contact.updated.
type ContactUpdatedData struct {
	JID          string `json:"jid"`                    // phone-number JID
	LID          string `json:"lid,omitempty"`          // LID, where known
	FullName     string `json:"fullName,omitempty"`     // name in the address book
	FirstName    string `json:"firstName,omitempty"`    // first name in the address book
	PushName     string `json:"pushName,omitempty"`     // the contact's own display name
	BusinessName string `json:"businessName,omitempty"` // verified business name
	PictureID    string `json:"pictureId,omitempty"`    // new profile picture id ("" = removed)
	PictureSet   bool   `json:"pictureSet,omitempty"`   // the event is a picture change
	About        string `json:"about,omitempty"`        // new status text
}

// PresenceUpdatedData is the payload of presence.updated.
type PresenceUpdatedData struct {
	JID      string     `json:"jid"`                // whose presence
	Online   bool       `json:"online"`             // available
	LastSeen *time.Time `json:"lastSeen,omitempty"` // when known
}

// CallData is the payload of call.offer and call.ended.
type CallData struct {
	CallID    string    `json:"callId"`           // WhatsApp call id
	From      string    `json:"from"`             // caller JID
	Group     string    `json:"group,omitempty"`  // group JID for group calls
	Video     bool      `json:"video,omitempty"`  // video call
	Reason    string    `json:"reason,omitempty"` // call.ended: why
	Timestamp time.Time `json:"timestamp"`        // when
}

// HistorySyncedData is the payload of history.synced.
type HistorySyncedData struct {
	SyncType      string   `json:"syncType"`                // INITIAL_BOOTSTRAP, RECENT, FULL, PUSH_NAME, ...
	Chats         int      `json:"chats"`                   // conversations in this chunk
	Messages      int      `json:"messages"`                // messages in this chunk
	Chunk         int      `json:"chunk"`                   // chunk order
	Progress      int      `json:"progress,omitempty"`      // percent, when WhatsApp says
	Conversations []string `json:"conversations,omitempty"` // chat JIDs in this chunk
}
