package commands

// JIDsRequest is the payload of OpUserInfo.
type JIDsRequest struct {
	JIDs []string `json:"jids"` // user JIDs or phone numbers
}

// UserInfo is one answer of OpUserInfo.
type UserInfo struct {
	JID          string   `json:"jid"`                    // phone-number JID
	LID          string   `json:"lid,omitempty"`          // LID, where known
	Status       string   `json:"status,omitempty"`       // about text
	PictureID    string   `json:"pictureId,omitempty"`    // current profile picture id
	BusinessName string   `json:"businessName,omitempty"` // verified business name
	Devices      []string `json:"devices,omitempty"`      // device JIDs
}

// ContactInfo is one entry of OpContacts (the session's address book).
type ContactInfo struct {
	JID          string `json:"jid"`                    // phone-number JID
	FirstName    string `json:"firstName,omitempty"`    // from the address book
	FullName     string `json:"fullName,omitempty"`     // from the address book
	PushName     string `json:"pushName,omitempty"`     // the contact's own display name
	BusinessName string `json:"businessName,omitempty"` // verified business name
}

// PrivacySettings is the result of OpPrivacy: setting name -> value
// (e.g. "lastSeen": "contacts", "readReceipts": "all").
type PrivacySettings map[string]string
