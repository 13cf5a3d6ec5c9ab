package ingest

import (
	"time"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// addOther handles groups, contacts, chat state and history sync
// summaries. Types without history rows (presence, calls, session
// lifecycle, unknown types) add nothing: the raw event is still stored.
func addOther(b *store.Batch, ev events.Event, _ Options) error {
	switch ev.EventType() {
	case events.GroupCreated, events.GroupJoined:
		return addGroupSnapshot(b, ev)
	case events.GroupUpdated:
		return addGroupUpdate(b, ev)
	case events.GroupParticipants:
		return addGroupParticipants(b, ev)
	case events.ContactUpdated:
		return addContactUpdate(b, ev)
	case events.ChatUpdated:
		return addChatUpdate(b, ev)
	case events.HistorySynced:
		return addHistorySynced(b, ev)
	}
	return nil
}

func at(t, fallback time.Time) int64 {
	if t.IsZero() {
		return store.Micros(fallback)
	}
	return store.Micros(t)
}

func addGroupSnapshot(b *store.Batch, ev events.Event) error {
	g, err := decode[events.GroupData](ev)
	if err != nil {
		return err
	}
	if err := required("jid", g.JID); err != nil {
		return err
	}
	ts, jid := store.Micros(ev.Time), clean(g.JID)
	b.AddGroup(store.GroupRow{Tenant: ev.Tenant, Session: ev.Session, JID: jid, Subject: ptr(clean(g.Subject)), TS: ts})
	b.AddChat(store.ChatRow{Tenant: ev.Tenant, Session: ev.Session, JID: jid, Type: "group"})
	for _, p := range g.Participants {
		if p.JID == "" {
			continue
		}
		b.AddMember(store.MemberRow{Tenant: ev.Tenant, Session: ev.Session, Group: jid, JID: clean(p.JID),
			Member: ptr(true), MemberTS: ts, Admin: ptr(p.Admin || p.SuperAdmin), AdminTS: ts})
		if p.LID != "" {
			b.AddContact(store.ContactRow{Tenant: ev.Tenant, Session: ev.Session, JID: clean(p.JID), LID: clean(p.LID), Phone: phoneOf(p.JID)})
		}
	}
	return nil
}

func addGroupUpdate(b *store.Batch, ev events.Event) error {
	u, err := decode[events.GroupUpdatedData](ev)
	if err != nil {
		return err
	}
	if err := required("jid", u.JID); err != nil {
		return err
	}
	row := store.GroupRow{Tenant: ev.Tenant, Session: ev.Session, JID: clean(u.JID), TS: at(u.Timestamp, ev.Time)}
	if u.Subject != nil {
		row.Subject = ptr(clean(*u.Subject))
	}
	b.AddGroup(row)
	return nil
}

func addGroupParticipants(b *store.Batch, ev events.Event) error {
	p, err := decode[events.GroupParticipantsData](ev)
	if err != nil {
		return err
	}
	if err := required("jid", p.JID, "action", p.Action); err != nil {
		return err
	}
	ts, group := at(p.Timestamp, ev.Time), clean(p.JID)
	for _, jid := range p.Participants {
		row := store.MemberRow{Tenant: ev.Tenant, Session: ev.Session, Group: group, JID: clean(jid)}
		switch p.Action {
		case events.GroupActionAdd:
			row.Member, row.MemberTS = ptr(true), ts
		case events.GroupActionRemove:
			row.Member, row.MemberTS = ptr(false), ts
		case events.GroupActionPromote:
			row.Member, row.MemberTS, row.Admin, row.AdminTS = ptr(true), ts, ptr(true), ts
		case events.GroupActionDemote:
			row.Admin, row.AdminTS = ptr(false), ts
		default:
			return nil // an action this version does not know: keep the raw event only
		}
		b.AddMember(row)
	}
	b.AddGroup(store.GroupRow{Tenant: ev.Tenant, Session: ev.Session, JID: group})
	return nil
}

func addContactUpdate(b *store.Batch, ev events.Event) error {
	c, err := decode[events.ContactUpdatedData](ev)
	if err != nil {
		return err
	}
	if err := required("jid", c.JID); err != nil {
		return err
	}
	name := c.FullName
	if name == "" {
		name = c.FirstName
	}
	b.AddContact(store.ContactRow{Tenant: ev.Tenant, Session: ev.Session, JID: clean(c.JID), LID: clean(c.LID),
		Phone: phoneOf(c.JID), Name: clean(name), PushName: clean(c.PushName), BusinessName: clean(c.BusinessName)})
	return nil
}

func addChatUpdate(b *store.Batch, ev events.Event) error {
	u, err := decode[events.ChatUpdatedData](ev)
	if err != nil {
		return err
	}
	if err := required("chat", u.Chat); err != nil {
		return err
	}
	ts, chat := at(u.Timestamp, ev.Time), clean(u.Chat)
	row := store.ChatRow{Tenant: ev.Tenant, Session: ev.Session, JID: chat, Type: chatType(chat),
		Archived: u.Archived, ArchivedTS: ts, Pinned: u.Pinned, PinnedTS: ts}
	if u.Cleared {
		row.ClearedTS = ts
	}
	if u.Deleted {
		row.DeletedTS = ts
	}
	if u.MutedUntil != nil {
		row.Muted, row.MutedTS = ptr(!u.MutedUntil.IsZero()), ts
		row.MutedUntil = store.Micros(*u.MutedUntil)
	}
	if u.MarkedRead != nil {
		row.MarkedUnread, row.MarkedUnreadTS = ptr(!*u.MarkedRead), ts
	}
	if u.MarkedRead != nil && *u.MarkedRead {
		row.ReadTS = ts // kept on the chat: also covers messages stored later
		b.AddReadMark(store.ReadMark{Tenant: ev.Tenant, Session: ev.Session, Chat: chat, TS: ts})
	}
	b.AddChat(row)
	return nil
}

// addHistorySynced makes the conversations of a history sync chunk known
// as chats; their messages arrive as message.received/sent events.
func addHistorySynced(b *store.Batch, ev events.Event) error {
	h, err := decode[events.HistorySyncedData](ev)
	if err != nil {
		return err
	}
	for _, c := range h.Conversations {
		if c != "" {
			b.AddChat(store.ChatRow{Tenant: ev.Tenant, Session: ev.Session, JID: clean(c), Type: chatType(c)})
		}
	}
	return nil
}

func chatType(jid string) string {
	if isGroup(jid) {
		return "group"
	}
	return "direct"
}
