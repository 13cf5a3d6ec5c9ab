package waemu

import (
	"context"
	"fmt"
	"go.mau.fi/whatsmeow/appstate"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/util/keys"
)

// Phone is a simulated WhatsApp account with its primary device (device 0).
// Clients link to it as companion devices.
type Phone struct {
	srv    *Server
	number string // digits only
	jid    types.JID
	lid    types.JID
	name   string
	rawID  uint32
	signal *signalStore

	// cryptoMu serializes Signal session and sender-key updates: a record is
	// loaded, advanced and stored, so two concurrent users would lose one.
	cryptoMu sync.Mutex

	// appMu serializes app state changes and guards app and appMutations.
	appMu        sync.Mutex
	app          *phoneAppState
	appMutations []appstate.Mutation

	// mu guards every field below.
	mu          sync.Mutex
	nextDevice  uint16
	devices     []types.JID // linked companion devices (PN AD JIDs)
	inbox       []ReceivedMessage
	receipts    []PhoneReceipt
	chatStates  []ChatState
	calls       []CallEvent
	sent        map[string]sentMessage // by id, for quotes, edits, polls and history
	read        map[string]bool        // inbox ids this phone marked read, for history's unread counts
	arrived     chan struct{}          // closed when a message arrives
	encLog      []string               // "in:pkmsg", "out:msg"...: what went over the wire
	skdmDevices map[string]bool        // group|device that hold our sender key
}

// sentMessage is a message a phone sent.
type sentMessage struct {
	msg  *waE2E.Message
	chat types.JID
	t    time.Time
}

// ReceivedMessage is a message a phone received and decrypted.
type ReceivedMessage struct {
	ID        string         `json:"id"`
	Chat      types.JID      `json:"chat"`
	From      types.JID      `json:"from"`
	Type      string         `json:"type"`
	Text      string         `json:"text,omitempty"`
	Caption   string         `json:"caption,omitempty"`
	Media     *MediaInfo     `json:"media,omitempty"`
	Timestamp time.Time      `json:"timestamp"`
	Raw       *waE2E.Message `json:"-"`
}

// PhoneReceipt is a receipt a client sent for a message of this phone.
type PhoneReceipt struct {
	IDs       []string  `json:"ids"`
	From      types.JID `json:"from"`
	Chat      types.JID `json:"chat"`
	Type      string    `json:"type"` // "" means delivered
	Timestamp time.Time `json:"timestamp"`
}

// ChatState is a typing notification a client sent to this phone.
type ChatState struct {
	From  types.JID `json:"from"`
	State string    `json:"state"` // composing, paused
	Media string    `json:"media,omitempty"`
}

// CreatePhone creates a simulated account. phone is an international number
// ("+15550000001" or digits); name is its push name.
func (s *Server) CreatePhone(phone, name string) (*Phone, error) {
	number := strings.TrimPrefix(strings.TrimSpace(phone), "+")
	if len(number) < 7 || len(number) > 15 || strings.Trim(number, "0123456789") != "" || number[0] == '0' {
		return nil, fmt.Errorf("phone %q: %w", phone, ErrInvalid)
	}
	identity := keys.NewKeyPair()
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if _, ok := s.phones[number]; ok {
		return nil, fmt.Errorf("phone %s: %w", number, ErrExists)
	}
	s.lidSeq++
	lidUser := strconv.FormatUint(s.lidSeq, 10)
	p := &Phone{
		srv: s, number: number, name: name,
		jid:        types.NewJID(number, types.DefaultUserServer),
		lid:        types.NewJID(lidUser, types.HiddenUserServer),
		rawID:      rand.Uint32(),
		signal:     newSignalStore(identity, uint32(rand.IntN(16380)+1)),
		nextDevice: 1,
	}
	s.phones[number] = p
	s.phonesByLID[lidUser] = p
	return p, nil
}

// Phone returns a phone by number (with or without "+") or by JID string.
func (s *Server) Phone(phone string) (*Phone, error) {
	key := strings.TrimPrefix(phone, "+")
	if jid, err := types.ParseJID(phone); err == nil && strings.Contains(phone, "@") {
		key = jid.User
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if p, ok := s.phones[key]; ok {
		return p, nil
	}
	if p, ok := s.phonesByLID[key]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("phone %s: %w", phone, ErrNotFound)
}

// Phones lists all simulated accounts, sorted by number.
func (s *Server) Phones() []*Phone {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	out := make([]*Phone, 0, len(s.phones))
	for _, p := range s.phones {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Phone) int { return strings.Compare(a.number, b.number) })
	return out
}

// phoneForUser finds the phone owning a PN or LID user.
func (s *Server) phoneForUser(jid types.JID) *Phone {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if jid.Server == types.HiddenUserServer {
		return s.phonesByLID[jid.User]
	}
	return s.phones[jid.User]
}

// Number returns the phone number with a leading "+".
func (p *Phone) Number() string { return "+" + p.number }

// JID returns the account's phone-number JID (device 0).
func (p *Phone) JID() types.JID { return p.jid }

// LID returns the account's LID.
func (p *Phone) LID() types.JID { return p.lid }

// Name returns the push name.
func (p *Phone) Name() string { return p.name }

func (p *Phone) identityPub() [32]byte  { return *p.signal.identity.Pub }
func (p *Phone) identityPriv() [32]byte { return *p.signal.identity.Priv }

func (p *Phone) allocDevice() uint16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.nextDevice
	p.nextDevice++
	return id
}

func (p *Phone) addDevice(jid types.JID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.devices = append(p.devices, jid)
}

func (p *Phone) removeDevice(jid types.JID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.devices = slices.DeleteFunc(p.devices, func(d types.JID) bool { return d == jid })
}

// Devices returns the companion devices linked to this account.
func (p *Phone) Devices() []types.JID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.devices)
}

// Messages returns everything this phone received, oldest first.
func (p *Phone) Messages() []ReceivedMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.inbox)
}

// Receipts returns the receipts clients sent for this phone's messages.
func (p *Phone) Receipts() []PhoneReceipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.receipts)
}

// ChatStates returns the typing notifications clients sent to this phone.
func (p *Phone) ChatStates() []ChatState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.chatStates)
}

func (p *Phone) logEnc(dir, typ string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.encLog = appendCapped(p.encLog, dir+":"+typ)
}

func (p *Phone) record(msg ReceivedMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inbox = appendCapped(p.inbox, msg)
	if p.arrived != nil {
		close(p.arrived)
		p.arrived = nil
	}
}

// WaitMessage blocks until the phone has received a message match accepts
// (nil accepts any) and returns it; it returns ctx's error when ctx ends.
func (p *Phone) WaitMessage(ctx context.Context, match func(ReceivedMessage) bool) (ReceivedMessage, error) {
	for {
		p.mu.Lock()
		for _, m := range p.inbox {
			if match == nil || match(m) {
				p.mu.Unlock()
				return m, nil
			}
		}
		if p.arrived == nil {
			p.arrived = make(chan struct{})
		}
		arrived := p.arrived
		p.mu.Unlock()
		select {
		case <-arrived:
		case <-ctx.Done():
			return ReceivedMessage{}, fmt.Errorf("wait for message on %s: %w", p.number, ctx.Err())
		}
	}
}
