package waemu

import (
	"bytes"
	"cmp"
	"compress/zlib"
	"context"
	"fmt"
	"slices"
	"time"

	"go.mau.fi/whatsmeow"
	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"
)

// SendHistorySync sends one of the phone's linked devices an initial
// history sync with every chat the phone sent or received messages in, as
// the phone app does after linking (events.HistorySync on the client).
func (p *Phone) SendHistorySync(ctx context.Context, device types.JID) error {
	if !slices.Contains(p.Devices(), device) {
		return fmt.Errorf("device %s of %s: %w", device, p.number, ErrNotFound)
	}
	hs := &waHistorySync.HistorySync{
		SyncType:      waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: p.historyConversations(),
		ChunkOrder:    proto.Uint32(1),
		Progress:      proto.Uint32(100),
	}
	raw, err := proto.Marshal(hs)
	if err != nil {
		return fmt.Errorf("marshal history sync: %w", err)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return fmt.Errorf("compress history sync: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress history sync: %w", err)
	}
	up, err := p.srv.uploadMedia(buf.Bytes(), whatsmeow.MediaHistory)
	if err != nil {
		return err
	}
	notif := &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{
		Type: waE2E.ProtocolMessage_HISTORY_SYNC_NOTIFICATION.Enum(),
		HistorySyncNotification: &waE2E.HistorySyncNotification{
			FileSHA256: up.fileSHA256, FileLength: proto.Uint64(up.length), MediaKey: up.mediaKey,
			FileEncSHA256: up.fileEncSHA256, DirectPath: proto.String(up.directPath),
			SyncType: waE2E.HistorySyncType_INITIAL_BOOTSTRAP.Enum(), ChunkOrder: proto.Uint32(1), Progress: proto.Uint32(100),
		},
	}}
	plaintext, err := proto.Marshal(notif)
	if err != nil {
		return fmt.Errorf("marshal history notification: %w", err)
	}
	return p.sendEnc(ctx, device, plaintext, waBinary.Attrs{
		"from": p.jid, "id": NewMessageID(), "t": unixNow(), "type": "text", "category": "peer",
	}, waBinary.Attrs{})
}

// historyConversations groups what the phone sent and received by chat.
func (p *Phone) historyConversations() []*waHistorySync.Conversation {
	type entry struct {
		chat     types.JID
		info     *waWeb.WebMessageInfo
		t        time.Time
		incoming bool
		read     bool // incoming and marked read by this phone
	}
	var entries []entry
	p.mu.Lock()
	for _, m := range p.inbox {
		key := &waCommon.MessageKey{RemoteJID: proto.String(m.Chat.String()), FromMe: proto.Bool(false), ID: proto.String(m.ID)}
		if m.Chat.Server == types.GroupServer {
			key.Participant = proto.String(m.From.String())
		}
		entries = append(entries, entry{m.Chat, &waWeb.WebMessageInfo{
			Key: key, Message: m.Raw, MessageTimestamp: proto.Uint64(uint64(m.Timestamp.Unix())),
		}, m.Timestamp, true, p.read[m.ID]})
	}
	for id, m := range p.sent {
		key := &waCommon.MessageKey{RemoteJID: proto.String(m.chat.String()), FromMe: proto.Bool(true), ID: proto.String(id)}
		entries = append(entries, entry{m.chat, &waWeb.WebMessageInfo{
			Key: key, Message: m.msg, MessageTimestamp: proto.Uint64(uint64(m.t.Unix())),
		}, m.t, false, false})
	}
	p.mu.Unlock()
	// Newest first within a chat, as the phone sends them.
	slices.SortStableFunc(entries, func(a, b entry) int { return b.t.Compare(a.t) })
	byChat := map[types.JID]*waHistorySync.Conversation{}
	readSeen := map[types.JID]bool{} // a read incoming message was met (newest first)
	var out []*waHistorySync.Conversation
	for _, e := range entries {
		conv := byChat[e.chat]
		if conv == nil {
			conv = &waHistorySync.Conversation{ID: proto.String(e.chat.String()), LastMsgTimestamp: proto.Uint64(uint64(e.t.Unix())),
				UnreadCount: proto.Uint32(0)}
			byChat[e.chat] = conv
			out = append(out, conv)
		}
		// As a phone counts: incoming messages newer than the newest read one.
		switch {
		case e.read:
			readSeen[e.chat] = true
		case e.incoming && !readSeen[e.chat]:
			conv.UnreadCount = proto.Uint32(conv.GetUnreadCount() + 1)
		}
		conv.Messages = append(conv.Messages, &waHistorySync.HistorySyncMsg{Message: e.info, MsgOrderID: proto.Uint64(uint64(len(conv.Messages) + 1))})
	}
	slices.SortStableFunc(out, func(a, b *waHistorySync.Conversation) int {
		return cmp.Compare(b.GetLastMsgTimestamp(), a.GetLastMsgTimestamp())
	})
	return out
}
