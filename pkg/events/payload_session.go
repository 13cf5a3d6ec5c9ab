package events

import "time"

// SessionQRData is the payload of session.qr.
type SessionQRData struct {
	Code      string    `json:"code"`      // the string to render as a QR code
	ExpiresAt time.Time `json:"expiresAt"` // when WhatsApp rotates it
	Attempt   int       `json:"attempt"`   // 1 for the first code of a pairing attempt
}

// SessionPairCodeData is the payload of session.pair_code.
type SessionPairCodeData struct {
	Code      string    `json:"code"`      // e.g. "ABCD-EFGH", entered on the phone
	Phone     string    `json:"phone"`     // the phone number it was requested for
	ExpiresAt time.Time `json:"expiresAt"` // when it stops being accepted
}

// SessionConnectedData is the payload of session.connected.
type SessionConnectedData struct {
	JID      string `json:"jid"`                // device JID, e.g. 4915112345678:12@s.whatsapp.net
	LID      string `json:"lid,omitempty"`      // the account's LID
	Phone    string `json:"phone"`              // E.164 without '+'
	PushName string `json:"pushName,omitempty"` // display name of the account
	Platform string `json:"platform,omitempty"` // the phone's platform, when known
}

// SessionDisconnectedData is the payload of session.disconnected.
type SessionDisconnectedData struct {
	Reason string `json:"reason"` // why, e.g. "connection closed", "stream replaced", "stopped"
}

// SessionLoggedOutData is the payload of session.logged_out.
type SessionLoggedOutData struct {
	Reason    string `json:"reason"`    // WhatsApp's reason, or "logout requested"
	OnConnect bool   `json:"onConnect"` // true when the server refused a login with stored credentials
}

// SessionReconnectingData is the payload of session.reconnecting.
type SessionReconnectingData struct {
	Attempt int    `json:"attempt"`          // 1-based reconnect attempt
	DelayMS int64  `json:"delayMs"`          // wait before this attempt
	Reason  string `json:"reason,omitempty"` // what broke the previous connection
}

// SessionTemporaryBanData is the payload of session.temporary_ban.
type SessionTemporaryBanData struct {
	Code      int       `json:"code"`      // WhatsApp's ban reason code
	Reason    string    `json:"reason"`    // human-readable reason
	ExpiresAt time.Time `json:"expiresAt"` // when the ban ends
}
