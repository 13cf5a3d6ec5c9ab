package commands

import "time"

// QRResponse is the result of OpQR.
type QRResponse struct {
	Code      string    `json:"code"`      // the QR string; "" when already paired
	ExpiresAt time.Time `json:"expiresAt"` // rotation time
	Status    string    `json:"status"`    // session status at the time of the call
}

// PairCodeRequest is the payload of OpPairCode.
type PairCodeRequest struct {
	Phone string `json:"phone"` // E.164 digits of the account to link
}

// PairCodeResponse is the result of OpPairCode.
type PairCodeResponse struct {
	Code      string    `json:"code"`      // "ABCD-EFGH"
	ExpiresAt time.Time `json:"expiresAt"` // validity
}

// GroupRequest names a group.
type GroupRequest struct {
	Group string `json:"group"`           // group JID
	Reset bool   `json:"reset,omitempty"` // OpGroupInvite: revoke the old link
}

// GroupCreateRequest is the payload of OpGroupCreate.
type GroupCreateRequest struct {
	Subject      string   `json:"subject"`      // group name
	Participants []string `json:"participants"` // member JIDs
}

// JoinRequest is the payload of OpGroupJoin.
type JoinRequest struct {
	Invite string `json:"invite"` // invite code or https://chat.whatsapp.com/<code>
}

// GroupInfo describes a group.
type GroupInfo struct {
	JID          string             `json:"jid"`                   // group JID
	Subject      string             `json:"subject"`               // name
	Description  string             `json:"description,omitempty"` // topic
	Owner        string             `json:"owner,omitempty"`       // creator JID
	CreatedAt    time.Time          `json:"createdAt,omitzero"`    // creation time
	Announce     bool               `json:"announce"`              // only admins send
	Locked       bool               `json:"locked"`                // only admins edit info
	Participants []GroupParticipant `json:"participants"`          // members
}

// GroupParticipant is one member of a group.
type GroupParticipant struct {
	JID        string `json:"jid"`           // phone-number JID
	LID        string `json:"lid,omitempty"` // LID, where known
	Admin      bool   `json:"admin"`         // admin or super admin
	SuperAdmin bool   `json:"superAdmin"`    // creator
}

// InviteResponse is the result of OpGroupInvite.
type InviteResponse struct {
	Link string `json:"link"` // https://chat.whatsapp.com/<code>
}

// CheckRequest is the payload of OpCheckNumbers.
type CheckRequest struct {
	Phones []string `json:"phones"` // numbers in any common format
}

// CheckResult is one answer of OpCheckNumbers.
type CheckResult struct {
	Input        string `json:"input"`         // the number as given
	JID          string `json:"jid,omitempty"` // the account's JID when registered
	IsOnWhatsApp bool   `json:"isOnWhatsApp"`  // registered
}

// JIDRequest names one user or group.
type JIDRequest struct {
	JID string `json:"jid"`
}

// PictureResponse is the result of OpProfilePic.
type PictureResponse struct {
	URL string `json:"url,omitempty"` // "" when there is none or it is hidden
	ID  string `json:"id,omitempty"`  // picture id
}
