package commands

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/ids"
)

// StreamName is the work-queue stream of durable commands.
const StreamName = "WAMESH_COMMANDS"

// Kind is what a durable command does.
type Kind string

// Command kinds.
const (
	KindSendMessage   Kind = "send_message"   // payload SendMessage
	KindEditMessage   Kind = "edit_message"   // payload EditMessage
	KindRevokeMessage Kind = "revoke_message" // payload RevokeMessage
	KindReact         Kind = "react"          // payload React
	KindForward       Kind = "forward"        // payload Forward
	KindMarkRead      Kind = "mark_read"      // payload MarkRead
	KindChatPresence  Kind = "chat_presence"  // payload ChatPresence
	KindChatState     Kind = "chat_state"     // payload ChatState
	KindPollVote      Kind = "poll_vote"      // payload PollVote
	KindGroupAction   Kind = "group_action"   // payload GroupAction
)

// Command is the envelope of a durable command.
type Command struct {
	ID          string          `json:"id"`                    // command id; equals MessageID for commands that send a message
	Kind        Kind            `json:"kind"`                  // what to do
	Tenant      string          `json:"tenant"`                // owning tenant
	Session     string          `json:"session"`               // target session
	MessageID   string          `json:"messageId,omitempty"`   // pre-generated WhatsApp message id, reused on redelivery
	Chat        string          `json:"chat,omitempty"`        // normalised chat JID
	Payload     json.RawMessage `json:"payload"`               // kind-specific payload
	Deadline    time.Time       `json:"deadline,omitzero"`     // drop (message.failed TIMEOUT) if not executed by then
	TraceParent string          `json:"traceparent,omitempty"` // W3C trace context of the request
	CreatedAt   time.Time       `json:"createdAt"`             // accepted by the gateway
}

// ErrBadCommand is returned by Decode for an envelope that cannot be executed.
var ErrBadCommand = errors.New("bad command")

// NewCommand builds an envelope with the payload marshalled.
func NewCommand(kind Kind, tenant, session, messageID, chat string, payload any) (Command, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return Command{}, fmt.Errorf("marshal %s payload: %w", kind, err)
	}
	id := messageID
	if id == "" {
		id = ids.New("cmd")
	}
	return Command{
		ID: id, Kind: kind, Tenant: tenant, Session: session, MessageID: messageID, Chat: chat,
		Payload: raw, CreatedAt: time.Now().UTC(),
	}, nil
}

// Decode parses and checks a command envelope.
func Decode(b []byte) (Command, error) {
	var c Command
	if err := json.Unmarshal(b, &c); err != nil {
		return Command{}, fmt.Errorf("%w: %w", ErrBadCommand, err)
	}
	if c.ID == "" || c.Kind == "" || !ids.Valid(c.Tenant) || !ids.Valid(c.Session) {
		return Command{}, fmt.Errorf("%w: missing id, kind, tenant or session", ErrBadCommand)
	}
	return c, nil
}

// PayloadAs unmarshals the payload into T.
func PayloadAs[T any](c Command) (T, error) {
	var v T
	if err := json.Unmarshal(c.Payload, &v); err != nil {
		return v, fmt.Errorf("%w: %s payload: %w", ErrBadCommand, c.Kind, err)
	}
	return v, nil
}

// Msg builds the NATS message for c: subject by shard, Nats-Msg-Id = c.ID
// (or the idempotency key given), traceparent header.
func (c Command) Msg(shards int, dedupID string) (*nats.Msg, error) {
	subj, err := CommandSubject(shards, c.Session)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("marshal command: %w", err)
	}
	m := nats.NewMsg(subj)
	m.Data = body
	if dedupID == "" {
		dedupID = c.ID
	}
	m.Header.Set(jetstream.MsgIDHeader, dedupID)
	if c.TraceParent != "" {
		m.Header.Set("traceparent", c.TraceParent)
	}
	return m, nil
}
