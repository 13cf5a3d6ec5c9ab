package waemu

import (
	"context"
	"fmt"
	"slices"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// routeGroupMessage fans a client's group message out: every member device
// but the sender gets its pairwise SKDM part (if any) plus the skmsg.
func (s *Server) routeGroupMessage(m outgoing, node *waBinary.Node) {
	pairwise := map[types.JID][]waBinary.Node{}
	var recipients []types.JID
	participants := node.GetChildByTag("participants")
	for _, p := range participants.GetChildren() {
		if jid, ok := p.Attrs["jid"].(types.JID); ok && p.Tag == "to" {
			dev := s.canonicalDevice(jid)
			pairwise[dev] = p.GetChildren()
			if !slices.Contains(recipients, dev.ToNonAD()) {
				recipients = append(recipients, dev.ToNonAD())
			}
		}
	}
	members := recipients // a broadcast (status) goes to whom the sender chose
	if m.to.Server == types.GroupServer {
		var err error
		if members, err = s.GroupMembers(m.to); err != nil {
			s.log.Debug("waemu: group message to unknown group", "group", m.to)
			return
		}
	}
	skmsg := node.GetChildrenByTag("enc")
	for _, user := range members {
		p := s.phoneForUser(user)
		if p == nil {
			continue
		}
		targets := append([]types.JID{p.jid}, p.Devices()...)
		for _, dev := range targets {
			if dev == m.sender {
				continue
			}
			encs := append(append([]waBinary.Node{}, pairwise[dev]...), skmsg...)
			if dev.Device == 0 {
				p.receive(m, m.to, encs)
				continue
			}
			sender, senderAlt := s.groupIdentity(m.sender)
			attrs := waBinary.Attrs{
				"from": m.to, "participant": sender, "id": m.id, "t": unixAt(m.t), "type": m.typ,
				"addressing_mode": s.groupAddressing(),
			}
			if !senderAlt.IsEmpty() {
				attrs[s.altAttr("participant")] = senderAlt
			}
			if sp := s.phoneForUser(m.sender); sp != nil {
				attrs["notify"] = sp.name
			}
			for k, v := range m.attrs {
				if k != "addressing_mode" {
					attrs[k] = v
				}
			}
			s.deliver(dev, waBinary.Node{Tag: "message", Attrs: attrs, Content: encs})
		}
	}
}

// canonicalDevice maps a LID device JID to its PN device JID.
func (s *Server) canonicalDevice(jid types.JID) types.JID {
	if jid.Server != types.HiddenUserServer {
		return jid
	}
	if p := s.phoneForUser(jid); p != nil {
		return deviceJID(p.number, types.DefaultUserServer, jid.Device)
	}
	return jid
}

// sendGroup sends a phone's message to a group with its sender key.
func (p *Phone) sendGroup(ctx context.Context, gjid types.JID, id string, now time.Time, msg *waE2E.Message, plaintext []byte) error {
	members, err := p.srv.GroupMembers(gjid)
	if err != nil {
		return err
	}
	ct, skdm, err := p.groupEncrypt(ctx, gjid, plaintext)
	if err != nil {
		return err
	}
	skdmPlain, err := proto.Marshal(&waE2E.Message{SenderKeyDistributionMessage: &waE2E.SenderKeyDistributionMessage{
		GroupID: proto.String(gjid.String()), AxolotlSenderKeyDistributionMessage: skdm,
	}})
	if err != nil {
		return fmt.Errorf("marshal skdm: %w", err)
	}
	typ, encAttrs := stanzaType(msg)
	skEnc := waBinary.Node{Tag: "enc", Attrs: waBinary.Attrs{"v": "2", "type": "skmsg"}, Content: ct}
	for k, v := range encAttrs {
		skEnc.Attrs[k] = v
	}
	for _, user := range members {
		q := p.srv.phoneForUser(user)
		if q == nil {
			continue
		}
		if q != p {
			q.record(toReceived(id, gjid, p.jid, now, msg))
			p.srv.sendReceiptIDs(q, p.jid, gjid, "", []string{id})
		}
		for _, dev := range q.Devices() {
			encs := []waBinary.Node{}
			if !p.skdmSent(gjid, dev) {
				pct, encType, err := p.encryptFor(ctx, dev, skdmPlain)
				if err != nil {
					return err
				}
				encs = append(encs, waBinary.Node{Tag: "enc", Attrs: waBinary.Attrs{"v": "2", "type": encType}, Content: pct})
			}
			encs = append(encs, skEnc)
			sender, senderAlt := p.srv.groupIdentity(p.jid)
			attrs := waBinary.Attrs{
				"from": gjid, "participant": sender, p.srv.altAttr("participant"): senderAlt,
				"addressing_mode": p.srv.groupAddressing(), "id": id, "t": unixAt(now), "type": typ, "notify": p.name,
			}
			if edit := editAttr(msg); edit != "" {
				attrs["edit"] = edit
			}
			p.srv.deliver(dev, waBinary.Node{Tag: "message", Attrs: attrs, Content: encs})
		}
	}
	return nil
}

// skdmSent reports whether dev already has this phone's sender key for the
// group, and marks it as having it.
func (p *Phone) skdmSent(gjid, dev types.JID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.skdmDevices == nil {
		p.skdmDevices = map[string]bool{}
	}
	key := gjid.String() + "|" + dev.String()
	if p.skdmDevices[key] {
		return true
	}
	p.skdmDevices[key] = true
	return false
}
