package waemu

import (
	"fmt"
	"slices"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// CallEvent is a call signal a client sent to a phone (e.g. reject).
type CallEvent struct {
	CallID    string    `json:"callId"`
	From      types.JID `json:"from"` // client device
	Action    string    `json:"action"`
	Timestamp time.Time `json:"timestamp"`
}

// Call rings every client of user to (events.CallOffer) and returns the call id.
func (p *Phone) Call(to types.JID, video bool) (string, error) {
	q := p.srv.phoneForUser(to)
	if q == nil {
		return "", fmt.Errorf("callee %s: %w", to, ErrNotFound)
	}
	callID := NewMessageID()
	media := []waBinary.Node{{Tag: "audio", Attrs: waBinary.Attrs{"enc": "opus", "rate": "16000"}}}
	if video {
		media = append(media, waBinary.Node{Tag: "video", Attrs: waBinary.Attrs{"enc": "vp8"}})
	}
	p.sendCall(q, waBinary.Node{Tag: "offer", Attrs: waBinary.Attrs{"call-id": callID, "call-creator": p.jid}, Content: media})
	return callID, nil
}

// EndCall ends (or cancels ringing of) a call this phone started.
func (p *Phone) EndCall(to types.JID, callID string) error {
	q := p.srv.phoneForUser(to)
	if q == nil {
		return fmt.Errorf("callee %s: %w", to, ErrNotFound)
	}
	p.sendCall(q, waBinary.Node{Tag: "terminate", Attrs: waBinary.Attrs{"call-id": callID, "call-creator": p.jid, "reason": "timeout"}})
	return nil
}

func (p *Phone) sendCall(q *Phone, child waBinary.Node) {
	for _, dev := range q.Devices() {
		p.srv.deliverIfOnline(dev, waBinary.Node{Tag: "call", Attrs: waBinary.Attrs{
			"from": p.jid, "id": p.srv.nextID(), "t": unixNow(), "platform": "android", "version": "2.25.1.0",
		}, Content: []waBinary.Node{child}})
	}
}

// Calls returns the call signals clients sent to this phone.
func (p *Phone) Calls() []CallEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// handleClientCall records a client's call signal (reject, terminate...) for
// the callee phone and acks it.
func (s *Server) handleClientCall(c *conn, node *waBinary.Node) {
	to, _ := node.Attrs["to"].(types.JID)
	children := node.GetChildren()
	if len(children) != 1 {
		s.recordUnhandled(c, node)
		return
	}
	callID, _ := children[0].Attrs["call-id"].(string)
	_ = c.send(waBinary.Node{Tag: "ack", Attrs: waBinary.Attrs{
		"class": "call", "id": node.Attrs["id"], "from": to, "type": children[0].Tag,
	}})
	if p := s.phoneForUser(to); p != nil {
		p.mu.Lock()
		p.calls = appendCapped(p.calls, CallEvent{CallID: callID, From: c.deviceJID(), Action: children[0].Tag, Timestamp: time.Now()})
		p.mu.Unlock()
	}
}
