package waemu

import (
	"strings"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// handleGroupIQ serves the w:g2 namespace.
func (s *Server) handleGroupIQ(c *conn, node *waBinary.Node) ([]waBinary.Node, *iqError) {
	children := node.GetChildren()
	if len(children) == 0 {
		return nil, errIQBadRequest
	}
	child := children[0]
	to, _ := node.Attrs["to"].(types.JID)
	typ, _ := node.Attrs["type"].(string)
	actor := c.deviceJID().ToNonAD()
	if to == types.GroupServerJID {
		switch typ + " " + child.Tag {
		case "set create":
			return s.groupCreate(actor, child)
		case "get participating":
			return s.groupParticipating(actor)
		case "set leave":
			for _, g := range child.GetChildrenByTag("group") {
				if gjid, ok := g.Attrs["id"].(types.JID); ok {
					s.changeMembers(gjid, actor, "remove", []types.JID{actor})
				}
			}
			return nil, nil
		case "get invite", "set invite":
			return s.groupByInvite(actor, typ == "set", child)
		}
		s.recordUnhandled(c, node)
		return nil, errIQUnhandled
	}
	s.stateMu.Lock()
	g := s.groups[to]
	var member, admin bool
	if g != nil {
		member, admin = g.member(actor) >= 0, g.isAdmin(actor)
	}
	s.stateMu.Unlock()
	switch {
	case g == nil:
		return nil, errIQNotFound
	case !member:
		return nil, errIQForbidden
	}
	switch typ + " " + child.Tag {
	case "get query":
		s.stateMu.Lock()
		defer s.stateMu.Unlock()
		return []waBinary.Node{s.groupNode(g)}, nil
	case "set add", "set remove", "set promote", "set demote":
		if !admin {
			return nil, errIQNotAllowed
		}
		var jids []types.JID
		for _, p := range child.GetChildrenByTag("participant") {
			if j, ok := p.Attrs["jid"].(types.JID); ok {
				jids = append(jids, j)
			}
		}
		return s.changeMembers(to, actor, child.Tag, jids), nil
	case "set subject", "set description", "set announcement", "set not_announcement", "set locked", "set unlocked",
		"set ephemeral", "set not_ephemeral":
		s.stateMu.Lock()
		needAdmin := adminOnlySetting(g, child.Tag)
		s.stateMu.Unlock()
		if !admin && needAdmin {
			return nil, errIQNotAllowed
		}
		s.changeSetting(g, actor, child)
		return nil, nil
	case "get invite", "set invite":
		if !admin {
			return nil, errIQNotAllowed
		}
		s.stateMu.Lock()
		if g.inviteCode == "" || typ == "set" {
			g.inviteCode = randomB64(16)
		}
		code := g.inviteCode
		s.stateMu.Unlock()
		return []waBinary.Node{{Tag: "invite", Attrs: waBinary.Attrs{"code": code}}}, nil
	}
	s.recordUnhandled(c, node)
	return nil, errIQUnhandled
}

func (s *Server) groupCreate(actor types.JID, child waBinary.Node) ([]waBinary.Node, *iqError) {
	var members []types.JID
	for _, p := range child.GetChildrenByTag("participant") {
		if j, ok := p.Attrs["jid"].(types.JID); ok {
			members = append(members, j)
		}
	}
	subject, _ := child.Attrs["subject"].(string)
	key, _ := child.Attrs["key"].(string)
	s.stateMu.Lock()
	g := s.newGroup(actor, subject, members)
	gnode := s.groupNode(g)
	s.stateMu.Unlock()
	s.notifyGroup(g.jid, actor, []waBinary.Node{{Tag: "create", Attrs: waBinary.Attrs{
		"type": "new", "key": key, "reason": "create",
	}, Content: []waBinary.Node{gnode}}}, types.EmptyJID)
	return []waBinary.Node{gnode}, nil
}

func (s *Server) groupParticipating(actor types.JID) ([]waBinary.Node, *iqError) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	var nodes []waBinary.Node
	for _, g := range s.groups {
		if g.member(actor) >= 0 {
			nodes = append(nodes, s.groupNode(g))
		}
	}
	return []waBinary.Node{{Tag: "groups", Content: nodes}}, nil
}

// groupByInvite answers link info (get) and joins by link (set).
func (s *Server) groupByInvite(actor types.JID, join bool, child waBinary.Node) ([]waBinary.Node, *iqError) {
	code, _ := child.Attrs["code"].(string)
	code = strings.TrimPrefix(code, "https://chat.whatsapp.com/")
	s.stateMu.Lock()
	var g *group
	for _, cand := range s.groups {
		if cand.inviteCode != "" && cand.inviteCode == code {
			g = cand
		}
	}
	if g == nil {
		s.stateMu.Unlock()
		return nil, &iqError{410, "gone"}
	}
	if !join {
		defer s.stateMu.Unlock()
		return []waBinary.Node{s.groupNode(g)}, nil
	}
	gjid := g.jid
	s.stateMu.Unlock()
	s.changeMembers(gjid, actor, "add", []types.JID{actor})
	return []waBinary.Node{{Tag: "group", Attrs: waBinary.Attrs{"jid": gjid}}}, nil
}

// changeMembers applies add/remove/promote/demote, notifies, and returns
// the per-participant answer.
func (s *Server) changeMembers(gjid, actor types.JID, action string, jids []types.JID) []waBinary.Node {
	var changed, answer []waBinary.Node
	s.stateMu.Lock()
	g := s.groups[gjid]
	if g == nil {
		s.stateMu.Unlock()
		return nil
	}
	for _, j := range jids {
		j = j.ToNonAD()
		if j.Server == types.HiddenUserServer {
			if p := s.phonesByLID[j.User]; p != nil {
				j = p.jid
			}
		}
		i := g.member(j)
		pa := waBinary.Attrs{"jid": j}
		ok := true
		switch action {
		case "add":
			if ok = i < 0 && s.phones[j.User] != nil; ok {
				g.members = append(g.members, groupMember{jid: j})
			} else if i >= 0 {
				pa["error"] = "409"
			} else {
				pa["error"] = "404"
			}
		case "remove":
			if ok = i >= 0; ok {
				g.members = append(g.members[:i], g.members[i+1:]...)
			}
		case "promote", "demote":
			if ok = i >= 0; ok {
				g.members[i].role = map[string]string{"promote": "admin", "demote": ""}[action]
			}
		}
		if !ok && pa["error"] == nil {
			pa["error"] = "404"
		}
		member := waBinary.Attrs(s.memberAttrsLocked(j))
		for k, v := range pa {
			if k != "jid" {
				member[k] = v
			}
		}
		answer = append(answer, waBinary.Node{Tag: "participant", Attrs: member})
		if ok {
			changed = append(changed, waBinary.Node{Tag: "participant", Attrs: waBinary.Attrs(s.memberAttrsLocked(j))})
		}
	}
	s.stateMu.Unlock()
	if len(changed) > 0 {
		extra := types.EmptyJID
		if action == "remove" && len(jids) == 1 {
			extra = jids[0].ToNonAD()
		}
		s.notifyGroup(gjid, actor, []waBinary.Node{{Tag: action, Content: changed}}, extra)
	}
	return []waBinary.Node{{Tag: action, Content: answer}}
}

// adminOnlySetting reports whether changing setting needs an admin: group
// settings always do, subject and description once the group is locked.
// Needs stateMu.
func adminOnlySetting(g *group, setting string) bool {
	switch setting {
	case "subject", "description":
		return g.locked
	}
	return true
}

// changeSetting applies subject, description and flag changes and notifies.
func (s *Server) changeSetting(g *group, actor types.JID, child waBinary.Node) {
	now := time.Now()
	note := waBinary.Node{Tag: child.Tag}
	s.stateMu.Lock()
	switch child.Tag {
	case "subject":
		subject, _ := child.Content.([]byte)
		g.subject, g.subjectSetAt, g.subjectSetBy = string(subject), now, actor
		note.Attrs = waBinary.Attrs{"subject": g.subject, "s_t": unixAt(now), "s_o": first(s.groupIdentityLocked(actor))}
	case "description":
		id, _ := child.Attrs["id"].(string)
		body, _ := child.GetChildByTag("body").Content.([]byte)
		g.topic, g.topicID, g.topicSetBy, g.topicSetAt = string(body), id, actor, now
		note.Attrs = waBinary.Attrs{"id": id}
		if _, del := child.Attrs["delete"]; del {
			g.topic = ""
			note.Content = []waBinary.Node{{Tag: "delete"}}
		} else {
			note.Content = []waBinary.Node{{Tag: "body", Content: body}}
		}
	case "announcement", "not_announcement":
		g.announce = child.Tag == "announcement"
		note.Attrs = waBinary.Attrs{"v_id": unixAt(now)}
	case "locked", "unlocked":
		g.locked = child.Tag == "locked"
	case "ephemeral":
		exp := child.Attrs["expiration"]
		note.Attrs = waBinary.Attrs{"expiration": exp}
	}
	gjid := g.jid
	s.stateMu.Unlock()
	s.notifyGroup(gjid, actor, []waBinary.Node{note}, types.EmptyJID)
}
