package waemu

import (
	"context"
	"strings"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// outgoing is a message stanza a client sent, as the server routes it.
type outgoing struct {
	id     string
	sender types.JID // sender device (PN AD JID)
	to     types.JID // chat: user or group
	typ    string
	attrs  waBinary.Attrs
	t      time.Time
}

// handleClientMessage acks a client's message and fans it out to devices.
func (s *Server) handleClientMessage(c *conn, node *waBinary.Node) {
	sender := c.deviceJID()
	to, ok := node.Attrs["to"].(types.JID)
	if sender.IsEmpty() || !ok {
		s.recordUnhandled(c, node)
		return
	}
	ag := node.AttrGetter()
	m := outgoing{id: ag.String("id"), sender: sender, to: to, typ: ag.OptionalString("type"), t: time.Now(), attrs: waBinary.Attrs{}}
	for _, k := range []string{"edit", "addressing_mode"} {
		if v, ok := node.Attrs[k]; ok {
			m.attrs[k] = v
		}
	}
	ack := waBinary.Node{Tag: "ack", Attrs: waBinary.Attrs{
		"class": "message", "id": m.id, "from": to, "t": unixNow(),
	}}
	if phash, ok := node.Attrs["phash"]; ok {
		ack.Attrs["phash"] = phash
	}
	s.faults.ackMessage(c, ack)
	if to.Server == types.GroupServer || to.Server == types.BroadcastServer {
		s.routeGroupMessage(m, node)
		return
	}
	participants := node.GetChildByTag("participants")
	for _, p := range participants.GetChildren() {
		target, ok := p.Attrs["jid"].(types.JID)
		if p.Tag != "to" || !ok {
			continue
		}
		s.routeToDevice(m, target, p.GetChildren())
	}
}

// routeToDevice delivers a 1:1 message's encrypted payloads to one device.
func (s *Server) routeToDevice(m outgoing, target types.JID, encs []waBinary.Node) {
	if target.Device == 0 {
		if p := s.phoneForUser(target); p != nil {
			p.receive(m, types.EmptyJID, encs)
			return
		}
	}
	dev := s.deviceByAnyJID(target)
	if dev == nil {
		return
	}
	attrs := waBinary.Attrs{"from": m.sender, "id": m.id, "t": unixAt(m.t), "type": m.typ}
	for k, v := range m.attrs {
		attrs[k] = v
	}
	sp := s.phoneForUser(m.sender)
	if sp != nil {
		attrs["notify"] = sp.name
		if dev.phone == sp {
			attrs["recipient"] = m.to
		} else {
			attrs = waBinary.Attrs(s.chatAttrs(attrs, m.sender))
		}
	}
	s.deliver(dev.jid, waBinary.Node{Tag: "message", Attrs: attrs, Content: encs})
}

// receive decrypts what a client sent to this phone and records it. group is
// empty for 1:1 messages.
func (p *Phone) receive(m outgoing, group types.JID, encs []waBinary.Node) {
	ctx := context.Background()
	var msg *waE2E.Message
	for _, enc := range encs {
		typ, _ := enc.Attrs["type"].(string)
		ct, _ := enc.Content.([]byte)
		p.logEnc("in", typ)
		var (
			pt  []byte
			err error
		)
		if typ == "skmsg" {
			pt, err = p.decryptGroup(ctx, group, m.sender, ct)
		} else {
			pt, err = p.decryptFrom(ctx, m.sender, typ, ct)
		}
		if err != nil {
			p.srv.log.Warn("waemu: phone decrypt", "phone", p.number, "from", m.sender, "id", m.id, "err", err)
			continue
		}
		var dec waE2E.Message
		if err := proto.Unmarshal(pt, &dec); err != nil {
			p.srv.log.Warn("waemu: phone unmarshal", "phone", p.number, "err", err)
			continue
		}
		if skdm := dec.GetSenderKeyDistributionMessage(); skdm != nil && !group.IsEmpty() {
			if err := p.processSKDM(ctx, group, m.sender, skdm.GetAxolotlSenderKeyDistributionMessage()); err != nil {
				p.srv.log.Warn("waemu: phone skdm", "phone", p.number, "err", err)
			}
		}
		if typ != "skmsg" && !group.IsEmpty() {
			continue // the pairwise part of a group message only carries the SKDM
		}
		msg = &dec
	}
	if msg == nil {
		return
	}
	if dsm := msg.GetDeviceSentMessage(); dsm != nil {
		return // a companion's copy of its own outgoing message
	}
	chat := m.sender.ToNonAD()
	if !group.IsEmpty() {
		chat = group
	}
	rm := toReceived(m.id, chat, m.sender.ToNonAD(), m.t, msg)
	if upd := msg.GetPollUpdateMessage(); upd != nil {
		if names, err := p.decryptVote(chat, m.sender.ToNonAD(), upd); err == nil {
			rm.Text = strings.Join(names, ",")
		} else {
			p.srv.log.Warn("waemu: phone poll vote", "phone", p.number, "err", err)
		}
	}
	if rm.Media != nil {
		if data, err := p.DownloadMedia(rm); err == nil {
			rm.Media.Data = data
		} else {
			p.srv.log.Warn("waemu: phone media download", "phone", p.number, "id", m.id, "err", err)
		}
	}
	p.record(rm)
	p.srv.sendReceipt(p, m, group, "")
}

func unixAt(t time.Time) string { return itoa64(t.Unix()) }
