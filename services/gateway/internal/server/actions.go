package server

import (
	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/services/gateway/api"
)

// EditMessage queues an edit of one of our messages.
func (s *Server) EditMessage(c echo.Context, id api.SessionParam, chat api.ChatParam, message api.MessageParam) error {
	var in commands.EditMessage
	return s.chatCommand(c, id, chat, &in, func(to string) (commands.Kind, string, any, error) {
		in.TargetID = message
		return commands.KindEditMessage, "", in, nil
	})
}

// RevokeMessage queues a delete-for-everyone.
func (s *Server) RevokeMessage(c echo.Context, id api.SessionParam, chat api.ChatParam, message api.MessageParam, params api.RevokeMessageParams) error {
	return s.chatCommand(c, id, chat, nil, func(string) (commands.Kind, string, any, error) {
		p := commands.RevokeMessage{TargetID: message}
		if params.Sender != nil {
			sender, err := chatJID("sender", *params.Sender)
			if err != nil {
				return "", "", nil, err
			}
			p.Sender = sender
		}
		return commands.KindRevokeMessage, "", p, nil
	})
}

// ReactToMessage queues a reaction ("" removes it).
func (s *Server) ReactToMessage(c echo.Context, id api.SessionParam, chat api.ChatParam, message api.MessageParam) error {
	var in commands.React
	return s.chatCommand(c, id, chat, &in, func(string) (commands.Kind, string, any, error) {
		in.TargetID = message
		if in.Sender != "" {
			sender, err := chatJID("sender", in.Sender)
			if err != nil {
				return "", "", nil, err
			}
			in.Sender = sender
		}
		return commands.KindReact, "", in, nil
	})
}

type forwardIn struct {
	To string `json:"to"`
}

// ForwardMessage queues a forward of a message of this chat to another chat.
func (s *Server) ForwardMessage(c echo.Context, id api.SessionParam, chat api.ChatParam, message api.MessageParam) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	source, err := chatJID("chat", chat)
	if err != nil {
		return err
	}
	var in forwardIn
	if err := decode(c, &in); err != nil {
		return err
	}
	to, err := chatJID("to", in.To)
	if err != nil {
		return err
	}
	return s.command(c, sess, commands.KindForward, to, ids.NewMessageID(), commands.Forward{SourceChat: source, SourceID: message})
}

type voteIn struct {
	Options []string `json:"options"`
}

// VotePoll queues a vote on a poll.
func (s *Server) VotePoll(c echo.Context, id api.SessionParam, chat api.ChatParam, message api.MessageParam) error {
	var in voteIn
	return s.chatCommand(c, id, chat, &in, func(string) (commands.Kind, string, any, error) {
		return commands.KindPollVote, "", commands.PollVote{PollID: message, Options: in.Options}, nil
	})
}

// MarkRead queues read receipts.
func (s *Server) MarkRead(c echo.Context, id api.SessionParam, chat api.ChatParam) error {
	var in commands.MarkRead
	return s.chatCommand(c, id, chat, &in, func(string) (commands.Kind, string, any, error) {
		if in.Sender != "" {
			sender, err := chatJID("sender", in.Sender)
			if err != nil {
				return "", "", nil, err
			}
			in.Sender = sender
		}
		return commands.KindMarkRead, "", in, nil
	})
}

// ChatPresence queues a typing/recording/paused indicator.
func (s *Server) ChatPresence(c echo.Context, id api.SessionParam, chat api.ChatParam) error {
	var in commands.ChatPresence
	return s.chatCommand(c, id, chat, &in, func(string) (commands.Kind, string, any, error) {
		return commands.KindChatPresence, "", in, nil
	})
}

type archiveIn struct {
	Archived bool `json:"archived"`
}

// ArchiveChat queues archiving (which also unpins) or unarchiving a chat.
func (s *Server) ArchiveChat(c echo.Context, id api.SessionParam, chat api.ChatParam) error {
	var in archiveIn
	return s.chatCommand(c, id, chat, &in, func(string) (commands.Kind, string, any, error) {
		return commands.KindChatState, "", commands.ChatState{Archived: &in.Archived}, nil
	})
}

type pinIn struct {
	Pinned bool `json:"pinned"`
}

// PinChat queues pinning or unpinning a chat.
func (s *Server) PinChat(c echo.Context, id api.SessionParam, chat api.ChatParam) error {
	var in pinIn
	return s.chatCommand(c, id, chat, &in, func(string) (commands.Kind, string, any, error) {
		return commands.KindChatState, "", commands.ChatState{Pinned: &in.Pinned}, nil
	})
}

// chatCommand is the common path of chat actions: session, chat, body, build, queue.
func (s *Server) chatCommand(c echo.Context, id, chat string, body any, build func(to string) (commands.Kind, string, any, error)) error {
	sess, err := s.session(c, id)
	if err != nil {
		return err
	}
	to, err := chatJID("chat", chat)
	if err != nil {
		return err
	}
	if body != nil {
		if err := decode(c, body); err != nil {
			return err
		}
	}
	kind, messageID, payload, err := build(to)
	if err != nil {
		return err
	}
	return s.command(c, sess, kind, to, messageID, payload)
}
