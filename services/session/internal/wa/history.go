package wa

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/queries"
)

// lookupTimeout bounds best-effort history lookups (reply context).
const lookupTimeout = 2 * time.Second

// lookup asks the history service for a stored message of this session.
// A missing message is a NOT_FOUND *commands.Error.
func (s *session) lookup(ctx context.Context, chat, id string) (queries.Message, error) {
	var msg queries.Message
	err := queries.Call(ctx, s.m.cfg.NATS, queries.ServiceHistory, queries.OpMessage,
		queries.MessageRequest{Tenant: s.tenant, Session: s.id, Chat: chat, ID: id}, &msg)
	var ce *commands.Error
	switch {
	case errors.As(err, &ce) && ce.Code == commands.CodeNotFound:
		return msg, final(commands.CodeNotFound, "message "+id+" not found", nil)
	case errors.As(err, &ce) && (ce.Code == queries.CodeServiceUnavailable || ce.Code == commands.CodeTimeout):
		return msg, fmt.Errorf("%w: history: %s", ErrNotConnected, ce.Message) // retry later
	}
	return msg, err
}

// quoteContext fills the quoted message and its author from history when it
// is there, so WhatsApp clients render the reply; without history the reply
// still carries the quoted id.
func (s *session) quoteContext(ctx context.Context, ci *waE2E.ContextInfo, chat types.JID) {
	if ci == nil || ci.GetStanzaID() == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	q, err := s.lookup(ctx, chat.String(), ci.GetStanzaID())
	if err != nil {
		return
	}
	if q.IsGroup || q.FromMe {
		ci.Participant = proto.String(q.Sender)
	}
	text := q.Text
	if text == "" {
		text = q.Caption
	}
	ci.QuotedMessage = &waE2E.Message{Conversation: proto.String(text)}
}

// pollAuthor finds who sent a poll: the chat partner in a direct chat,
// else the history service's record of the poll.
func (s *session) pollAuthor(ctx context.Context, chat types.JID, pollID string) (types.JID, error) {
	if chat.Server != types.GroupServer {
		return chat, nil
	}
	poll, err := s.lookup(ctx, chat.String(), pollID)
	if err != nil {
		return types.EmptyJID, err
	}
	if poll.FromMe {
		return s.ownJID(), nil
	}
	return parseJID("poll sender", poll.Sender)
}
