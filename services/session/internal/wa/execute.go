package wa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
)

// Execute runs one durable command of a running session. A command id that
// already ran is not executed again: its recorded result event is
// re-published (same event id, so JetStream drops the duplicate).
func (m *Manager) Execute(ctx context.Context, cmd commands.Command) error {
	s := m.get(cmd.Session)
	if s == nil {
		return fmt.Errorf("%w: %s", ErrNotRunning, cmd.Session)
	}
	return s.execute(ctx, cmd)
}

func (s *session) execute(ctx context.Context, cmd commands.Command) error {
	if replayed, err := s.replay(ctx, cmd); replayed {
		return err
	}
	if !cmd.Deadline.IsZero() && time.Now().After(cmd.Deadline) {
		return s.fail(ctx, cmd, final(commands.CodeTimeout, "command deadline passed before it could run", nil))
	}
	if err := s.ready(); err != nil {
		var ce *commands.Error
		if errors.As(err, &ce) {
			return s.fail(ctx, cmd, ce)
		}
		return err
	}
	ev, err := s.run(ctx, cmd)
	if err != nil {
		err = classify(string(cmd.Kind), err)
		var ce *commands.Error
		if errors.As(err, &ce) {
			return s.fail(ctx, cmd, ce)
		}
		return err
	}
	return s.succeed(ctx, cmd, ev)
}

// ready says whether the session can execute now: a final error when it is
// not paired, a plain one (retry later) when it is only offline.
func (s *session) ready() error {
	cli := s.cli()
	if cli == nil || s.me.Load() == nil {
		return final(commands.CodeSessionNotConnected, "session is not paired; scan the QR code first", nil)
	}
	if !cli.IsLoggedIn() {
		return ErrNotConnected
	}
	return nil
}

func (s *session) run(ctx context.Context, cmd commands.Command) (*events.Event, error) {
	switch cmd.Kind {
	case commands.KindSendMessage:
		return s.sendMessage(ctx, cmd)
	case commands.KindForward:
		return s.forward(ctx, cmd)
	case commands.KindEditMessage:
		return s.edit(ctx, cmd)
	case commands.KindRevokeMessage:
		return s.revoke(ctx, cmd)
	case commands.KindReact:
		return s.react(ctx, cmd)
	case commands.KindPollVote:
		return s.pollVote(ctx, cmd)
	case commands.KindMarkRead:
		return nil, s.markRead(ctx, cmd)
	case commands.KindChatPresence:
		return nil, s.chatPresence(ctx, cmd)
	case commands.KindChatState:
		return nil, s.chatState(ctx, cmd)
	case commands.KindGroupAction:
		return nil, s.groupAction(ctx, cmd)
	}
	return nil, badInput("unknown command kind %q", cmd.Kind)
}

// succeed records the command as executed (with its result event), then
// publishes the event. A failed publish is retried by redelivery, which
// replays the recorded event.
func (s *session) succeed(ctx context.Context, cmd commands.Command, ev *events.Event) error {
	result := ""
	if ev != nil {
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		result = string(b)
	}
	if err := s.m.store.MarkExecuted(ctx, s.id, cmd.ID, result); err != nil {
		s.log.Warn("command ran but was not recorded; a redelivery would run it again", "command", cmd.ID, "err", err)
	}
	if ev == nil {
		return nil
	}
	return s.publishEvent(ctx, *ev)
}

// fail publishes message.failed and returns the final error.
func (s *session) fail(ctx context.Context, cmd commands.Command, ce *commands.Error) error {
	reason := ce.Message
	if ce.Detail != "" {
		reason += ": " + ce.Detail
	}
	ev, err := events.New(ctx, events.MessageFailed, events.Meta{Tenant: s.tenant, Session: s.id, Subject: cmd.Chat,
		ID: events.DeriveID(s.id, cmd.ID, string(events.MessageFailed))},
		commands.FailedData(cmd, ce.Code, reason))
	if err != nil {
		return fmt.Errorf("build message.failed: %w", err)
	}
	if err := s.succeed(ctx, cmd, &ev); err != nil {
		return err // retry: the failure is recorded and replays
	}
	return ce
}

// replay re-publishes the recorded result of a command that already ran.
func (s *session) replay(ctx context.Context, cmd commands.Command) (bool, error) {
	result, ok, err := s.m.store.Executed(ctx, s.id, cmd.ID)
	if err != nil || !ok {
		return false, nil // unknown: run it
	}
	if result == "" {
		return true, nil
	}
	var ev events.Event
	if err := json.Unmarshal([]byte(result), &ev); err != nil {
		return true, nil
	}
	if err := s.publishEvent(ctx, ev); err != nil {
		return true, err
	}
	if ev.EventType() == events.MessageFailed {
		d, _ := events.DecodeData[events.MessageFailedData](ev)
		return true, &commands.Error{Code: commands.Code(d.Code), Message: d.Reason}
	}
	return true, nil
}
