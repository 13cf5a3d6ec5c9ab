package waemu

import (
	"slices"
	"strconv"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// Account-level IQs the emulator accepts without modelling much state.

// handleBlocklist answers the account's block list (get) after applying a
// block or unblock (set).
func (s *Server) handleBlocklist(c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	account := c.deviceJID().ToNonAD()
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if item, ok := node.GetOptionalChildByTag("item"); ok {
		jid, _ := item.Attrs["jid"].(types.JID)
		action, _ := item.Attrs["action"].(string)
		list := slices.DeleteFunc(s.blocked[account], func(j types.JID) bool { return j == jid })
		if action == "block" {
			list = append(list, jid)
		}
		s.blocked[account] = list
	}
	items := make([]waBinary.Node, 0, len(s.blocked[account]))
	for _, j := range s.blocked[account] {
		items = append(items, waBinary.Node{Tag: "item", Attrs: waBinary.Attrs{"jid": j}})
	}
	return []waBinary.Node{{Tag: "list", Attrs: waBinary.Attrs{"dhash": strconv.Itoa(len(items))}, Content: items}}, nil
}

// handlePrivacySet echoes the changed setting back.
func handlePrivacySet(_ *Server, _ *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	priv := node.GetChildByTag("privacy")
	return []waBinary.Node{{Tag: "privacy", Content: priv.GetChildren()}}, nil
}
