package waemu

import (
	"net/http"
	"strconv"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// picture is a profile or group photo.
type picture struct {
	id   string
	data []byte
}

// handleProfilePictureSet stores (or with no content removes) the photo of
// the iq target: a group the sender administers, or the sender itself.
func (s *Server) handleProfilePictureSet(c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	actor := c.deviceJID().ToNonAD()
	target, ok := node.Attrs["target"].(types.JID)
	if !ok {
		target = actor
	}
	data, _ := node.GetChildByTag("picture").Content.([]byte)
	s.stateMu.Lock()
	if target.Server == types.GroupServer {
		g := s.groups[target]
		if g == nil || !g.isAdmin(actor) {
			s.stateMu.Unlock()
			return nil, errIQForbidden
		}
	} else if target.User != actor.User {
		s.stateMu.Unlock()
		return nil, errIQForbidden
	}
	if len(data) == 0 {
		delete(s.pictures, target)
		s.stateMu.Unlock()
		s.notifyPicture(target, waBinary.Node{Tag: "delete", Attrs: waBinary.Attrs{"jid": target, "author": actor}})
		return nil, nil
	}
	id := strconv.FormatUint(s.idSeq.Add(1), 10)
	s.pictures[target] = &picture{id: id, data: data}
	s.stateMu.Unlock()
	s.notifyPicture(target, waBinary.Node{Tag: "set", Attrs: waBinary.Attrs{"jid": target, "author": actor, "id": id}})
	return []waBinary.Node{{Tag: "picture", Attrs: waBinary.Attrs{"id": id}}}, nil
}

// handleProfilePictureGet answers 404 when no photo is set.
func (s *Server) handleProfilePictureGet(c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	target, ok := node.Attrs["target"].(types.JID)
	if !ok {
		target = c.deviceJID().ToNonAD()
	}
	s.stateMu.Lock()
	pic := s.pictures[target.ToNonAD()]
	s.stateMu.Unlock()
	if pic == nil {
		return nil, errIQNotFound
	}
	typ, _ := node.GetChildByTag("picture").Attrs["type"].(string)
	if existing, _ := node.GetChildByTag("picture").Attrs["id"].(string); existing == pic.id {
		return []waBinary.Node{{Tag: "picture", Attrs: waBinary.Attrs{"status": "304"}}}, nil
	}
	path := "/pp/" + target.ToNonAD().String() + "?id=" + pic.id
	return []waBinary.Node{{Tag: "picture", Attrs: waBinary.Attrs{
		"id": pic.id, "type": typ, "url": "https://" + mediaHost + path, "direct_path": path,
	}}}, nil
}

// notifyPicture tells a group's members about a group photo change.
// Changes of a user's own photo are not announced.
func (s *Server) notifyPicture(target types.JID, change waBinary.Node) {
	if target.Server != types.GroupServer {
		return
	}
	members, _ := s.GroupMembers(target)
	for _, m := range members {
		p := s.phoneForUser(m)
		if p == nil {
			continue
		}
		for _, dev := range p.Devices() {
			s.deliverIfOnline(dev, waBinary.Node{Tag: "notification", Attrs: waBinary.Attrs{
				"from": target, "type": "picture", "t": unixNow(), "id": s.nextID(),
			}, Content: []waBinary.Node{change}})
		}
	}
}

func (s *Server) servePicture(w http.ResponseWriter, r *http.Request) {
	jid, err := types.ParseJID(r.PathValue("jid"))
	s.stateMu.Lock()
	pic := s.pictures[jid]
	s.stateMu.Unlock()
	if err != nil || pic == nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(pic.data)
}
