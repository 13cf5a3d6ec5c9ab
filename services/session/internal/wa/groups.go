package wa

import (
	"context"
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/services/session/internal/msgconv"
)

const inviteLinkPrefix = "https://chat.whatsapp.com/"

// groupJID parses a group JID and refuses direct chats with NOT_A_GROUP.
func groupJID(s string) (types.JID, error) {
	j, err := parseJID("group", s)
	if err != nil {
		return j, err
	}
	if j.Server != types.GroupServer {
		return j, final(commands.CodeNotAGroup, s+" is not a group", nil)
	}
	return j, nil
}

var participantChanges = map[string]whatsmeow.ParticipantChange{
	"add": whatsmeow.ParticipantChangeAdd, "remove": whatsmeow.ParticipantChangeRemove,
	"promote": whatsmeow.ParticipantChangePromote, "demote": whatsmeow.ParticipantChangeDemote,
}

// groupAction runs a durable group mutation (KindGroupAction).
func (s *session) groupAction(ctx context.Context, cmd commands.Command) error {
	req, err := commands.PayloadAs[commands.GroupAction](cmd)
	if err != nil {
		return badInput("%v", err)
	}
	g, err := groupJID(cmd.Chat)
	if err != nil {
		return err
	}
	ctx, span := s.m.tracer.Start(ctx, "whatsapp.group."+req.Action)
	defer span.End()
	cli := s.cli()
	if change, ok := participantChanges[req.Action]; ok {
		return s.changeParticipants(ctx, g, change, req.Participants)
	}
	switch req.Action {
	case "subject":
		return cli.SetGroupName(ctx, g, req.Value)
	case "description":
		return cli.SetGroupTopic(ctx, g, "", "", req.Value)
	case "settings":
		return s.groupSetting(ctx, g, req.Value)
	case "leave":
		return cli.LeaveGroup(ctx, g)
	case commands.GroupActionPicture:
		data, _, _, err := s.fetchMedia(ctx, &commands.MediaRef{MediaID: req.Value})
		if err != nil {
			return err
		}
		_, err = cli.SetGroupPhoto(ctx, g, data)
		return err
	}
	return badInput("unknown group action %q", req.Action)
}

func (s *session) changeParticipants(ctx context.Context, g types.JID, change whatsmeow.ParticipantChange, list []string) error {
	if len(list) == 0 {
		return badInput("participants are required")
	}
	jids := make([]types.JID, 0, len(list))
	for _, p := range list {
		j, err := parseJID("participant", p)
		if err != nil {
			return err
		}
		jids = append(jids, j)
	}
	res, err := s.cli().UpdateGroupParticipants(ctx, g, jids, change)
	if err != nil {
		return err
	}
	for _, p := range res {
		if p.Error != 0 {
			return final(commands.CodeWhatsApp, "WhatsApp refused a participant change",
				&participantError{jid: p.JID.String(), code: p.Error})
		}
	}
	return nil
}

type participantError struct {
	jid  string
	code int
}

func (e *participantError) Error() string {
	return fmt.Sprintf("%s: error %d", e.jid, e.code)
}

func (s *session) groupSetting(ctx context.Context, g types.JID, value string) error {
	cli := s.cli()
	switch value {
	case commands.GroupSettingAnnounce:
		return cli.SetGroupAnnounce(ctx, g, true)
	case commands.GroupSettingNotAnnounce:
		return cli.SetGroupAnnounce(ctx, g, false)
	case commands.GroupSettingLocked:
		return cli.SetGroupLocked(ctx, g, true)
	case commands.GroupSettingUnlocked:
		return cli.SetGroupLocked(ctx, g, false)
	}
	return badInput("group setting %q: want announce, not_announce, locked or unlocked", value)
}

func groupInfo(g *types.GroupInfo) commands.GroupInfo {
	out := commands.GroupInfo{JID: g.JID.String(), Subject: g.Name, Description: g.Topic, Owner: jidOrEmpty(&g.OwnerJID),
		CreatedAt: g.GroupCreated.UTC(), Announce: g.IsAnnounce, Locked: g.IsLocked, Participants: []commands.GroupParticipant{}}
	for _, p := range g.Participants {
		phone, lid := msgconv.PhoneAndLID(p.JID, p.LID)
		if !p.PhoneNumber.IsEmpty() {
			phone = p.PhoneNumber.ToNonAD().String()
		}
		out.Participants = append(out.Participants, commands.GroupParticipant{JID: phone, LID: lid, Admin: p.IsAdmin || p.IsSuperAdmin, SuperAdmin: p.IsSuperAdmin})
	}
	return out
}

func (s *session) rpcGroups(ctx context.Context) (any, error) {
	list, err := s.cli().GetJoinedGroups(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]commands.GroupInfo, 0, len(list))
	for _, g := range list {
		out = append(out, groupInfo(g))
	}
	return out, nil
}

func (s *session) rpcGroupInfo(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.GroupRequest](req)
	if err != nil {
		return nil, err
	}
	g, err := groupJID(r.Group)
	if err != nil {
		return nil, err
	}
	info, err := s.cli().GetGroupInfo(ctx, g)
	if err != nil {
		return nil, err
	}
	return groupInfo(info), nil
}

func (s *session) rpcGroupCreate(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.GroupCreateRequest](req)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(r.Subject) == "" {
		return nil, badInput("subject is required")
	}
	members := make([]types.JID, 0, len(r.Participants))
	for _, p := range r.Participants {
		j, err := parseJID("participant", p)
		if err != nil {
			return nil, err
		}
		members = append(members, j)
	}
	info, err := s.cli().CreateGroup(ctx, whatsmeow.ReqCreateGroup{Name: r.Subject, Participants: members})
	if err != nil {
		return nil, err
	}
	return groupInfo(info), nil
}

func (s *session) rpcGroupInvite(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.GroupRequest](req)
	if err != nil {
		return nil, err
	}
	g, err := groupJID(r.Group)
	if err != nil {
		return nil, err
	}
	link, err := s.cli().GetGroupInviteLink(ctx, g, r.Reset)
	if err != nil {
		return nil, err
	}
	return commands.InviteResponse{Link: link}, nil
}

func (s *session) rpcGroupJoin(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.JoinRequest](req)
	if err != nil {
		return nil, err
	}
	code := strings.TrimPrefix(strings.TrimSpace(r.Invite), inviteLinkPrefix)
	if code == "" {
		return nil, badInput("invite is required")
	}
	g, err := s.cli().JoinGroupWithLink(ctx, code)
	if err != nil {
		return nil, err
	}
	info, err := s.cli().GetGroupInfo(ctx, g)
	if err != nil {
		return commands.GroupInfo{JID: g.String(), Participants: []commands.GroupParticipant{}}, nil
	}
	return groupInfo(info), nil
}

func (s *session) rpcGroupLeave(ctx context.Context, req commands.Request) (any, error) {
	r, err := payload[commands.GroupRequest](req)
	if err != nil {
		return nil, err
	}
	g, err := groupJID(r.Group)
	if err != nil {
		return nil, err
	}
	return struct{}{}, s.cli().LeaveGroup(ctx, g)
}
