package waemu

import (
	"slices"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// ClientPresence is a presence stanza a client sent.
type ClientPresence struct {
	Device    types.JID `json:"device"`
	Type      string    `json:"type"` // available, unavailable, subscribe
	To        types.JID `json:"to,omitempty"`
	Name      string    `json:"name,omitempty"`
	Timestamp time.Time `json:"timestamp"`
}

// ClientPresences returns every presence stanza clients sent.
func (s *Server) ClientPresences() []ClientPresence {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return slices.Clone(s.presences)
}

func (s *Server) handlePresence(c *conn, node *waBinary.Node) {
	ag := node.AttrGetter()
	pr := ClientPresence{
		Device: c.deviceJID(), Type: ag.OptionalString("type"), To: ag.OptionalJIDOrEmpty("to"),
		Name: ag.OptionalString("name"), Timestamp: time.Now(),
	}
	s.stateMu.Lock()
	s.presences = appendCapped(s.presences, pr)
	if dev := s.devices[pr.Device]; dev != nil && pr.Name != "" {
		dev.pushName = pr.Name
	}
	s.stateMu.Unlock()
	if pr.Type == "subscribe" && s.phoneForUser(pr.To) != nil {
		_ = c.send(waBinary.Node{Tag: "presence", Attrs: waBinary.Attrs{"from": pr.To.ToNonAD(), "type": "available"}})
	}
}

func (s *Server) handleChatState(c *conn, node *waBinary.Node) {
	ag := node.AttrGetter()
	to := ag.OptionalJIDOrEmpty("to")
	children := node.GetChildren()
	p := s.phoneForUser(to)
	if p == nil || len(children) == 0 {
		return
	}
	media, _ := children[0].Attrs["media"].(string)
	p.mu.Lock()
	p.chatStates = appendCapped(p.chatStates, ChatState{From: c.deviceJID().ToNonAD(), State: children[0].Tag, Media: media})
	p.mu.Unlock()
}

// SetPresence makes the phone appear online or offline to its contacts' clients.
func (p *Phone) SetPresence(available bool) {
	typ := "unavailable"
	if available {
		typ = "available"
	}
	node := waBinary.Node{Tag: "presence", Attrs: waBinary.Attrs{"from": p.jid, "type": typ}}
	if !available {
		node.Attrs["last"] = unixNow()
	}
	p.srv.broadcastToClients(p, node)
}

// SendChatPresence sends a typing ("composing") or "paused" state to a user's clients.
func (p *Phone) SendChatPresence(to types.JID, state string) error {
	q := p.srv.phoneForUser(to)
	if q == nil {
		return ErrNotFound
	}
	node := waBinary.Node{Tag: "chatstate", Attrs: waBinary.Attrs{"from": p.jid}, Content: []waBinary.Node{{Tag: state}}}
	for _, d := range q.Devices() {
		p.srv.deliverIfOnline(d, node)
	}
	return nil
}

// broadcastToClients sends node to every online client except p's own.
func (s *Server) broadcastToClients(p *Phone, node waBinary.Node) {
	for _, q := range s.Phones() {
		if q == p {
			continue
		}
		for _, d := range q.Devices() {
			s.deliverIfOnline(d, node)
		}
	}
}

func (s *Server) deliverIfOnline(dev types.JID, node waBinary.Node) {
	s.stateMu.Lock()
	c := s.conns[dev]
	s.stateMu.Unlock()
	if c != nil {
		_ = c.send(node)
	}
}
