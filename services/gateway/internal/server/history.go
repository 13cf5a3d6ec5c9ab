package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// ListChats pages through the session's chats (history).
func (s *Server) ListChats(c echo.Context, id api.SessionParam, params api.ListChatsParams) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	req := queries.ChatsRequest{Tenant: sess.Tenant, Session: sess.ID, Limit: deref(params.Limit), Cursor: deref(params.Cursor),
		Type: string(deref(params.Type))}
	var page queries.Page[queries.Chat]
	if err := s.query(c, queries.ServiceHistory, queries.OpChats, req, &page); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// GetChat returns one chat (history).
func (s *Server) GetChat(c echo.Context, id api.SessionParam, chat api.ChatParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	j, err := chatJID("chat", chat)
	if err != nil {
		return err
	}
	var out queries.Chat
	if err := s.query(c, queries.ServiceHistory, queries.OpChat, queries.ChatRequest{Tenant: sess.Tenant, Session: sess.ID, Chat: j}, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// ListMessages pages through a chat, newest first (history).
func (s *Server) ListMessages(c echo.Context, id api.SessionParam, chat api.ChatParam, params api.ListMessagesParams) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	j, err := chatJID("chat", chat)
	if err != nil {
		return err
	}
	req := queries.MessagesRequest{Tenant: sess.Tenant, Session: sess.ID, Chat: j, Limit: deref(params.Limit), Cursor: deref(params.Cursor)}
	var page queries.Page[queries.Message]
	if err := s.query(c, queries.ServiceHistory, queries.OpMessages, req, &page); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

// GetMessage returns one message with its status timeline (history).
func (s *Server) GetMessage(c echo.Context, id api.SessionParam, chat api.ChatParam, message api.MessageParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	j, err := chatJID("chat", chat)
	if err != nil {
		return err
	}
	var out queries.Message
	req := queries.MessageRequest{Tenant: sess.Tenant, Session: sess.ID, Chat: j, ID: message}
	if err := s.query(c, queries.ServiceHistory, queries.OpMessage, req, &out); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// ListContacts pages through the session's contacts (history).
func (s *Server) ListContacts(c echo.Context, id api.SessionParam, params api.ListContactsParams) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	req := queries.ContactsRequest{Tenant: sess.Tenant, Session: sess.ID, Search: deref(params.Search),
		Limit: deref(params.Limit), Cursor: deref(params.Cursor)}
	var page queries.Page[queries.Contact]
	if err := s.query(c, queries.ServiceHistory, queries.OpContacts, req, &page); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}
