package waemu

import (
	"encoding/binary"
	"strconv"

	"go.mau.fi/libsignal/ecc"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// connDevice returns the registered device behind an authenticated conn.
func (s *Server) connDevice(c *conn) *linkedDevice {
	jid := c.deviceJID()
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.devices[jid]
}

func (s *Server) handlePreKeyCount(c *conn, _ *waBinary.Node) ([]waBinary.Node, *iqError) {
	dev := s.connDevice(c)
	if dev == nil {
		return nil, errIQForbidden
	}
	s.stateMu.Lock()
	n := len(dev.preKeys)
	s.stateMu.Unlock()
	return []waBinary.Node{{Tag: "count", Attrs: waBinary.Attrs{"value": strconv.Itoa(n)}}}, nil
}

func (s *Server) handlePreKeyUpload(c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	dev := s.connDevice(c)
	if dev == nil {
		return nil, errIQForbidden
	}
	var uploaded []preKeyRecord
	for _, k := range childrenOf(node.GetChildByTag("list")) {
		rec, ok := parsePreKeyNode(k)
		if !ok {
			return nil, errIQBadRequest
		}
		uploaded = append(uploaded, rec)
	}
	skey, ok := parsePreKeyNode(node.GetChildByTag("skey"))
	if !ok {
		return nil, errIQBadRequest
	}
	ident, _ := node.GetChildByTag("identity").Content.([]byte)
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	dev.preKeys = append(dev.preKeys, uploaded...)
	dev.signedPre = skey
	if len(ident) == 32 {
		dev.identityPub = [32]byte(ident)
	}
	return nil, nil
}

func parsePreKeyNode(n waBinary.Node) (preKeyRecord, bool) {
	id, _ := n.GetChildByTag("id").Content.([]byte)
	val, _ := n.GetChildByTag("value").Content.([]byte)
	if len(id) != 3 || len(val) != 32 {
		return preKeyRecord{}, false
	}
	sig, _ := n.GetChildByTag("signature").Content.([]byte)
	return preKeyRecord{id: be32(id), pub: [32]byte(val), signature: sig}, true
}

func (s *Server) handleKeyFetch(_ *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	var users []waBinary.Node
	for _, u := range childrenOf(node.GetChildByTag("key")) {
		jid, ok := u.Attrs["jid"].(types.JID)
		if !ok {
			continue
		}
		users = append(users, s.bundleNode(jid))
	}
	return []waBinary.Node{{Tag: "list", Content: users}}, nil
}

// bundleNode serves a key bundle for a phone's primary device or a linked
// device, consuming one uploaded one-time prekey of the latter.
func (s *Server) bundleNode(jid types.JID) waBinary.Node {
	user := waBinary.Node{Tag: "user", Attrs: waBinary.Attrs{"jid": jid}}
	b, ok := s.takeBundle(jid)
	if !ok {
		user.Content = []waBinary.Node{{Tag: "error", Attrs: waBinary.Attrs{"code": "404", "text": "item-not-found"}}}
		return user
	}
	content := []waBinary.Node{
		{Tag: "registration", Content: u32bytes(b.regID)},
		{Tag: "type", Content: []byte{ecc.DjbType}},
		{Tag: "identity", Content: b.identity[:]},
	}
	if b.preKey != nil {
		content = append(content, preKeyNode("key", *b.preKey))
	}
	content = append(content, preKeyNode("skey", b.signed))
	user.Content = content
	return user
}

type bundle struct {
	regID    uint32
	identity [32]byte
	preKey   *preKeyRecord
	signed   preKeyRecord
}

func (s *Server) takeBundle(jid types.JID) (bundle, bool) {
	if jid.Device == 0 {
		p := s.phoneForUser(jid)
		if p == nil {
			return bundle{}, false
		}
		st := p.signal
		pk := st.newPreKey()
		return bundle{
			regID: st.regID, identity: *st.identity.Pub,
			preKey: &preKeyRecord{id: pk.KeyID, pub: *pk.Pub},
			signed: preKeyRecord{id: st.signedPre.KeyID, pub: *st.signedPre.Pub, signature: st.signedPre.Signature[:]},
		}, true
	}
	dev := s.deviceByAnyJID(jid)
	if dev == nil {
		return bundle{}, false
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	b := bundle{regID: dev.regID, identity: dev.identityPub, signed: dev.signedPre}
	if len(dev.preKeys) > 0 {
		pk := dev.preKeys[0]
		dev.preKeys = dev.preKeys[1:]
		b.preKey = &pk
	}
	return b, true
}

// deviceByAnyJID resolves a linked device by its PN or LID AD JID.
func (s *Server) deviceByAnyJID(jid types.JID) *linkedDevice {
	if jid.Server == types.HiddenUserServer {
		p := s.phoneForUser(jid)
		if p == nil {
			return nil
		}
		jid = deviceJID(p.number, types.DefaultUserServer, jid.Device)
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.devices[jid]
}

func preKeyNode(tag string, k preKeyRecord) waBinary.Node {
	id := u32bytes(k.id)
	content := []waBinary.Node{{Tag: "id", Content: id[1:]}, {Tag: "value", Content: k.pub[:]}}
	if tag == "skey" {
		content = append(content, waBinary.Node{Tag: "signature", Content: k.signature})
	}
	return waBinary.Node{Tag: tag, Content: content}
}

func u32bytes(v uint32) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, v)
	return b
}
