package wa

import (
	"context"
	"time"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
)

// ownJID is this account's phone-number JID (empty before pairing).
func (s *session) ownJID() types.JID {
	return s.me.Load().own()
}

// authorOf resolves the author of a target message: ourselves, the given
// sender, or (in a direct chat) the chat partner.
func (s *session) authorOf(chat types.JID, sender string, fromMe bool) (types.JID, error) {
	switch {
	case fromMe:
		return s.ownJID(), nil
	case sender != "":
		return parseJID("sender", sender)
	case chat.Server == types.GroupServer:
		return types.EmptyJID, badInput("sender is required for messages in groups")
	}
	return chat, nil
}

func (s *session) edit(ctx context.Context, cmd commands.Command) (*events.Event, error) {
	req, err := commands.PayloadAs[commands.EditMessage](cmd)
	if err != nil || req.TargetID == "" || req.Text == "" {
		return nil, badInput("edit needs targetId and text")
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return nil, err
	}
	msg := s.cli().BuildEdit(chat, req.TargetID, &waE2E.Message{Conversation: proto.String(req.Text)})
	return s.send(ctx, cmd, chat, msg)
}

func (s *session) revoke(ctx context.Context, cmd commands.Command) (*events.Event, error) {
	req, err := commands.PayloadAs[commands.RevokeMessage](cmd)
	if err != nil || req.TargetID == "" {
		return nil, badInput("revoke needs targetId")
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return nil, err
	}
	sender := s.ownJID()
	if req.Sender != "" {
		if sender, err = parseJID("sender", req.Sender); err != nil {
			return nil, err
		}
	}
	return s.send(ctx, cmd, chat, s.cli().BuildRevoke(chat, sender, req.TargetID))
}

func (s *session) react(ctx context.Context, cmd commands.Command) (*events.Event, error) {
	req, err := commands.PayloadAs[commands.React](cmd)
	if err != nil || req.TargetID == "" {
		return nil, badInput("react needs targetId")
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return nil, err
	}
	author, err := s.authorOf(chat, req.Sender, req.FromMe)
	if err != nil {
		return nil, err
	}
	return s.send(ctx, cmd, chat, s.cli().BuildReaction(chat, author, req.TargetID, req.Emoji))
}

func (s *session) pollVote(ctx context.Context, cmd commands.Command) (*events.Event, error) {
	req, err := commands.PayloadAs[commands.PollVote](cmd)
	if err != nil || req.PollID == "" {
		return nil, badInput("poll vote needs pollId")
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return nil, err
	}
	author, err := s.pollAuthor(ctx, chat, req.PollID)
	if err != nil {
		return nil, err
	}
	info := &types.MessageInfo{ID: req.PollID, MessageSource: types.MessageSource{Chat: chat, Sender: author}}
	msg, err := s.cli().BuildPollVote(ctx, info, req.Options)
	if err != nil {
		return nil, final(commands.CodeNotFound, "poll not known to this session", err)
	}
	return s.send(ctx, cmd, chat, msg)
}

func (s *session) markRead(ctx context.Context, cmd commands.Command) error {
	req, err := commands.PayloadAs[commands.MarkRead](cmd)
	if err != nil || len(req.IDs) == 0 {
		return badInput("mark read needs ids")
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return err
	}
	sender := chat
	if req.Sender != "" {
		if sender, err = parseJID("sender", req.Sender); err != nil {
			return err
		}
	} else if chat.Server == types.GroupServer {
		return badInput("sender is required to mark group messages read")
	}
	ctx, span := s.m.tracer.Start(ctx, "whatsapp.MarkRead")
	defer span.End()
	return s.cli().MarkRead(ctx, req.IDs, time.Now(), chat, sender)
}

func (s *session) chatPresence(ctx context.Context, cmd commands.Command) error {
	req, err := commands.PayloadAs[commands.ChatPresence](cmd)
	if err != nil {
		return badInput("%v", err)
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return err
	}
	state, media := types.ChatPresenceComposing, types.ChatPresenceMediaText
	switch req.State {
	case "composing", "typing":
	case "recording":
		media = types.ChatPresenceMediaAudio
	case "paused", "stop":
		state = types.ChatPresencePaused
	default:
		return badInput("presence state %q: want composing, recording or paused", req.State)
	}
	ctx, span := s.m.tracer.Start(ctx, "whatsapp.SendChatPresence")
	defer span.End()
	return s.cli().SendChatPresence(ctx, chat, state, media)
}

// chatState archives or pins a chat through app state; the phone and the
// other linked devices follow. whatsmeow fetches the collection after
// sending the patch and emits events for it, which become chat.updated as
// for changes made on the phone, so the command has no result event.
func (s *session) chatState(ctx context.Context, cmd commands.Command) error {
	req, err := commands.PayloadAs[commands.ChatState](cmd)
	if err != nil {
		return badInput("%v", err)
	}
	if (req.Archived == nil) == (req.Pinned == nil) {
		return badInput("set exactly one of archived and pinned")
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return err
	}
	var patch appstate.PatchInfo
	if req.Archived != nil {
		patch = appstate.BuildArchive(chat, *req.Archived, time.Time{}, nil)
	} else {
		patch = appstate.BuildPin(chat, *req.Pinned) // exactly one is set
	}
	ctx, span := s.m.tracer.Start(ctx, "whatsapp.SendAppState")
	defer span.End()
	return s.cli().SendAppState(ctx, patch)
}
