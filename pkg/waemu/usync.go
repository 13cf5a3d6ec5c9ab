package waemu

import (
	"strconv"
	"strings"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// handleUsync answers usync queries: devices, lid, contact, status, picture
// and business protocols for every listed user.
func (s *Server) handleUsync(_ *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	usync := node.GetChildByTag("usync")
	var protocols []string
	for _, q := range childrenOf(usync.GetChildByTag("query")) {
		protocols = append(protocols, q.Tag)
	}
	var users []waBinary.Node
	for _, u := range childrenOf(usync.GetChildByTag("list")) {
		if u.Tag != "user" {
			continue
		}
		users = append(users, s.usyncUser(u, protocols))
	}
	attrs := waBinary.Attrs{"sid": usync.Attrs["sid"], "mode": usync.Attrs["mode"], "last": "true", "index": "0"}
	if ctx, ok := usync.Attrs["context"]; ok {
		attrs["context"] = ctx
	}
	return []waBinary.Node{{Tag: "usync", Attrs: attrs, Content: []waBinary.Node{
		{Tag: "result"},
		{Tag: "list", Content: users},
	}}}, nil
}

func (s *Server) usyncUser(u waBinary.Node, protocols []string) waBinary.Node {
	jid, _ := u.Attrs["jid"].(types.JID)
	var contactQuery []byte
	if c, ok := u.GetOptionalChildByTag("contact"); ok {
		contactQuery, _ = c.Content.([]byte)
		if len(contactQuery) == 0 {
			if str, ok := c.Content.(string); ok {
				contactQuery = []byte(str)
			}
		}
		if jid.IsEmpty() {
			digits := strings.TrimPrefix(strings.Split(string(contactQuery), "@")[0], "+")
			jid = types.NewJID(digits, types.DefaultUserServer)
		}
	}
	p := s.phoneForUser(jid)
	out := waBinary.Node{Tag: "user", Attrs: waBinary.Attrs{"jid": jid}}
	var children []waBinary.Node
	for _, proto := range protocols {
		switch proto {
		case "devices":
			children = append(children, usyncDevices(p))
		case "lid":
			n := waBinary.Node{Tag: "lid"}
			if p != nil {
				n.Attrs = waBinary.Attrs{"val": p.lid}
			}
			children = append(children, n)
		case "contact":
			typ := "out"
			if p != nil {
				typ = "in"
			}
			children = append(children, waBinary.Node{Tag: "contact", Attrs: waBinary.Attrs{"type": typ}, Content: contactQuery})
		case "status":
			children = append(children, waBinary.Node{Tag: "status", Attrs: waBinary.Attrs{"t": "0"}})
		default:
			children = append(children, waBinary.Node{Tag: proto})
		}
	}
	out.Content = children
	return out
}

func usyncDevices(p *Phone) waBinary.Node {
	list := []waBinary.Node{}
	if p != nil {
		list = append(list, waBinary.Node{Tag: "device", Attrs: waBinary.Attrs{"id": "0"}})
		for _, d := range p.Devices() {
			id := strconv.Itoa(int(d.Device))
			list = append(list, waBinary.Node{Tag: "device", Attrs: waBinary.Attrs{"id": id, "key-index": id}})
		}
	}
	return waBinary.Node{Tag: "devices", Content: []waBinary.Node{
		{Tag: "device-list", Content: list},
		{Tag: "key-index-list", Attrs: waBinary.Attrs{"ts": unixNow()}},
	}}
}
