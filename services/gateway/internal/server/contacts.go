package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// CheckNumbers asks the owner which numbers are on WhatsApp.
func (s *Server) CheckNumbers(c echo.Context, id api.SessionParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	var in commands.CheckRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	var out []commands.CheckResult
	if err := s.rpc(c, sess, commands.OpCheckNumbers, commands.TimeoutWhatsApp, in, &out); err != nil {
		return err
	}
	if out == nil {
		out = []commands.CheckResult{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}

// GetContactPicture asks the owner for a user's (or group's) picture.
func (s *Server) GetContactPicture(c echo.Context, id api.SessionParam, contact api.ContactParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	j, err := chatJID("contact", contact)
	if err != nil {
		return err
	}
	var out commands.PictureResponse
	if err := s.rpc(c, sess, commands.OpProfilePic, commands.TimeoutWhatsApp, commands.JIDRequest{JID: j}, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// BlockContact blocks a user.
func (s *Server) BlockContact(c echo.Context, id api.SessionParam, contact api.ContactParam) error {
	return s.block(c, id, contact, true)
}

// UnblockContact unblocks a user.
func (s *Server) UnblockContact(c echo.Context, id api.SessionParam, contact api.ContactParam) error {
	return s.block(c, id, contact, false)
}

func (s *Server) block(c echo.Context, id, contact string, block bool) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	j, err := chatJID("contact", contact)
	if err != nil {
		return err
	}
	if err := s.rpc(c, sess, commands.OpBlocklist, commands.TimeoutWhatsApp, commands.BlockRequest{JID: j, Block: block}, nil); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
