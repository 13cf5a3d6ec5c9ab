package waemu

import (
	"context"
	"fmt"
	"slices"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// ClientReceipt is a receipt a client sent.
type ClientReceipt struct {
	Device      types.JID `json:"device"` // the client device that sent it
	To          types.JID `json:"to"`     // chat
	Participant types.JID `json:"participant,omitempty"`
	Type        string    `json:"type"` // "" (delivered), read, played, retry, ...
	IDs         []string  `json:"ids"`
	Timestamp   time.Time `json:"timestamp"`
}

// ClientReceipts returns every receipt clients sent, oldest first.
func (s *Server) ClientReceipts() []ClientReceipt {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return slices.Clone(s.receipts)
}

func (s *Server) handleClientReceipt(c *conn, node *waBinary.Node) {
	ag := node.AttrGetter()
	r := ClientReceipt{
		Device: c.deviceJID(), To: ag.JID("to"), Participant: ag.OptionalJIDOrEmpty("participant"),
		Type: ag.OptionalString("type"), IDs: []string{ag.String("id")}, Timestamp: time.Now(),
	}
	for _, item := range childrenOf(node.GetChildByTag("list")) {
		if id, ok := item.Attrs["id"].(string); ok {
			r.IDs = append(r.IDs, id)
		}
	}
	ack := waBinary.Node{Tag: "ack", Attrs: waBinary.Attrs{"class": "receipt", "id": node.Attrs["id"], "from": r.To}}
	if r.Type != "" {
		ack.Attrs["type"] = r.Type
	}
	if !r.Participant.IsEmpty() {
		ack.Attrs["participant"] = r.Participant
	}
	_ = c.send(ack)
	if r.Type != "retry" {
		// whatsmeow acknowledges a message it handled with its receipt (with
		// SynchronousAck only once its handlers succeeded).
		for _, id := range r.IDs {
			c.acked(id)
		}
	}
	if r.Type == "retry" {
		s.log.Warn("waemu: client sent retry receipt", "device", r.Device, "ids", r.IDs)
		author := r.To
		if !r.Participant.IsEmpty() {
			author = r.Participant
		}
		if p := s.phoneForUser(author); p != nil {
			if err := p.resend(context.Background(), r.Device, r.To, r.IDs[0]); err != nil {
				s.log.Warn("waemu: resend after retry receipt", "err", err)
			}
		}
	}
	s.stateMu.Lock()
	s.receipts = appendCapped(s.receipts, r)
	s.stateMu.Unlock()
	// The message author is the participant in groups and the chat in 1:1.
	author := r.To
	if !r.Participant.IsEmpty() {
		author = r.Participant
	}
	if p := s.phoneForUser(author); p != nil && r.Type != "retry" {
		p.mu.Lock()
		p.receipts = appendCapped(p.receipts, PhoneReceipt{IDs: r.IDs, From: r.Device.ToNonAD(), Chat: r.To, Type: r.Type, Timestamp: r.Timestamp})
		p.mu.Unlock()
		s.forwardReceipt(p, r, node)
	}
}

// forwardReceipt passes a client's receipt on to the author's other clients.
func (s *Server) forwardReceipt(author *Phone, r ClientReceipt, node *waBinary.Node) {
	if author.jid.User == r.Device.User || r.Device.IsEmpty() {
		return // receipts between one's own devices are not forwarded
	}
	attrs := waBinary.Attrs{"id": r.IDs[0], "t": unixNow(), "from": first3(s.chatSender(r.Device))}
	if r.To.Server == types.GroupServer {
		attrs["from"], attrs["participant"] = r.To, first(s.groupIdentity(r.Device))
	}
	if r.Type != "" {
		attrs["type"] = r.Type
	}
	out := waBinary.Node{Tag: "receipt", Attrs: attrs}
	if list, ok := node.GetOptionalChildByTag("list"); ok {
		out.Content = []waBinary.Node{list}
	}
	for _, dev := range author.Devices() {
		s.deliver(dev, out)
	}
}

// sendReceipt sends a receipt from phone p for message m to every device of
// the author's account. group is empty for 1:1 chats.
func (s *Server) sendReceipt(p *Phone, m outgoing, group types.JID, typ string) {
	s.sendReceiptIDs(p, m.sender.ToNonAD(), group, typ, []string{m.id})
}

func (s *Server) sendReceiptIDs(p *Phone, author, group types.JID, typ string, ids []string) {
	if len(ids) == 0 {
		return
	}
	attrs := waBinary.Attrs{"id": ids[0], "t": unixNow(), "from": first3(s.chatSender(p.jid))}
	if !group.IsEmpty() {
		attrs["from"] = group
		attrs["participant"] = first(s.groupIdentity(p.jid))
	}
	if typ != "" {
		attrs["type"] = typ
	}
	node := waBinary.Node{Tag: "receipt", Attrs: attrs}
	if len(ids) > 1 {
		items := make([]waBinary.Node, 0, len(ids)-1)
		for _, id := range ids[1:] {
			items = append(items, waBinary.Node{Tag: "item", Attrs: waBinary.Attrs{"id": id}})
		}
		node.Content = []waBinary.Node{{Tag: "list", Content: items}}
	}
	ap := s.phoneForUser(author)
	if ap == nil {
		return
	}
	for _, dev := range ap.Devices() {
		s.deliver(dev, node)
	}
}

// MarkRead sends read receipts for messages this phone received in chat.
func (p *Phone) MarkRead(chat types.JID, ids ...string) error {
	return p.sendReceipts(chat, "read", ids)
}

// MarkPlayed sends played receipts (voice notes, videos).
func (p *Phone) MarkPlayed(chat types.JID, ids ...string) error {
	return p.sendReceipts(chat, "played", ids)
}

func (p *Phone) sendReceipts(chat types.JID, typ string, ids []string) error {
	byAuthor := map[types.JID][]string{}
	inbox := p.Messages()
	for _, id := range ids {
		i := slices.IndexFunc(inbox, func(m ReceivedMessage) bool { return m.ID == id && m.Chat == chat })
		if i < 0 {
			return fmt.Errorf("message %s in %s: %w", id, chat, ErrNotFound)
		}
		byAuthor[inbox[i].From] = append(byAuthor[inbox[i].From], id)
	}
	group := types.EmptyJID
	if chat.Server == types.GroupServer {
		group = chat
	}
	if typ == "read" {
		p.mu.Lock()
		if p.read == nil {
			p.read = map[string]bool{}
		}
		for _, id := range ids {
			p.read[id] = true
		}
		p.mu.Unlock()
	}
	for author, list := range byAuthor {
		p.srv.sendReceiptIDs(p, author, group, typ, list)
	}
	return nil
}
