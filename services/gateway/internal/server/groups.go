package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/services/gateway/api"
)

type groupCreateIn struct {
	Subject      string   `json:"subject"`
	Participants []string `json:"participants"`
}

// CreateGroup asks the owner to create a group.
func (s *Server) CreateGroup(c echo.Context, id api.SessionParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	var in groupCreateIn
	if err := decode(c, &in); err != nil {
		return err
	}
	members, err := jids("participants", in.Participants)
	if err != nil {
		return err
	}
	var out commands.GroupInfo
	req := commands.GroupCreateRequest{Subject: in.Subject, Participants: members}
	if err := s.rpc(c, sess, commands.OpGroupCreate, commands.TimeoutWhatsApp, req, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// ListGroups asks the owner for the groups the account is in.
func (s *Server) ListGroups(c echo.Context, id api.SessionParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	var out []commands.GroupInfo
	if err := s.rpc(c, sess, commands.OpGroups, commands.TimeoutWhatsApp, nil, &out); err != nil {
		return err
	}
	if out == nil {
		out = []commands.GroupInfo{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

type joinIn struct {
	Invite string `json:"invite"`
}

// JoinGroup joins by invite code or link.
func (s *Server) JoinGroup(c echo.Context, id api.SessionParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	var in joinIn
	if err := decode(c, &in); err != nil {
		return err
	}
	var out commands.GroupInfo
	if err := s.rpc(c, sess, commands.OpGroupJoin, commands.TimeoutWhatsApp, commands.JoinRequest{Invite: in.Invite}, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// groupRPC resolves session and group and calls op with a GroupRequest.
func (s *Server) groupRPC(c echo.Context, id, group string, op commands.Op, reset bool, out any) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	g, err := groupJID(group)
	if err != nil {
		return err
	}
	return s.rpc(c, sess, op, commands.TimeoutWhatsApp, commands.GroupRequest{Group: g, Reset: reset}, out)
}

// GetGroup asks the owner for a group's info.
func (s *Server) GetGroup(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	var out commands.GroupInfo
	if err := s.groupRPC(c, id, group, commands.OpGroupInfo, false, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// GetGroupInvite returns the invite link.
func (s *Server) GetGroupInvite(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	var out commands.InviteResponse
	if err := s.groupRPC(c, id, group, commands.OpGroupInvite, false, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// RevokeGroupInvite resets the invite link and returns the new one.
func (s *Server) RevokeGroupInvite(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	var out commands.InviteResponse
	if err := s.groupRPC(c, id, group, commands.OpGroupInvite, true, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

type groupUpdateIn struct {
	Subject     *string `json:"subject"`
	Description *string `json:"description"`
	Announce    *bool   `json:"announce"`
	Locked      *bool   `json:"locked"`
}

// UpdateGroup queues one group action per changed field.
func (s *Server) UpdateGroup(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	sess, g, err := s.sessionGroup(c, id, group)
	if err != nil {
		return err
	}
	var in groupUpdateIn
	if err := decode(c, &in); err != nil {
		return err
	}
	var actions []commands.GroupAction
	if in.Subject != nil {
		actions = append(actions, commands.GroupAction{Action: "subject", Value: *in.Subject})
	}
	if in.Description != nil {
		actions = append(actions, commands.GroupAction{Action: "description", Value: *in.Description})
	}
	if in.Announce != nil {
		actions = append(actions, commands.GroupAction{Action: "settings",
			Value: pick(*in.Announce, commands.GroupSettingAnnounce, commands.GroupSettingNotAnnounce)})
	}
	if in.Locked != nil {
		actions = append(actions, commands.GroupAction{Action: "settings",
			Value: pick(*in.Locked, commands.GroupSettingLocked, commands.GroupSettingUnlocked)})
	}
	if err := s.sendable(sess); err != nil {
		return err
	}
	out := make([]Accepted, 0, len(actions))
	for _, a := range actions {
		cmd, err := commands.NewCommand(commands.KindGroupAction, sess.Tenant, sess.ID, "", g, a)
		if err != nil {
			return err
		}
		if err := s.enqueue(c.Request().Context(), cmd, ""); err != nil {
			return err
		}
		out = append(out, Accepted{ID: cmd.ID, Status: "queued"})
	}
	return c.JSON(http.StatusAccepted, map[string]any{"items": out})
}

func pick(on bool, yes, no string) string {
	if on {
		return yes
	}
	return no
}

func (s *Server) sessionGroup(c echo.Context, id, group string) (control.Session, string, error) {
	sess, err := s.session(c, id)
	if err != nil {
		return sess, "", err
	}
	g, err := groupJID(group)
	return sess, g, err
}

type participantsIn struct {
	Participants []string `json:"participants"`
}

func (s *Server) participantAction(c echo.Context, id, group, action string) error {
	sess, g, err := s.sessionGroup(c, id, group)
	if err != nil {
		return err
	}
	var in participantsIn
	if err := decode(c, &in); err != nil {
		return err
	}
	members, err := jids("participants", in.Participants)
	if err != nil {
		return err
	}
	return s.command(c, sess, commands.KindGroupAction, g, "", commands.GroupAction{Action: action, Participants: members})
}

// AddParticipants queues adding members.
func (s *Server) AddParticipants(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	return s.participantAction(c, id, group, "add")
}

// RemoveParticipants queues removing members.
func (s *Server) RemoveParticipants(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	return s.participantAction(c, id, group, "remove")
}

// PromoteAdmins queues promoting members to admins.
func (s *Server) PromoteAdmins(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	return s.participantAction(c, id, group, "promote")
}

// DemoteAdmins queues demoting admins.
func (s *Server) DemoteAdmins(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	return s.participantAction(c, id, group, "demote")
}

// LeaveGroup queues leaving the group.
func (s *Server) LeaveGroup(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	sess, g, err := s.sessionGroup(c, id, group)
	if err != nil {
		return err
	}
	return s.command(c, sess, commands.KindGroupAction, g, "", commands.GroupAction{Action: "leave"})
}

// SetGroupPicture stores the JPEG body and queues the picture change.
func (s *Server) SetGroupPicture(c echo.Context, id api.SessionParam, group api.GroupParam) error {
	sess, g, err := s.sessionGroup(c, id, group)
	if err != nil {
		return err
	}
	info, err := s.storeMedia(c.Request().Context(), sess, c.Request().Body, "image/jpeg", "")
	if err != nil {
		return uploadError(err)
	}
	if info.Size == 0 {
		return validation("body: an image is required")
	}
	return s.command(c, sess, commands.KindGroupAction, g, "", commands.GroupAction{Action: commands.GroupActionPicture, Value: info.ID})
}
