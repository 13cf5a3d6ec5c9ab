package events

import "time"

// GroupParticipant is one member of a group in group.* payloads.
type GroupParticipant struct {
	JID        string `json:"jid"`                  // phone-number JID
	LID        string `json:"lid,omitempty"`        // LID, where known
	Admin      bool   `json:"admin,omitempty"`      // admin or super admin
	SuperAdmin bool   `json:"superAdmin,omitempty"` // creator
}

// GroupData is the payload of group.created and group.joined.
type GroupData struct {
	JID          string             `json:"jid"`                    // group JID
	Subject      string             `json:"subject"`                // name
	Description  string             `json:"description,omitempty"`  // topic
	Owner        string             `json:"owner,omitempty"`        // creator JID
	CreatedAt    time.Time          `json:"createdAt,omitzero"`     // creation time
	Announce     bool               `json:"announce,omitempty"`     // only admins send
	Locked       bool               `json:"locked,omitempty"`       // only admins edit info
	Participants []GroupParticipant `json:"participants,omitempty"` // members
	Reason       string             `json:"reason,omitempty"`       // group.joined: why we joined (invite, create, ...)
}

// GroupUpdatedData is the payload of group.updated: only changed fields are set.
type GroupUpdatedData struct {
	JID         string    `json:"jid"`                   // group JID
	Actor       string    `json:"actor,omitempty"`       // who changed it
	Subject     *string   `json:"subject,omitempty"`     // new name
	Description *string   `json:"description,omitempty"` // new topic
	Announce    *bool     `json:"announce,omitempty"`    // only admins send
	Locked      *bool     `json:"locked,omitempty"`      // only admins edit info
	Ephemeral   *int      `json:"ephemeral,omitempty"`   // disappearing timer in seconds, 0 = off
	InviteLink  string    `json:"inviteLink,omitempty"`  // new invite link, when reset
	Timestamp   time.Time `json:"timestamp"`             // when
}

// Group participant actions in GroupParticipantsData.Action.
const (
	GroupActionAdd     = "add"
	GroupActionRemove  = "remove"
	GroupActionPromote = "promote"
	GroupActionDemote  = "demote"
)

// GroupParticipantsData is the payload of group.participants.
type GroupParticipantsData struct {
	JID          string    `json:"jid"`             // group JID
	Action       string    `json:"action"`          // add, remove, promote, demote
	Participants []string  `json:"participants"`    // affected member JIDs
	Actor        string    `json:"actor,omitempty"` // who did it
	Timestamp    time.Time `json:"timestamp"`       // when
}

// GroupLeftData is the payload of group.left.
type GroupLeftData struct {
	JID       string    `json:"jid"`             // group JID
	Actor     string    `json:"actor,omitempty"` // who removed us, when not ourselves
	Timestamp time.Time `json:"timestamp"`       // when
}
