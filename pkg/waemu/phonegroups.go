package waemu

import (
	"fmt"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// GroupChange is a participant change a phone makes in a group.
type GroupChange string

// Participant changes, as in whatsmeow.ParticipantChange.
const (
	GroupAdd     GroupChange = "add"
	GroupRemove  GroupChange = "remove"
	GroupPromote GroupChange = "promote"
	GroupDemote  GroupChange = "demote"
)

// UpdateParticipants adds, removes, promotes or demotes members of a group
// this phone administers; members' clients get a w:gp2 notification.
func (p *Phone) UpdateParticipants(gjid types.JID, change GroupChange, users ...types.JID) error {
	if err := p.requireGroupRole(gjid, true); err != nil {
		return err
	}
	switch change {
	case GroupAdd, GroupRemove, GroupPromote, GroupDemote:
	default:
		return fmt.Errorf("group change %q: %w", change, ErrInvalid)
	}
	p.srv.changeMembers(gjid, p.jid, string(change), users)
	return nil
}

// SetGroupSubject renames a group.
func (p *Phone) SetGroupSubject(gjid types.JID, subject string) error {
	return p.groupSetting(gjid, waBinary.Node{Tag: "subject", Content: []byte(subject)})
}

// SetGroupDescription sets (or with "" deletes) a group's description.
func (p *Phone) SetGroupDescription(gjid types.JID, text string) error {
	node := waBinary.Node{Tag: "description", Attrs: waBinary.Attrs{"id": NewMessageID()}}
	if text == "" {
		node.Attrs["delete"] = "true"
	} else {
		node.Content = []waBinary.Node{{Tag: "body", Content: []byte(text)}}
	}
	return p.groupSetting(gjid, node)
}

// SetGroupAnnounce makes only admins able to send (true) or everyone (false).
func (p *Phone) SetGroupAnnounce(gjid types.JID, announce bool) error {
	tag := "not_announcement"
	if announce {
		tag = "announcement"
	}
	return p.groupSetting(gjid, waBinary.Node{Tag: tag})
}

// SetGroupLocked makes only admins able to edit group info (true) or everyone.
func (p *Phone) SetGroupLocked(gjid types.JID, locked bool) error {
	tag := "unlocked"
	if locked {
		tag = "locked"
	}
	return p.groupSetting(gjid, waBinary.Node{Tag: tag})
}

// LeaveGroup makes the phone leave a group.
func (p *Phone) LeaveGroup(gjid types.JID) error {
	if err := p.requireGroupRole(gjid, false); err != nil {
		return err
	}
	p.srv.changeMembers(gjid, p.jid, "remove", []types.JID{p.jid})
	return nil
}

// GroupInviteCode returns the group's invite code, creating a new one when
// reset is true or none exists.
func (p *Phone) GroupInviteCode(gjid types.JID, reset bool) (string, error) {
	if err := p.requireGroupRole(gjid, true); err != nil {
		return "", err
	}
	s := p.srv
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	g := s.groups[gjid]
	if g.inviteCode == "" || reset {
		g.inviteCode = randomB64(16)
	}
	return g.inviteCode, nil
}

// JoinGroupWithLink joins a group by invite code or link.
func (p *Phone) JoinGroupWithLink(code string) (types.JID, error) {
	_, iqErr := p.srv.groupByInvite(p.jid, true, waBinary.Node{Tag: "invite", Attrs: waBinary.Attrs{"code": code}})
	if iqErr != nil {
		return types.EmptyJID, fmt.Errorf("invite %q: %w", code, ErrNotFound)
	}
	s := p.srv
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	for jid, g := range s.groups {
		if g.inviteCode != "" && (g.inviteCode == code || "https://chat.whatsapp.com/"+g.inviteCode == code) {
			return jid, nil
		}
	}
	return types.EmptyJID, fmt.Errorf("invite %q: %w", code, ErrNotFound)
}

func (p *Phone) groupSetting(gjid types.JID, node waBinary.Node) error {
	s := p.srv
	s.stateMu.Lock()
	g := s.groups[gjid]
	needAdmin := g != nil && adminOnlySetting(g, node.Tag)
	s.stateMu.Unlock()
	if err := p.requireGroupRole(gjid, needAdmin); err != nil {
		return err
	}
	s.changeSetting(g, p.jid, node)
	return nil
}

// requireGroupRole checks that p is a member (and an admin if admin is set).
func (p *Phone) requireGroupRole(gjid types.JID, admin bool) error {
	s := p.srv
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	g := s.groups[gjid]
	switch {
	case g == nil:
		return fmt.Errorf("group %s: %w", gjid, ErrNotFound)
	case g.member(p.jid) < 0:
		return fmt.Errorf("%s is not in %s: %w", p.number, gjid, ErrInvalid)
	case admin && !g.isAdmin(p.jid):
		return fmt.Errorf("%s is not an admin of %s: %w", p.number, gjid, ErrInvalid)
	}
	return nil
}
