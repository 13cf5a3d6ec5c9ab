package control

import "time"

// Tenant is a customer of the platform; every resource belongs to one.
type Tenant struct {
	ID          string            `json:"id"`                 // [A-Za-z0-9_-]{1,64}
	Name        string            `json:"name"`               // display name
	MaxSessions int               `json:"maxSessions"`        // quota; 0 = unlimited
	RateLimit   int               `json:"rateLimit"`          // requests per second; 0 = default
	Disabled    bool              `json:"disabled"`           // all keys refused when true
	Metadata    map[string]string `json:"metadata,omitempty"` // free-form
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

// Scopes of a tenant API key.
const (
	ScopeRead   = "read"   // GET routes
	ScopeSend   = "send"   // message and chat actions
	ScopeManage = "manage" // sessions, webhooks, groups administration
)

// APIKey is a tenant API key, stored under the hex SHA-256 of the key; the
// key itself is shown once and never stored.
type APIKey struct {
	ID        string     `json:"id"`                  // public id, e.g. key_...
	Tenant    string     `json:"tenant"`              // owner
	Name      string     `json:"name,omitempty"`      // label
	Prefix    string     `json:"prefix"`              // first characters of the key, to recognise it
	Scopes    []string   `json:"scopes"`              // read, send, manage
	ExpiresAt *time.Time `json:"expiresAt,omitempty"` // nil = never
	Revoked   bool       `json:"revoked"`             // refused when true
	CreatedAt time.Time  `json:"createdAt"`
}

// Session is the definition of a WhatsApp session (one linked device).
type Session struct {
	ID        string            `json:"id"`                 // globally unique [A-Za-z0-9_-]{1,64}
	Tenant    string            `json:"tenant"`             // owner
	Name      string            `json:"name,omitempty"`     // display name
	Metadata  map[string]string `json:"metadata,omitempty"` // free-form
	Pacing    Pacing            `json:"pacing"`             // anti-ban send pacing
	Proxy     string            `json:"proxy,omitempty"`    // socks5:// or http:// proxy for this session
	Stopped   bool              `json:"stopped,omitempty"`  // desired: do not connect
	Restart   int64             `json:"restart,omitempty"`  // bumped to request a reconnect
	Logout    int64             `json:"logout,omitempty"`   // bumped to request a logout
	CreatedAt time.Time         `json:"createdAt"`
	UpdatedAt time.Time         `json:"updatedAt"`
}

// Pacing is the per-session send pacing applied by the owner.
type Pacing struct {
	PerMinute   int  `json:"perMinute"`             // token bucket rate; 0 = unlimited
	Burst       int  `json:"burst"`                 // bucket size
	JitterMS    int  `json:"jitterMs,omitempty"`    // random extra delay per message, up to this
	TypingSim   bool `json:"typingSim,omitempty"`   // send "composing" before text, proportional to length
	MaxTypingMS int  `json:"maxTypingMs,omitempty"` // cap of the typing simulation
}

// Session statuses in SessionState.Status.
const (
	StatusStarting     = "starting"      // owner is bringing the client up
	StatusQR           = "qr"            // waiting for a QR scan
	StatusPairing      = "pairing"       // pairing code issued
	StatusConnected    = "connected"     // logged in and online
	StatusDisconnected = "disconnected"  // not connected, will reconnect
	StatusLoggedOut    = "logged_out"    // credentials gone; needs a new pairing
	StatusBanned       = "temporary_ban" // WhatsApp refuses for a while
	StatusStopped      = "stopped"       // stopped on request
)

// SessionState is the live state of a session, written only by its owner.
type SessionState struct {
	Session     string     `json:"session"`               // session id
	Tenant      string     `json:"tenant"`                // owner tenant
	Status      string     `json:"status"`                // one of Status*
	QR          string     `json:"qr,omitempty"`          // current QR code while Status == qr
	QRExpiresAt *time.Time `json:"qrExpiresAt,omitempty"` // rotation time
	JID         string     `json:"jid,omitempty"`         // device JID once paired
	LID         string     `json:"lid,omitempty"`         // account LID
	Phone       string     `json:"phone,omitempty"`       // E.164 digits
	PushName    string     `json:"pushName,omitempty"`    // account display name
	Owner       string     `json:"owner"`                 // pod id of the owner
	Epoch       uint64     `json:"epoch"`                 // lease revision (fencing) of the writer
	Error       string     `json:"error,omitempty"`       // last error, if any
	UpdatedAt   time.Time  `json:"updatedAt"`
}

// Webhook is a subscription of a tenant to events.
type Webhook struct {
	ID          string            `json:"id"`                    // wh_...
	Tenant      string            `json:"tenant"`                // owner
	URL         string            `json:"url"`                   // https endpoint
	Sessions    []string          `json:"sessions,omitempty"`    // session filter; empty = all
	Events      []string          `json:"events,omitempty"`      // type globs; empty = all
	Headers     map[string]string `json:"headers,omitempty"`     // custom request headers
	Secrets     []Secret          `json:"secrets"`               // signing secrets, newest first
	Ordered     bool              `json:"ordered,omitempty"`     // one delivery in flight, strict order
	RateLimit   int               `json:"rateLimit,omitempty"`   // deliveries per second; 0 = unlimited
	Concurrency int               `json:"concurrency,omitempty"` // max in flight; 0 = default
	Enabled     bool              `json:"enabled"`               // deliveries stop when false
	Disabled    string            `json:"disabled,omitempty"`    // why it was disabled automatically
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
}

// Secret is a webhook signing secret ("whsec_" + base64 bytes).
type Secret struct {
	Value     string     `json:"value"`               // whsec_...
	ExpiresAt *time.Time `json:"expiresAt,omitempty"` // set on the old secret at rotation
}

// ActiveSecrets returns the secrets still valid at now.
func (w Webhook) ActiveSecrets(now time.Time) []Secret {
	out := make([]Secret, 0, len(w.Secrets))
	for _, s := range w.Secrets {
		if s.ExpiresAt == nil || now.Before(*s.ExpiresAt) {
			out = append(out, s)
		}
	}
	return out
}
