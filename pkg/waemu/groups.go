package waemu

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// group is a group chat. All fields are guarded by Server.stateMu.
type group struct {
	jid          types.JID
	subject      string
	subjectSetAt time.Time
	subjectSetBy types.JID
	creator      types.JID
	created      time.Time
	topic        string
	topicID      string
	topicSetBy   types.JID
	topicSetAt   time.Time
	announce     bool
	locked       bool
	inviteCode   string
	members      []groupMember
}

type groupMember struct {
	jid  types.JID // PN user JID
	role string    // "", "admin" or "superadmin"
}

func (g *group) member(jid types.JID) int {
	return slices.IndexFunc(g.members, func(m groupMember) bool { return m.jid.User == jid.User })
}

func (g *group) isAdmin(jid types.JID) bool {
	i := g.member(jid)
	return i >= 0 && g.members[i].role != ""
}

func (g *group) memberJIDs() []types.JID {
	out := make([]types.JID, len(g.members))
	for i, m := range g.members {
		out[i] = m.jid
	}
	return out
}

// node renders the group as in query and create answers. Needs stateMu.
func (s *Server) groupNode(g *group) waBinary.Node {
	creator, creatorAlt := s.groupIdentityLocked(g.creator)
	subjectBy, _ := s.groupIdentityLocked(g.subjectSetBy)
	attrs := waBinary.Attrs{
		"id": g.jid.User, "creator": creator, "creation": strconv.FormatInt(g.created.Unix(), 10),
		"subject": g.subject, "s_t": strconv.FormatInt(g.subjectSetAt.Unix(), 10), "s_o": subjectBy,
		"size": strconv.Itoa(len(g.members)), "addressing_mode": s.groupAddressing(),
	}
	if s.opts.LIDGroups && !creatorAlt.IsEmpty() {
		attrs["creator_pn"] = creatorAlt
	}
	var content []waBinary.Node
	for _, m := range g.members {
		pa := waBinary.Attrs(s.memberAttrsLocked(m.jid))
		if m.role != "" {
			pa["type"] = m.role
		}
		content = append(content, waBinary.Node{Tag: "participant", Attrs: pa})
	}
	if g.topicID != "" {
		content = append(content, waBinary.Node{Tag: "description", Attrs: waBinary.Attrs{
			"id": g.topicID, "t": strconv.FormatInt(g.topicSetAt.Unix(), 10), "participant": first(s.groupIdentityLocked(g.topicSetBy)),
		}, Content: []waBinary.Node{{Tag: "body", Content: []byte(g.topic)}}})
	}
	if g.announce {
		content = append(content, waBinary.Node{Tag: "announcement"})
	}
	if g.locked {
		content = append(content, waBinary.Node{Tag: "locked"})
	}
	return waBinary.Node{Tag: "group", Attrs: attrs, Content: content}
}

// newGroup creates a group owned by creator. Needs stateMu.
func (s *Server) newGroup(creator types.JID, subject string, members []types.JID) *group {
	now := time.Now()
	jid := types.NewJID(fmt.Sprintf("120363%012d", s.idSeq.Add(1)), types.GroupServer)
	g := &group{
		jid: jid, subject: subject, subjectSetAt: now, subjectSetBy: creator, creator: creator, created: now,
		members: []groupMember{{jid: creator, role: "superadmin"}},
	}
	for _, m := range members {
		m = m.ToNonAD()
		if m.Server == types.HiddenUserServer {
			if p := s.phonesByLID[m.User]; p != nil {
				m = p.jid
			}
		}
		if g.member(m) < 0 && s.phones[m.User] != nil {
			g.members = append(g.members, groupMember{jid: m})
		}
	}
	s.groups[jid] = g
	return g
}

// CreateGroup lets phone p create a group with the given members; every
// member's clients get a w:gp2 create notification.
func (p *Phone) CreateGroup(subject string, members ...types.JID) (types.JID, error) {
	s := p.srv
	s.stateMu.Lock()
	g := s.newGroup(p.jid, subject, members)
	node := s.groupNode(g)
	s.stateMu.Unlock()
	s.notifyGroup(g.jid, p.jid, []waBinary.Node{{Tag: "create", Attrs: waBinary.Attrs{
		"type": "new", "key": NewMessageID(), "reason": "create",
	}, Content: []waBinary.Node{node}}}, types.EmptyJID)
	return g.jid, nil
}

// GroupMembers returns the member JIDs of a group.
func (s *Server) GroupMembers(jid types.JID) ([]types.JID, error) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	g := s.groups[jid]
	if g == nil {
		return nil, fmt.Errorf("group %s: %w", jid, ErrNotFound)
	}
	return g.memberJIDs(), nil
}

// notifyGroup sends a w:gp2 notification to every device of every member
// (and of extra, e.g. a removed member), except the device skip.
func (s *Server) notifyGroup(gjid, actor types.JID, content []waBinary.Node, extra types.JID) {
	s.stateMu.Lock()
	g := s.groups[gjid]
	var users []types.JID
	if g != nil {
		users = g.memberJIDs()
	}
	s.stateMu.Unlock()
	if !extra.IsEmpty() && !slices.Contains(users, extra) {
		users = append(users, extra)
	}
	actorJID, actorAlt := s.groupIdentity(actor)
	attrs := waBinary.Attrs{"from": gjid, "type": "w:gp2", "t": unixNow(), "participant": actorJID}
	if !actorAlt.IsEmpty() {
		attrs[s.altAttr("participant")] = actorAlt
	}
	if ap := s.phoneForUser(actor); ap != nil {
		attrs["notify"] = ap.name
	}
	for _, u := range users {
		p := s.phoneForUser(u)
		if p == nil {
			continue
		}
		for _, dev := range p.Devices() {
			a := waBinary.Attrs{"id": s.nextID()}
			for k, v := range attrs {
				a[k] = v
			}
			s.deliver(dev, waBinary.Node{Tag: "notification", Attrs: a, Content: content})
		}
	}
}
