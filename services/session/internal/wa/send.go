package wa

import (
	"context"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/services/session/internal/msgconv"
)

// parseJID parses a normalised JID as the gateway sends it.
func parseJID(what, s string) (types.JID, error) {
	if s == "" {
		return types.EmptyJID, badInput("%s is missing", what)
	}
	if !strings.Contains(s, "@") {
		s += "@" + types.DefaultUserServer
	}
	j, err := types.ParseJID(s)
	if err != nil || j.User == "" || !knownServers[j.Server] {
		return types.EmptyJID, badInput("%s %q is not a WhatsApp JID", what, s)
	}
	return j, nil
}

// knownServers are the JID servers a chat or participant may be on.
var knownServers = map[string]bool{
	types.DefaultUserServer: true, types.GroupServer: true, types.HiddenUserServer: true,
	types.BroadcastServer: true, types.NewsletterServer: true,
}

func (s *session) sendMessage(ctx context.Context, cmd commands.Command) (*events.Event, error) {
	req, err := commands.PayloadAs[commands.SendMessage](cmd)
	if err != nil {
		return nil, badInput("%v", err)
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return nil, err
	}
	if err := s.simulateTyping(ctx, chat, req); err != nil {
		return nil, err
	}
	up, err := s.upload(ctx, req)
	if err != nil {
		return nil, err
	}
	ci, err := contextFor(req.ReplyTo, req.Mentions)
	if err != nil {
		return nil, err
	}
	s.quoteContext(ctx, ci, chat)
	msg, err := msgconv.Build(req, up, ci)
	if err != nil {
		return nil, err
	}
	s.addLinkPreview(ctx, msg)
	ev, err := s.send(ctx, cmd, chat, msg)
	if err == nil && req.Media != nil && req.Media.MediaID != "" {
		patchMediaID(ev, req.Media.MediaID)
	}
	return ev, err
}

// simulateTyping applies pacing: the token bucket and jitter, and, when
// enabled, a "composing" state proportional to the text length.
func (s *session) simulateTyping(ctx context.Context, chat types.JID, req commands.SendMessage) error {
	if err := s.pacer.wait(ctx); err != nil {
		return err
	}
	d := s.pacer.typingFor(len(req.Text) + len(req.Caption))
	if d == 0 {
		return nil
	}
	cli := s.cli()
	media := types.ChatPresenceMediaText
	if req.Type == events.TypeVoice {
		media = types.ChatPresenceMediaAudio
	}
	_ = cli.SendChatPresence(ctx, chat, types.ChatPresenceComposing, media)
	if err := sleep(ctx, d); err != nil {
		return err
	}
	_ = cli.SendChatPresence(ctx, chat, types.ChatPresencePaused, media)
	return nil
}

func (s *session) upload(ctx context.Context, req commands.SendMessage) (*msgconv.Uploaded, error) {
	mt, isMedia := msgconv.MediaTypeOf(req.Type)
	if !isMedia {
		return nil, nil
	}
	data, ctype, name, err := s.fetchMedia(ctx, req.Media)
	if err != nil {
		return nil, err
	}
	if req.Type == events.TypeVoice && !strings.HasPrefix(ctype, "audio/ogg") {
		ctype = "audio/ogg; codecs=opus"
	}
	ctx, span := s.m.tracer.Start(ctx, "whatsapp.Upload")
	defer span.End()
	resp, err := s.cli().Upload(ctx, data, mt)
	if err != nil {
		span.RecordError(err)
		return nil, uploadError(err)
	}
	return &msgconv.Uploaded{UploadResponse: resp, Mimetype: ctype, FileName: name}, nil
}

// contextFor builds reply and mention context, or nil.
func contextFor(replyTo string, mentions []string) (*waE2E.ContextInfo, error) {
	if replyTo == "" && len(mentions) == 0 {
		return nil, nil
	}
	ci := &waE2E.ContextInfo{}
	if replyTo != "" {
		ci.StanzaID = proto.String(replyTo)
		ci.QuotedMessage = &waE2E.Message{Conversation: proto.String("")}
	}
	for _, m := range mentions {
		j, err := parseJID("mention", m)
		if err != nil {
			return nil, err
		}
		ci.MentionedJID = append(ci.MentionedJID, j.String())
	}
	return ci, nil
}

// send sends msg with the command's pre-generated id and returns the
// message.sent event describing it.
func (s *session) send(ctx context.Context, cmd commands.Command, chat types.JID, msg *waE2E.Message) (*events.Event, error) {
	cli := s.cli()
	id := cmd.MessageID
	if id == "" {
		id = cli.GenerateMessageID()
	}
	start := time.Now()
	sctx, span := s.m.tracer.Start(ctx, "whatsapp.SendMessage")
	resp, err := cli.SendMessage(sctx, chat, msg, whatsmeow.SendRequestExtra{ID: id})
	span.End()
	s.m.metrics.sent(ctx, start, err == nil)
	if err != nil {
		return nil, err
	}
	me := s.me.Load()
	info := types.MessageInfo{ID: resp.ID, Timestamp: resp.Timestamp,
		MessageSource: types.MessageSource{Chat: chat, Sender: me.own(), IsFromMe: true, IsGroup: chat.Server == types.GroupServer}}
	if me != nil {
		info.PushName, info.SenderAlt = me.pushName, me.lid
	}
	wm := (&waevents.Message{Info: info, RawMessage: msg}).UnwrapRaw()
	d := msgconv.Message(wm)
	d.Command = cmd.ID
	ev, err := events.New(ctx, events.MessageSent, events.Meta{Tenant: s.tenant, Session: s.id, Subject: d.Chat,
		ID: events.DeriveID(s.id, d.ID, string(events.MessageSent)), Time: resp.Timestamp.UTC()}, d)
	if err != nil {
		return nil, err
	}
	return &ev, nil
}

func patchMediaID(ev *events.Event, mediaID string) {
	d, err := events.DecodeData[events.MessageData](*ev)
	if err != nil || d.Media == nil {
		return
	}
	d.Media.MediaID = mediaID
	if n, err := events.New(context.Background(), events.MessageSent, events.Meta{Tenant: ev.Tenant, Session: ev.Session,
		Subject: ev.Subject, ID: ev.ID, Time: ev.Time}, d); err == nil {
		n.TraceParent = ev.TraceParent
		*ev = n
	}
}

// forward re-sends a stored message (looked up in history) to cmd.Chat.
func (s *session) forward(ctx context.Context, cmd commands.Command) (*events.Event, error) {
	req, err := commands.PayloadAs[commands.Forward](cmd)
	if err != nil || req.SourceID == "" {
		return nil, badInput("forward needs sourceId")
	}
	chat, err := parseJID("chat", cmd.Chat)
	if err != nil {
		return nil, err
	}
	src, err := s.lookup(ctx, req.SourceChat, req.SourceID)
	if err != nil {
		return nil, err
	}
	send := resendOf(src.MessageData)
	if err := s.pacer.wait(ctx); err != nil {
		return nil, err
	}
	up, err := s.upload(ctx, send)
	if err != nil {
		return nil, err
	}
	msg, err := msgconv.Build(send, up, &waE2E.ContextInfo{IsForwarded: proto.Bool(true), ForwardingScore: proto.Uint32(1)})
	if err != nil {
		return nil, err
	}
	return s.send(ctx, cmd, chat, msg)
}

// resendOf turns a stored message back into a send request.
func resendOf(d events.MessageData) commands.SendMessage {
	r := commands.SendMessage{Type: d.Type, Text: d.Text, Caption: d.Caption, Location: d.Location, Contacts: d.Contacts, Poll: d.Poll}
	if d.Media != nil {
		r.Media = &commands.MediaRef{MediaID: d.Media.MediaID, Mimetype: d.Media.Mimetype, FileName: d.Media.FileName}
	}
	return r
}
