package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// runner is what the shared SQL needs from an adapter: Postgres and SQLite
// both accept $n placeholders, ON CONFLICT upserts and row values.
type runner interface {
	exec(ctx context.Context, sql string, args ...any) (int64, error)
	query(ctx context.Context, sql string, args []any, each func(scanner) error) error
	// arrays reports whether multi-row writes go as column arrays (unnest)
	// rather than multi-row VALUES.
	arrays() bool
}

// scanner reads the current row.
type scanner interface{ Scan(dest ...any) error }

// maxParams keeps a statement under both databases' parameter limits.
const maxParams = 30000

// upsert is a multi-row INSERT ... ON CONFLICT statement.
type upsert struct {
	table string
	cols  []string
	types []string // Postgres column types, for unnest
	tail  string   // ON CONFLICT ...
}

// run inserts n rows, fill appending row i's values in column order.
func (u upsert) run(ctx context.Context, r runner, n int, fill func(i int, args []any) []any) error {
	if n == 0 {
		return nil
	}
	if r.arrays() {
		return u.runArrays(ctx, r, n, fill)
	}
	per := maxParams / len(u.cols)
	for start := 0; start < n; start += per {
		end := min(n, start+per)
		args := make([]any, 0, (end-start)*len(u.cols))
		for i := start; i < end; i++ {
			args = fill(i, args)
		}
		if _, err := r.exec(ctx, u.sql(end-start), args...); err != nil {
			return fmt.Errorf("upsert %s: %w", u.table, err)
		}
	}
	return nil
}

// runArrays sends all rows as one array per column through unnest: one
// statement shape whatever the row count, so Postgres prepares it once.
func (u upsert) runArrays(ctx context.Context, r runner, n int, fill func(i int, args []any) []any) error {
	cols := make([][]any, len(u.cols))
	for j := range cols {
		cols[j] = make([]any, 0, n)
	}
	row := make([]any, 0, len(u.cols))
	for i := range n {
		row = fill(i, row[:0])
		for j, v := range row {
			cols[j] = append(cols[j], v)
		}
	}
	args := make([]any, len(cols))
	for j := range cols {
		args[j] = cols[j]
	}
	if _, err := r.exec(ctx, u.unnestSQL(), args...); err != nil {
		return fmt.Errorf("upsert %s: %w", u.table, err)
	}
	return nil
}

func (u upsert) unnestSQL() string {
	arrays := make([]string, len(u.cols))
	for j, t := range u.types {
		arrays[j] = "$" + strconv.Itoa(j+1) + "::" + t + "[]"
	}
	return "INSERT INTO " + u.table + " (" + strings.Join(u.cols, ", ") + ") SELECT * FROM unnest(" +
		strings.Join(arrays, ", ") + ") " + u.tail
}

func (u upsert) sql(rows int) string {
	var b strings.Builder
	b.Grow(64 + rows*len(u.cols)*6 + len(u.tail))
	b.WriteString("INSERT INTO ")
	b.WriteString(u.table)
	b.WriteString(" (")
	b.WriteString(strings.Join(u.cols, ", "))
	b.WriteString(") VALUES ")
	p := 1
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range u.cols {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	b.WriteByte(' ')
	b.WriteString(u.tail)
	return b.String()
}

var upsertEvents = upsert{"events",
	[]string{"tenant", "id", "session", "type", "subject", "ts", "data"},
	[]string{"text", "text", "text", "text", "text", "bigint", "text"},
	"ON CONFLICT (tenant, id) DO NOTHING"}

// fillStub: the stored row takes the incoming content when it has none (a
// placeholder for a receipt, edit... that came first) or only what a failed
// send was to send, and the incoming row is the message itself.
const fillStub = "(excluded.data IS NOT NULL AND (messages.data IS NULL OR (messages.status = 2 AND excluded.status > 2)))"

var upsertMessages = upsert{"messages",
	[]string{"tenant", "session", "id", "chat", "sender", "from_me", "type", "ts", "data",
		"status", "error", "revoked", "edit_ts", "edit_text", "has_reactions", "media_id"},
	[]string{"text", "text", "text", "text", "text", "boolean", "text", "bigint", "text", "smallint", "text", "boolean", "bigint", "text", "boolean", "text"},
	`ON CONFLICT (tenant, session, id) DO UPDATE SET
	chat = CASE WHEN ` + fillStub + ` OR messages.chat = '' THEN excluded.chat ELSE messages.chat END,
	sender = CASE WHEN ` + fillStub + ` THEN excluded.sender ELSE messages.sender END,
	from_me = CASE WHEN ` + fillStub + ` THEN excluded.from_me ELSE messages.from_me END,
	type = CASE WHEN ` + fillStub + ` THEN excluded.type ELSE messages.type END,
	ts = CASE WHEN ` + fillStub + ` THEN excluded.ts ELSE messages.ts END,
	data = CASE WHEN ` + fillStub + ` THEN excluded.data ELSE messages.data END,
	status = CASE WHEN excluded.status > messages.status THEN excluded.status ELSE messages.status END,
	error = CASE WHEN excluded.error <> '' THEN excluded.error ELSE messages.error END,
	revoked = (messages.revoked OR excluded.revoked),
	edit_ts = CASE WHEN excluded.edit_ts > messages.edit_ts THEN excluded.edit_ts ELSE messages.edit_ts END,
	edit_text = CASE WHEN excluded.edit_ts > messages.edit_ts THEN excluded.edit_text ELSE messages.edit_text END,
	has_reactions = (messages.has_reactions OR excluded.has_reactions),
	media_id = CASE WHEN excluded.media_id <> '' THEN excluded.media_id ELSE messages.media_id END
	WHERE ` + fillStub + ` OR (messages.chat = '' AND excluded.chat <> '')
	OR excluded.status > messages.status OR (excluded.error <> '' AND excluded.error <> messages.error)
	OR (excluded.revoked AND NOT messages.revoked) OR excluded.edit_ts > messages.edit_ts
	OR (excluded.has_reactions AND NOT messages.has_reactions)
	OR (excluded.media_id <> '' AND excluded.media_id <> messages.media_id)`}

// insertEvents and insertMessages are the optimistic forms of their
// upserts (see sqlStore.Apply): plain INSERTs, which skip the conflict
// check of every row and fail on the first key that exists.
var insertEvents, insertMessages = upsertEvents.plain(), upsertMessages.plain()

// plain is u without its ON CONFLICT clause.
func (u upsert) plain() upsert {
	u.tail = ""
	return u
}

var upsertStatuses = upsert{"message_statuses",
	[]string{"tenant", "session", "message_id", "recipient", "status", "ts"},
	[]string{"text", "text", "text", "text", "smallint", "bigint"},
	"ON CONFLICT (tenant, session, message_id, recipient, status) DO NOTHING"}

var upsertEdits = upsert{"message_edits",
	[]string{"tenant", "session", "message_id", "ts", "text"},
	[]string{"text", "text", "text", "bigint", "text"},
	"ON CONFLICT (tenant, session, message_id, ts) DO NOTHING"}

var upsertReactions = upsert{"reactions",
	[]string{"tenant", "session", "message_id", "sender", "emoji", "ts"},
	[]string{"text", "text", "text", "text", "text", "bigint"},
	`ON CONFLICT (tenant, session, message_id, sender) DO UPDATE SET
	emoji = excluded.emoji, ts = excluded.ts WHERE excluded.ts > reactions.ts`}

var upsertVotes = upsert{"poll_votes",
	[]string{"tenant", "session", "poll_id", "sender", "options", "ts"},
	[]string{"text", "text", "text", "text", "text", "bigint"},
	`ON CONFLICT (tenant, session, poll_id, sender) DO UPDATE SET
	options = excluded.options, ts = excluded.ts WHERE excluded.ts > poll_votes.ts`}

// flagSet is the SET clause of a timestamped chat flag.
func flagSet(f string) string {
	newer := "excluded." + f + " IS NOT NULL AND (chats." + f + " IS NULL OR excluded." + f + "_ts >= chats." + f + "_ts)"
	return f + " = CASE WHEN " + newer + " THEN excluded." + f + " ELSE chats." + f + " END,\n\t" +
		f + "_ts = CASE WHEN " + newer + " THEN excluded." + f + "_ts ELSE chats." + f + "_ts END"
}

var upsertChats = upsert{"chats",
	[]string{"tenant", "session", "jid", "type", "name", "last_ts", "last_id", "state_ts",
		"archived", "archived_ts", "pinned", "pinned_ts", "muted", "muted_ts", "muted_until", "read_ts", "cleared_ts", "deleted_ts", "marked_unread", "marked_unread_ts"},
	[]string{"text", "text", "text", "text", "text", "bigint", "text", "bigint",
		"boolean", "bigint", "boolean", "bigint", "boolean", "bigint", "bigint", "bigint", "bigint", "bigint", "boolean", "bigint"},
	`ON CONFLICT (tenant, session, jid) DO UPDATE SET
	type = CASE WHEN chats.type = '' THEN excluded.type ELSE chats.type END,
	last_ts = CASE WHEN excluded.last_ts > chats.last_ts OR (excluded.last_ts = chats.last_ts AND excluded.last_id > chats.last_id) THEN excluded.last_ts ELSE chats.last_ts END,
	last_id = CASE WHEN excluded.last_ts > chats.last_ts OR (excluded.last_ts = chats.last_ts AND excluded.last_id > chats.last_id) THEN excluded.last_id ELSE chats.last_id END,
	name = CASE WHEN excluded.name <> '' AND excluded.state_ts >= chats.state_ts THEN excluded.name ELSE chats.name END,
	state_ts = CASE WHEN excluded.state_ts > chats.state_ts THEN excluded.state_ts ELSE chats.state_ts END,
	` + flagSet("archived") + `,
	` + flagSet("pinned") + `,
	` + flagSet("muted") + `,
	muted_until = CASE WHEN excluded.muted IS NOT NULL AND (chats.muted IS NULL OR excluded.muted_ts >= chats.muted_ts) THEN excluded.muted_until ELSE chats.muted_until END,
	read_ts = CASE WHEN excluded.read_ts > chats.read_ts THEN excluded.read_ts ELSE chats.read_ts END,
	cleared_ts = CASE WHEN excluded.cleared_ts > chats.cleared_ts THEN excluded.cleared_ts ELSE chats.cleared_ts END,
	deleted_ts = CASE WHEN excluded.deleted_ts > chats.deleted_ts THEN excluded.deleted_ts ELSE chats.deleted_ts END,
	` + flagSet("marked_unread") + `
	WHERE excluded.read_ts > chats.read_ts OR excluded.cleared_ts > chats.cleared_ts OR excluded.deleted_ts > chats.deleted_ts OR chats.type = '' OR excluded.last_ts > chats.last_ts OR (excluded.last_ts = chats.last_ts AND excluded.last_id > chats.last_id)
	OR excluded.state_ts > chats.state_ts OR excluded.name <> ''
	OR excluded.archived IS NOT NULL OR excluded.pinned IS NOT NULL OR excluded.muted IS NOT NULL OR excluded.marked_unread IS NOT NULL`}

var upsertContacts = upsert{"contacts",
	[]string{"tenant", "session", "jid", "lid", "phone", "name", "push_name", "business_name"},
	[]string{"text", "text", "text", "text", "text", "text", "text", "text"},
	`ON CONFLICT (tenant, session, jid) DO UPDATE SET
	lid = CASE WHEN excluded.lid <> '' THEN excluded.lid ELSE contacts.lid END,
	phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE contacts.phone END,
	name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END,
	push_name = CASE WHEN excluded.push_name <> '' THEN excluded.push_name ELSE contacts.push_name END,
	business_name = CASE WHEN excluded.business_name <> '' THEN excluded.business_name ELSE contacts.business_name END
	WHERE (excluded.lid <> '' AND excluded.lid <> contacts.lid) OR (excluded.phone <> '' AND excluded.phone <> contacts.phone)
	OR (excluded.name <> '' AND excluded.name <> contacts.name) OR (excluded.push_name <> '' AND excluded.push_name <> contacts.push_name)
	OR (excluded.business_name <> '' AND excluded.business_name <> contacts.business_name)`}

const groupNewer = "(excluded.ts >= wa_groups.ts)"

var upsertGroups = upsert{"wa_groups",
	[]string{"tenant", "session", "jid", "subject", "participants", "admins", "ts"},
	[]string{"text", "text", "text", "text", "text", "text", "bigint"},
	`ON CONFLICT (tenant, session, jid) DO UPDATE SET
	subject = CASE WHEN excluded.subject IS NOT NULL AND (` + groupNewer + ` OR wa_groups.subject IS NULL) THEN excluded.subject ELSE wa_groups.subject END,
	participants = CASE WHEN excluded.participants IS NOT NULL AND (` + groupNewer + ` OR wa_groups.participants IS NULL) THEN excluded.participants ELSE wa_groups.participants END,
	admins = CASE WHEN excluded.admins IS NOT NULL AND (` + groupNewer + ` OR wa_groups.admins IS NULL) THEN excluded.admins ELSE wa_groups.admins END,
	ts = CASE WHEN excluded.ts > wa_groups.ts THEN excluded.ts ELSE wa_groups.ts END`}

var upsertDeliveries = upsert{"deliveries",
	[]string{"tenant", "event_id", "webhook", "delivery_id", "attempt", "outcome", "ts", "data"},
	[]string{"text", "text", "text", "text", "integer", "text", "bigint", "text"},
	"ON CONFLICT (tenant, event_id) DO NOTHING"}

// writeBatch applies b through r (inside the adapter's transaction). Every
// table's rows are sorted by primary key, and tables are written in one
// order, so concurrent writers lock in the same order and cannot deadlock.
// With optimistic, new events and messages go as plain INSERTs: the
// transaction then fails with a unique violation if any of them exists.
func writeBatch(ctx context.Context, r runner, b *Batch, optimistic bool) error {
	events, messages := upsertEvents, upsertMessages
	if optimistic {
		events = insertEvents
		if allMessages(b.Messages) {
			messages = insertMessages
		}
	}
	if err := writeEvents(ctx, r, b, events); err != nil {
		return err
	}
	if err := writeMessages(ctx, r, b, messages); err != nil {
		return err
	}
	steps := []func(context.Context, runner, *Batch) error{
		writeStatuses, writeEdits, writeReactions, writeVotes,
		writeChats, writeContacts, writeGroups, writeMembers, writeDeliveries, writeReadMarks,
	}
	for _, step := range steps {
		if err := step(ctx, r, b); err != nil {
			return err
		}
	}
	return nil
}

// allMessages reports whether rows are all whole messages, no stubs: a stub
// is there to merge into a stored row, so it goes through the upsert.
func allMessages(rows []*MessageRow) bool {
	for _, m := range rows {
		if m.Data == nil {
			return false
		}
	}
	return true
}

func writeEvents(ctx context.Context, r runner, b *Batch, stmt upsert) error {
	rows := b.Events
	slices.SortFunc(rows, func(x, y EventRow) int {
		return cmp.Or(cmp.Compare(x.Tenant, y.Tenant), cmp.Compare(x.ID, y.ID))
	})
	return stmt.run(ctx, r, len(rows), func(i int, a []any) []any {
		e := rows[i]
		return append(a, e.Tenant, e.ID, e.Session, e.Type, e.Subject, e.TS, e.Data)
	})
}

func writeMessages(ctx context.Context, r runner, b *Batch, stmt upsert) error {
	rows := b.Messages
	slices.SortFunc(rows, func(x, y *MessageRow) int {
		return cmp.Or(cmp.Compare(x.Tenant, y.Tenant), cmp.Compare(x.Session, y.Session), cmp.Compare(x.ID, y.ID))
	})
	return stmt.run(ctx, r, len(rows), func(i int, a []any) []any {
		m := rows[i]
		return append(a, m.Tenant, m.Session, m.ID, m.Chat, m.Sender, m.FromMe, m.Type, m.TS, m.Data,
			m.Status, m.Error, m.Revoked, m.EditTS, m.EditText, m.HasReactions, m.MediaID)
	})
}

func writeStatuses(ctx context.Context, r runner, b *Batch) error {
	rows := b.Statuses
	slices.SortFunc(rows, func(x, y StatusRow) int {
		return cmp.Or(cmp.Compare(key(x.Tenant, x.Session, x.MessageID, x.Recipient), key(y.Tenant, y.Session, y.MessageID, y.Recipient)),
			cmp.Compare(x.Status, y.Status))
	})
	return upsertStatuses.run(ctx, r, len(rows), func(i int, a []any) []any {
		s := rows[i]
		return append(a, s.Tenant, s.Session, s.MessageID, s.Recipient, s.Status, s.TS)
	})
}

func writeEdits(ctx context.Context, r runner, b *Batch) error {
	rows := b.Edits
	slices.SortFunc(rows, func(x, y EditRow) int {
		return cmp.Or(cmp.Compare(key(x.Tenant, x.Session, x.MessageID), key(y.Tenant, y.Session, y.MessageID)), cmp.Compare(x.TS, y.TS))
	})
	return upsertEdits.run(ctx, r, len(rows), func(i int, a []any) []any {
		e := rows[i]
		return append(a, e.Tenant, e.Session, e.MessageID, e.TS, e.Text)
	})
}

func writeReactions(ctx context.Context, r runner, b *Batch) error {
	rows := b.Reactions
	slices.SortFunc(rows, func(x, y *ReactionRow) int {
		return cmp.Compare(key(x.Tenant, x.Session, x.MessageID, x.Sender), key(y.Tenant, y.Session, y.MessageID, y.Sender))
	})
	return upsertReactions.run(ctx, r, len(rows), func(i int, a []any) []any {
		x := rows[i]
		return append(a, x.Tenant, x.Session, x.MessageID, x.Sender, x.Emoji, x.TS)
	})
}

func writeVotes(ctx context.Context, r runner, b *Batch) error {
	rows := b.Votes
	slices.SortFunc(rows, func(x, y *VoteRow) int {
		return cmp.Compare(key(x.Tenant, x.Session, x.PollID, x.Sender), key(y.Tenant, y.Session, y.PollID, y.Sender))
	})
	return upsertVotes.run(ctx, r, len(rows), func(i int, a []any) []any {
		x := rows[i]
		return append(a, x.Tenant, x.Session, x.PollID, x.Sender, x.Options, x.TS)
	})
}

func writeChats(ctx context.Context, r runner, b *Batch) error {
	rows := b.Chats
	slices.SortFunc(rows, func(x, y *ChatRow) int {
		return cmp.Compare(key(x.Tenant, x.Session, x.JID), key(y.Tenant, y.Session, y.JID))
	})
	return upsertChats.run(ctx, r, len(rows), func(i int, a []any) []any {
		c := rows[i]
		return append(a, c.Tenant, c.Session, c.JID, c.Type, c.Name, c.LastTS, c.LastID, c.StateTS,
			c.Archived, c.ArchivedTS, c.Pinned, c.PinnedTS, c.Muted, c.MutedTS, c.MutedUntil, c.ReadTS, c.ClearedTS, c.DeletedTS, c.MarkedUnread, c.MarkedUnreadTS)
	})
}

func writeContacts(ctx context.Context, r runner, b *Batch) error {
	rows := b.Contacts
	slices.SortFunc(rows, func(x, y *ContactRow) int {
		return cmp.Compare(key(x.Tenant, x.Session, x.JID), key(y.Tenant, y.Session, y.JID))
	})
	return upsertContacts.run(ctx, r, len(rows), func(i int, a []any) []any {
		c := rows[i]
		return append(a, c.Tenant, c.Session, c.JID, c.LID, c.Phone, c.Name, c.PushName, c.BusinessName)
	})
}

func writeGroups(ctx context.Context, r runner, b *Batch) error {
	rows := b.Groups
	slices.SortFunc(rows, func(x, y *GroupRow) int {
		return cmp.Compare(key(x.Tenant, x.Session, x.JID), key(y.Tenant, y.Session, y.JID))
	})
	return upsertGroups.run(ctx, r, len(rows), func(i int, a []any) []any {
		g := rows[i]
		return append(a, g.Tenant, g.Session, g.JID, g.Subject, g.Participants, g.Admins, g.TS)
	})
}

func writeDeliveries(ctx context.Context, r runner, b *Batch) error {
	rows := b.Deliveries
	slices.SortFunc(rows, func(x, y DeliveryRow) int {
		return cmp.Or(cmp.Compare(x.Tenant, y.Tenant), cmp.Compare(x.EventID, y.EventID))
	})
	return upsertDeliveries.run(ctx, r, len(rows), func(i int, a []any) []any {
		d := rows[i]
		return append(a, d.Tenant, d.EventID, d.Webhook, d.DeliveryID, d.Attempt, d.Outcome, d.TS, d.Data)
	})
}

var upsertMembers = upsert{"group_members",
	[]string{"tenant", "session", "group_jid", "jid", "member", "member_ts", "admin", "admin_ts"},
	[]string{"text", "text", "text", "text", "boolean", "bigint", "boolean", "bigint"},
	`ON CONFLICT (tenant, session, group_jid, jid) DO UPDATE SET
	member = CASE WHEN excluded.member IS NOT NULL AND (group_members.member IS NULL OR excluded.member_ts >= group_members.member_ts) THEN excluded.member ELSE group_members.member END,
	member_ts = CASE WHEN excluded.member IS NOT NULL AND (group_members.member IS NULL OR excluded.member_ts >= group_members.member_ts) THEN excluded.member_ts ELSE group_members.member_ts END,
	admin = CASE WHEN excluded.admin IS NOT NULL AND (group_members.admin IS NULL OR excluded.admin_ts >= group_members.admin_ts) THEN excluded.admin ELSE group_members.admin END,
	admin_ts = CASE WHEN excluded.admin IS NOT NULL AND (group_members.admin IS NULL OR excluded.admin_ts >= group_members.admin_ts) THEN excluded.admin_ts ELSE group_members.admin_ts END`}

func writeMembers(ctx context.Context, r runner, b *Batch) error {
	rows := b.Members
	slices.SortFunc(rows, func(x, y *MemberRow) int {
		return cmp.Compare(key(x.Tenant, x.Session, x.Group, x.JID), key(y.Tenant, y.Session, y.Group, y.JID))
	})
	return upsertMembers.run(ctx, r, len(rows), func(i int, a []any) []any {
		m := rows[i]
		return append(a, m.Tenant, m.Session, m.Group, m.JID, m.Member, m.MemberTS, m.Admin, m.AdminTS)
	})
}

// writeReadMarks raises incoming messages up to each mark to read. It
// runs last, so messages of the same batch are covered.
func writeReadMarks(ctx context.Context, r runner, b *Batch) error {
	for _, m := range b.ReadMarks {
		if _, err := r.exec(ctx, `UPDATE messages SET status = 5 WHERE tenant = $1 AND session = $2 AND chat = $3
			AND NOT from_me AND status < 5 AND data IS NOT NULL AND ts <= $4`, m.Tenant, m.Session, m.Chat, m.TS); err != nil {
			return fmt.Errorf("mark chat read: %w", err)
		}
	}
	return nil
}
