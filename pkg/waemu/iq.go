package waemu

import (
	"slices"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// UnhandledNode is a node from a client the emulator did not understand.
type UnhandledNode struct {
	ConnID uint64    `json:"connId"`
	Device types.JID `json:"device"`
	XML    string    `json:"xml"`
}

// UnhandledNodes returns every client node the emulator did not handle.
// Tests should fail when it is not empty.
func (s *Server) UnhandledNodes() []UnhandledNode {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return slices.Clone(s.unhandled)
}

func (s *Server) recordUnhandled(c *conn, node *waBinary.Node) {
	s.log.Debug("waemu: unhandled node", "conn", c.id, "node", node.XMLString())
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	s.unhandled = appendCapped(s.unhandled, UnhandledNode{ConnID: c.id, Device: c.deviceJID(), XML: node.XMLString()})
}

// dispatch routes one decoded client node.
func (s *Server) dispatch(c *conn, node *waBinary.Node) {
	switch node.Tag {
	case "iq":
		s.handleIQ(c, node)
	case "message":
		s.handleClientMessage(c, node)
	case "receipt":
		s.handleClientReceipt(c, node)
	case "ack":
		// Client acks need no reply. An ack of a message (also a nack:
		// the client cannot use it) means it is not sent again.
		if node.AttrGetter().OptionalString("class") == "message" {
			c.acked(node.AttrGetter().OptionalString("id"))
		}
	case "presence":
		s.handlePresence(c, node)
	case "chatstate":
		s.handleChatState(c, node)
	case "call":
		s.handleClientCall(c, node)
	default:
		s.recordUnhandled(c, node)
	}
}

type iqHandler func(s *Server, c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError)

// iqError is an error answer to an iq.
type iqError struct {
	code int
	text string
}

var (
	errIQNotFound   = &iqError{404, "item-not-found"}
	errIQBadRequest = &iqError{400, "bad-request"}
	errIQForbidden  = &iqError{403, "forbidden"}
	errIQNotAllowed = &iqError{405, "not-allowed"}
	errIQUnhandled  = &iqError{501, "feature-not-implemented"}
)

// iqHandlers maps "xmlns type child" to a handler; child "" matches any.
func iqHandlerFor(xmlns, typ, child string) iqHandler {
	switch xmlns + " " + typ + " " + child {
	case "w:p get ", "w:p get ping":
		return handleEmptyResult
	case "passive set active", "passive set passive":
		return handleEmptyResult
	case "encrypt get count":
		return (*Server).handlePreKeyCount
	case "encrypt set registration":
		return (*Server).handlePreKeyUpload
	case "encrypt get key":
		return (*Server).handleKeyFetch
	case "usync get usync":
		return (*Server).handleUsync
	case "md set remove-companion-device":
		return (*Server).handleRemoveCompanion
	case "md set link_code_companion_reg":
		return (*Server).handleLinkCode
	case "w:sync:app:state set sync":
		return (*Server).handleAppStateSync
	case "w:m set media_conn":
		return (*Server).handleMediaConn
	case "privacy get privacy":
		return handlePrivacyGet
	case "privacy set privacy":
		return handlePrivacySet
	case "w:profile:picture get picture":
		return (*Server).handleProfilePictureGet
	case "w:profile:picture set picture", "w:profile:picture set ":
		return (*Server).handleProfilePictureSet
	case "blocklist get ", "blocklist set item":
		return (*Server).handleBlocklist
	case "status get privacy":
		return handleNotFound // default status privacy: contacts
	case "status set status", "disappearing_mode set disappearing_mode":
		return handleEmptyResult
	case "presence set ", "urn:xmpp:whatsapp:push set config", "w set ":
		return handleEmptyResult
	}
	if xmlns == "w:g2" {
		return (*Server).handleGroupIQ
	}
	return nil
}

func handleEmptyResult(*Server, *conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return nil, nil
}

func handleNotFound(*Server, *conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	return nil, errIQNotFound
}

func handlePrivacyGet(*Server, *conn, *waBinary.Node) ([]waBinary.Node, *iqError) {
	settings := [][2]string{
		{"groupadd", "all"}, {"last", "all"}, {"status", "all"}, {"profile", "all"},
		{"readreceipts", "all"}, {"online", "all"}, {"calladd", "all"},
	}
	cats := make([]waBinary.Node, len(settings))
	for i, kv := range settings {
		cats[i] = waBinary.Node{Tag: "category", Attrs: waBinary.Attrs{"name": kv[0], "value": kv[1]}}
	}
	return []waBinary.Node{{Tag: "privacy", Content: cats}}, nil
}

func (s *Server) handleIQ(c *conn, node *waBinary.Node) {
	ag := node.AttrGetter()
	xmlns, typ := ag.OptionalString("xmlns"), ag.OptionalString("type")
	child := ""
	if children := node.GetChildren(); len(children) > 0 {
		child = children[0].Tag
	}
	h := iqHandlerFor(xmlns, typ, child)
	var (
		content []waBinary.Node
		iqErr   *iqError
	)
	if h == nil {
		s.recordUnhandled(c, node)
		iqErr = errIQUnhandled
	} else {
		content, iqErr = h(s, c, node)
	}
	resp := waBinary.Node{Tag: "iq", Attrs: waBinary.Attrs{"id": node.Attrs["id"], "type": "result"}}
	if to, ok := node.Attrs["to"].(types.JID); ok {
		resp.Attrs["from"] = to
	} else {
		resp.Attrs["from"] = types.ServerJID
	}
	if iqErr != nil {
		resp.Attrs["type"] = "error"
		content = []waBinary.Node{{Tag: "error", Attrs: waBinary.Attrs{"code": strconv.Itoa(iqErr.code), "text": iqErr.text}}}
	}
	if len(content) > 0 {
		resp.Content = content
	}
	if err := c.send(resp); err != nil {
		s.log.Debug("waemu: send iq result", "conn", c.id, "err", err)
	}
}

func unixNow() string { return strconv.FormatInt(time.Now().Unix(), 10) }
