package wa

import (
	"context"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/services/session/internal/msgconv"
)

// This file is the one place where whatsmeow events become wamesh events.
// handle runs synchronously in whatsmeow's event loop (SynchronousAck): it
// returns false when the event could not be made durable, and WhatsApp
// redelivers it. Event ids derived from the WhatsApp ids make the redelivery
// a JetStream duplicate.

// handleTimeout bounds one event's publishing.
const handleTimeout = 30 * time.Second

func (s *session) handle(raw any) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.m.handleTimeout)
	defer cancel()
	switch evt := raw.(type) {
	case *waevents.Message:
		return s.onMessage(ctx, evt)
	case *waevents.Receipt:
		return s.onReceipt(ctx, evt)
	case *waevents.Connected:
		s.onConnected(ctx)
	case *waevents.PairSuccess:
		s.onPaired(ctx, evt)
	case *waevents.Disconnected:
		s.onDisconnected(ctx)
	case *waevents.StreamReplaced:
		s.lifecycleCtx(ctx, control.StatusDisconnected, "stream replaced: another client connected with this device",
			events.SessionDisconnected, events.SessionDisconnectedData{Reason: "stream replaced"})
	case *waevents.LoggedOut:
		s.onLoggedOut(ctx, evt)
	case *waevents.TemporaryBan:
		exp := time.Now().Add(evt.Expire).UTC()
		s.lifecycleCtx(ctx, control.StatusBanned, evt.String(), events.SessionTemporaryBan,
			events.SessionTemporaryBanData{Code: int(evt.Code), Reason: evt.Code.String(), ExpiresAt: exp})
	case *waevents.ConnectFailure:
		s.lifecycleCtx(ctx, control.StatusDisconnected, "connect failure: "+evt.Reason.String()+" "+evt.Message,
			events.SessionDisconnected, events.SessionDisconnectedData{Reason: evt.Reason.String()})
	case *waevents.ClientOutdated:
		s.lifecycleCtx(ctx, control.StatusDisconnected, "client outdated", events.SessionDisconnected,
			events.SessionDisconnectedData{Reason: "client outdated"})
	default:
		return s.handleInfo(ctx, raw)
	}
	return true
}

// handleInfo maps chat, contact, group, call and sync events.
func (s *session) handleInfo(ctx context.Context, raw any) bool {
	switch evt := raw.(type) {
	case *waevents.ChatPresence:
		return s.emit(ctx, events.ChatPresence, evt.Chat.String(), "", events.ChatPresenceData{
			Chat: evt.Chat.ToNonAD().String(), Sender: evt.Sender.ToNonAD().String(), State: string(evt.State), Media: string(evt.Media)})
	case *waevents.Presence:
		d := events.PresenceUpdatedData{JID: evt.From.ToNonAD().String(), Online: !evt.Unavailable}
		if !evt.LastSeen.IsZero() {
			t := evt.LastSeen.UTC()
			d.LastSeen = &t
		}
		return s.emit(ctx, events.PresenceUpdated, d.JID, "", d)
	case *waevents.GroupInfo:
		return s.onGroupInfo(ctx, evt)
	case *waevents.JoinedGroup:
		d := groupData(&evt.GroupInfo)
		d.Reason = evt.Reason
		return s.emit(ctx, events.GroupJoined, d.JID, events.DeriveID(s.id, d.JID, "joined", evt.CreateKey), d)
	case *waevents.Picture:
		return s.emit(ctx, events.ContactUpdated, evt.JID.String(), "", events.ContactUpdatedData{
			JID: evt.JID.ToNonAD().String(), PictureID: evt.PictureID, PictureSet: true})
	case *waevents.PushName:
		phone, lid := msgconv.PhoneAndLID(evt.JID, evt.JIDAlt)
		return s.emit(ctx, events.ContactUpdated, phone, "", events.ContactUpdatedData{JID: phone, LID: lid, PushName: evt.NewPushName})
	case *waevents.BusinessName:
		return s.emit(ctx, events.ContactUpdated, evt.JID.String(), "", events.ContactUpdatedData{
			JID: evt.JID.ToNonAD().String(), BusinessName: evt.NewBusinessName})
	case *waevents.Contact:
		return s.emit(ctx, events.ContactUpdated, evt.JID.String(), "", events.ContactUpdatedData{
			JID: evt.JID.ToNonAD().String(), FullName: evt.Action.GetFullName(), FirstName: evt.Action.GetFirstName()})
	case *waevents.CallOffer:
		return s.emit(ctx, events.CallOffer, evt.From.String(), events.DeriveID(s.id, evt.CallID, "offer"), events.CallData{
			CallID: evt.CallID, From: evt.CallCreator.ToNonAD().String(), Group: jidOrEmpty(&evt.GroupJID), Timestamp: evt.Timestamp.UTC()})
	case *waevents.CallTerminate:
		return s.emit(ctx, events.CallEnded, evt.From.String(), events.DeriveID(s.id, evt.CallID, "ended"), events.CallData{
			CallID: evt.CallID, From: evt.CallCreator.ToNonAD().String(), Reason: evt.Reason, Timestamp: evt.Timestamp.UTC()})
	case *waevents.HistorySync:
		return s.onHistorySync(ctx, evt)
	}
	return s.handleChatSettings(ctx, raw)
}

// handleChatSettings maps app-state chat changes to chat.updated.
func (s *session) handleChatSettings(ctx context.Context, raw any) bool {
	var d events.ChatUpdatedData
	var chat types.JID
	switch evt := raw.(type) {
	case *waevents.Archive:
		chat, d.Timestamp, d.Archived = evt.JID, evt.Timestamp, ptr(evt.Action.GetArchived())
	case *waevents.Pin:
		chat, d.Timestamp, d.Pinned = evt.JID, evt.Timestamp, ptr(evt.Action.GetPinned())
	case *waevents.Mute:
		chat, d.Timestamp = evt.JID, evt.Timestamp
		until := time.Time{}
		if evt.Action.GetMuted() {
			until = time.UnixMilli(evt.Action.GetMuteEndTimestamp()).UTC()
		}
		d.MutedUntil = &until
	case *waevents.MarkChatAsRead:
		chat, d.Timestamp, d.MarkedRead = evt.JID, evt.Timestamp, ptr(evt.Action.GetRead())
	case *waevents.ClearChat:
		chat, d.Timestamp, d.Cleared = evt.JID, evt.Timestamp, true
	case *waevents.DeleteChat:
		chat, d.Timestamp, d.Deleted = evt.JID, evt.Timestamp, true
	default:
		return true // ignore: QR (see watchQR), receipts of our own reads, app state noise, ...
	}
	d.Chat, d.Timestamp = chat.ToNonAD().String(), d.Timestamp.UTC()
	return s.emit(ctx, events.ChatUpdated, d.Chat, "", d)
}

// emit publishes and reports success; id "" = random.
func (s *session) emit(ctx context.Context, t events.Type, subject, id string, data any) bool {
	if err := s.publish(ctx, t, subject, id, data); err != nil {
		s.log.Error("publish event failed; WhatsApp will redeliver", "type", t, "err", err)
		return false
	}
	return true
}

func (s *session) onMessage(ctx context.Context, evt *waevents.Message) bool {
	id, chat := evt.Info.ID, evt.Info.Chat.ToNonAD().String()
	switch msgconv.Classify(evt) {
	case msgconv.KindContent:
		return s.onContent(ctx, evt)
	case msgconv.KindReaction:
		return s.emit(ctx, events.MessageReaction, chat, events.DeriveID(s.id, id, "reaction"), msgconv.Reaction(evt))
	case msgconv.KindEdit:
		return s.emit(ctx, events.MessageEdited, chat, events.DeriveID(s.id, id, "edited"), msgconv.Edit(evt))
	case msgconv.KindRevoke:
		return s.emit(ctx, events.MessageRevoked, chat, events.DeriveID(s.id, id, "revoked"), msgconv.Revoke(evt))
	case msgconv.KindPollVote:
		return s.onPollVote(ctx, evt)
	}
	return true // ignore: protocol messages
}

func (s *session) onContent(ctx context.Context, evt *waevents.Message) bool {
	d := msgconv.Message(evt)
	if err := s.storeIncoming(ctx, evt.Info.ID, &d, evt.Message); err != nil {
		if !permanentDownloadError(err) {
			// store unavailable or a temporary download failure: no receipt,
			// WhatsApp redelivers and the media is stored then
			s.log.Error("incoming media not stored; WhatsApp will redeliver", "message", evt.Info.ID, "err", err)
			return false
		}
		s.log.Warn("incoming media cannot be downloaded (expired or invalid); delivering the message without it",
			"message", evt.Info.ID, "err", err)
	} else if d.Media != nil && d.Media.MediaID != "" {
		stored := events.MediaStoredData{MediaID: d.Media.MediaID, MessageID: d.ID, Chat: d.Chat, Media: *d.Media}
		if !s.emit(ctx, events.MediaStored, d.Chat, events.DeriveID(s.id, d.ID, "media.stored"), stored) {
			return false
		}
	}
	t := events.MessageReceived
	if d.FromMe { // sent from another device of this account
		t = events.MessageSent
	}
	return s.emit(ctx, t, d.Chat, events.DeriveID(s.id, d.ID, string(t)), d)
}

func (s *session) onPollVote(ctx context.Context, evt *waevents.Message) bool {
	d := events.PollVoteData{ID: evt.Info.ID, Chat: evt.Info.Chat.ToNonAD().String(), Timestamp: evt.Info.Timestamp.UTC(),
		PollID: evt.Message.GetPollUpdateMessage().GetPollCreationMessageKey().GetID()}
	d.Sender, _ = msgconv.PhoneAndLID(evt.Info.Sender, evt.Info.SenderAlt)
	vote, err := s.cli().DecryptPollVote(ctx, evt)
	if err != nil {
		s.log.Warn("poll vote not decrypted (unknown poll?)", "message", evt.Info.ID, "err", err)
		return true // redelivery would not help
	}
	for _, h := range vote.GetSelectedOptions() {
		d.Options = append(d.Options, hex.EncodeToString(h))
	}
	return s.emit(ctx, events.PollVote, d.Chat, events.DeriveID(s.id, d.ID, "poll.vote"), d)
}

func (s *session) onReceipt(ctx context.Context, evt *waevents.Receipt) bool {
	var t events.Type
	switch evt.Type {
	case types.ReceiptTypeDelivered:
		t = events.MessageDelivered
	case types.ReceiptTypeRead:
		t = events.MessageRead
	case types.ReceiptTypePlayed:
		t = events.MessagePlayed
	default:
		return true // ignore: read-self, retry, server acks, ...
	}
	phone, lid := msgconv.PhoneAndLID(evt.Sender, evt.MessageSource.SenderAlt)
	d := events.ReceiptData{IDs: evt.MessageIDs, Chat: evt.Chat.ToNonAD().String(), Recipient: phone, RecipientLID: lid,
		Timestamp: evt.Timestamp.UTC()}
	id := events.DeriveID(s.id, string(t), d.Chat, phone, strings.Join(evt.MessageIDs, ","))
	return s.emit(ctx, t, d.Chat, id, d)
}

func (s *session) onConnected(ctx context.Context) {
	s.reconnects.Store(0)
	st := s.cli().Store
	me := &identity{lid: st.LID, pushName: st.PushName, platform: st.Platform}
	if st.ID != nil {
		me.jid = *st.ID
		s.me.Store(me)
	}
	d := events.SessionConnectedData{PushName: me.pushName, Platform: me.platform}
	if !me.jid.IsEmpty() {
		d.JID, d.Phone = me.jid.String(), me.jid.User
		s.bindDevice(ctx, me.jid)
	}
	if !me.lid.IsEmpty() {
		d.LID = me.lid.ToNonAD().String()
	}
	_ = s.setState(ctx, func(st *control.SessionState) {
		st.Status, st.Error, st.JID, st.LID, st.Phone, st.PushName = control.StatusConnected, "", d.JID, d.LID, d.Phone, d.PushName
	})
	s.publishLifecycle(ctx, events.SessionConnected, d)
	if me.pushName != "" { // WhatsApp sends typing and presence only to online clients
		go s.markOnline()
	}
}

func (s *session) markOnline() {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if err := s.cli().SendPresence(ctx, types.PresenceAvailable); err != nil {
		s.log.Debug("presence not sent", "err", err)
	}
}

func (s *session) onPaired(ctx context.Context, evt *waevents.PairSuccess) {
	s.me.Store(&identity{jid: evt.ID, lid: evt.LID, platform: evt.Platform})
	s.bindDevice(ctx, evt.ID)
	_ = s.setState(ctx, func(st *control.SessionState) {
		st.Status, st.JID, st.Phone = control.StatusPairing, evt.ID.String(), evt.ID.User
		st.LID = jidOrEmpty(&evt.LID)
	})
}

func (s *session) bindDevice(ctx context.Context, jid types.JID) {
	s.defLock.Lock()
	s.seen.JID = jid
	b := s.seen
	s.defLock.Unlock()
	if err := s.m.store.Bind(ctx, s.id, b); err != nil {
		s.log.Error("bind device to session", "jid", jid, "err", err)
	}
}

func (s *session) onDisconnected(ctx context.Context) {
	cli := s.cli()
	// whatsmeow waits AutoReconnectErrors*2s before each attempt; count
	// ourselves (its counter is written by its reconnect goroutine).
	attempt := int(s.reconnects.Add(1))
	s.lifecycleCtx(ctx, control.StatusDisconnected, "connection lost", events.SessionDisconnected,
		events.SessionDisconnectedData{Reason: "connection closed"})
	if cli.EnableAutoReconnect && s.me.Load() != nil && s.ctx.Err() == nil {
		s.publishLifecycle(ctx, events.SessionReconnecting, events.SessionReconnectingData{
			Attempt: attempt, DelayMS: (time.Duration(attempt-1) * 2 * time.Second).Milliseconds(), Reason: "connection closed"})
	}
}

func (s *session) onLoggedOut(ctx context.Context, evt *waevents.LoggedOut) {
	if err := s.forgetDevice(ctx, types.EmptyJID); err != nil {
		s.log.Error("wipe logged-out device", "err", err)
	}
	reason := evt.Reason.String()
	s.lifecycleCtx(ctx, control.StatusLoggedOut, "logged out by WhatsApp: "+reason, events.SessionLoggedOut,
		events.SessionLoggedOutData{Reason: reason, OnConnect: evt.OnConnect})
}

func (s *session) onGroupInfo(ctx context.Context, evt *waevents.GroupInfo) bool {
	g, at := evt.JID.String(), evt.Timestamp.UTC()
	actor := ""
	if evt.SenderPN != nil {
		actor = evt.SenderPN.ToNonAD().String()
	} else if evt.Sender != nil {
		actor = evt.Sender.ToNonAD().String()
	}
	base := events.DeriveID(s.id, g, evt.Timestamp.String())
	for action, list := range map[string][]types.JID{events.GroupActionAdd: evt.Join, events.GroupActionRemove: evt.Leave,
		events.GroupActionPromote: evt.Promote, events.GroupActionDemote: evt.Demote} {
		if len(list) == 0 {
			continue
		}
		d := events.GroupParticipantsData{JID: g, Action: action, Participants: jidStrings(list), Actor: actor, Timestamp: at}
		if !s.emit(ctx, events.GroupParticipants, g, events.DeriveID(base, action), d) {
			return false
		}
		if action == events.GroupActionRemove && s.isMe(list) {
			if !s.emit(ctx, events.GroupLeft, g, events.DeriveID(base, "left"), events.GroupLeftData{JID: g, Actor: actor, Timestamp: at}) {
				return false
			}
		}
	}
	u := events.GroupUpdatedData{JID: g, Actor: actor, Timestamp: at}
	changed := false
	if evt.Name != nil {
		u.Subject, changed = &evt.Name.Name, true
	}
	if evt.Topic != nil {
		u.Description, changed = &evt.Topic.Topic, true
	}
	if evt.Announce != nil {
		u.Announce, changed = &evt.Announce.IsAnnounce, true
	}
	if evt.Locked != nil {
		u.Locked, changed = &evt.Locked.IsLocked, true
	}
	if evt.Ephemeral != nil {
		secs := int(evt.Ephemeral.DisappearingTimer)
		u.Ephemeral, changed = &secs, true
	}
	if evt.NewInviteLink != nil {
		u.InviteLink, changed = *evt.NewInviteLink, true
	}
	if !changed {
		return true
	}
	return s.emit(ctx, events.GroupUpdated, g, events.DeriveID(base, "updated"), u)
}

// onHistorySync publishes every content message of a history sync chunk as
// message.received (message.sent when fromMe) with the ids live delivery
// uses, so a message that arrives both ways is one event; then
// history.synced with an id of (session, sync type, chunk), so a
// redelivered chunk is a duplicate. History media is described, not
// downloaded.
func (s *session) onHistorySync(ctx context.Context, evt *waevents.HistorySync) bool {
	h := evt.Data
	d := events.HistorySyncedData{SyncType: h.GetSyncType().String(), Chats: len(h.GetConversations()),
		Chunk: int(h.GetChunkOrder()), Progress: int(h.GetProgress())}
	cli := s.cli()
	for _, c := range h.GetConversations() {
		d.Messages += len(c.GetMessages())
		d.Conversations = append(d.Conversations, c.GetID())
		chat, err := types.ParseJID(c.GetID())
		if err != nil {
			s.log.Warn("history sync: conversation with a bad id skipped", "chat", c.GetID(), "err", err)
			continue
		}
		var incoming []events.MessageData
		for _, hm := range c.GetMessages() {
			d, ok := s.onHistoryMessage(ctx, cli, chat, hm.GetMessage())
			if !ok {
				return false
			}
			if d != nil && !d.FromMe {
				incoming = append(incoming, *d)
			}
		}
		if !s.onHistoryRead(ctx, c, incoming) {
			return false
		}
	}
	id := events.DeriveID(s.id, string(events.HistorySynced), d.SyncType, strconv.Itoa(d.Chunk))
	return s.emit(ctx, events.HistorySynced, "", id, d)
}

// onHistoryMessage publishes one history message; it returns what it
// published (nil if it skipped the message) and false when publishing failed.
func (s *session) onHistoryMessage(ctx context.Context, cli *whatsmeow.Client, chat types.JID, wm *waWeb.WebMessageInfo) (*events.MessageData, bool) {
	evt, err := cli.ParseWebMessage(chat, wm)
	if err != nil {
		s.log.Debug("history sync: message skipped", "chat", chat, "message", wm.GetKey().GetID(), "err", err)
		return nil, true // ignore: undecodable, a redelivery would not help
	}
	if msgconv.Classify(evt) != msgconv.KindContent {
		return nil, true // ignore: reactions, edits, protocol messages in history
	}
	// each message gets the full publish budget: a chunk can hold thousands
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.m.handleTimeout)
	defer cancel()
	d := msgconv.Message(evt)
	t := events.MessageReceived
	if d.FromMe {
		t = events.MessageSent
	}
	return &d, s.emit(mctx, t, d.Chat, events.DeriveID(s.id, d.ID, string(t)), d)
}

// onHistoryRead publishes a conversation's read state, which history sync
// gives as a count of unread messages: the newest that many incoming
// messages are unread, older ones were read on the phone. It becomes
// chat.updated markedRead up to the newest read one (when two messages of
// the same second straddle the line, both stay unread). A conversation
// marked unread, or with nothing read, publishes nothing.
func (s *session) onHistoryRead(ctx context.Context, c *waHistorySync.Conversation, incoming []events.MessageData) bool {
	unread := int(c.GetUnreadCount())
	if c.GetMarkedAsUnread() || unread >= len(incoming) {
		return true
	}
	slices.SortFunc(incoming, func(a, b events.MessageData) int { return b.Timestamp.Compare(a.Timestamp) })
	upTo := incoming[unread].Timestamp
	if unread > 0 && !incoming[unread-1].Timestamp.After(upTo) {
		upTo = upTo.Add(-time.Microsecond)
	}
	chat := incoming[unread].Chat
	d := events.ChatUpdatedData{Chat: chat, MarkedRead: ptr(true), Timestamp: upTo}
	id := events.DeriveID(s.id, "history-read", chat, upTo.Format(time.RFC3339Nano))
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.m.handleTimeout)
	defer cancel()
	return s.emit(mctx, events.ChatUpdated, chat, id, d)
}

func (s *session) isMe(list []types.JID) bool {
	me := s.me.Load()
	if me == nil {
		return false
	}
	for _, j := range list {
		if j.User == me.jid.User || (!me.lid.IsEmpty() && j.User == me.lid.User) {
			return true
		}
	}
	return false
}

func groupData(g *types.GroupInfo) events.GroupData {
	d := events.GroupData{JID: g.JID.String(), Subject: g.Name, Description: g.Topic, Owner: jidOrEmpty(&g.OwnerJID),
		CreatedAt: g.GroupCreated.UTC(), Announce: g.IsAnnounce, Locked: g.IsLocked}
	for _, p := range g.Participants {
		phone, lid := msgconv.PhoneAndLID(p.JID, p.LID)
		if !p.PhoneNumber.IsEmpty() {
			phone = p.PhoneNumber.ToNonAD().String()
		}
		d.Participants = append(d.Participants, events.GroupParticipant{JID: phone, LID: lid, Admin: p.IsAdmin, SuperAdmin: p.IsSuperAdmin})
	}
	return d
}

func jidStrings(list []types.JID) []string {
	out := make([]string, 0, len(list))
	for _, j := range list {
		out = append(out, j.ToNonAD().String())
	}
	return out
}

func jidOrEmpty(j *types.JID) string {
	if j == nil || j.IsEmpty() {
		return ""
	}
	return j.ToNonAD().String()
}

func ptr[T any](v T) *T { return &v }
