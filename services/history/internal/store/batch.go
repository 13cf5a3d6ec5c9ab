package store

// Batch is a set of idempotent writes. Rows with the same key are merged in
// memory exactly as the database merges them, so one statement per table
// never touches a row twice.
type Batch struct {
	Events     []EventRow
	Messages   []*MessageRow
	Statuses   []StatusRow
	Edits      []EditRow
	Reactions  []*ReactionRow
	Votes      []*VoteRow
	Chats      []*ChatRow
	Contacts   []*ContactRow
	Groups     []*GroupRow
	Deliveries []DeliveryRow
	Members    []*MemberRow
	ReadMarks  []ReadMark

	memberIdx   map[string]*MemberRow
	messageIdx  map[string]*MessageRow
	reactionIdx map[string]*ReactionRow
	voteIdx     map[string]*VoteRow
	chatIdx     map[string]*ChatRow
	contactIdx  map[string]*ContactRow
	groupIdx    map[string]*GroupRow
}

// Len is the number of rows in the batch.
func (b *Batch) Len() int {
	return len(b.Events) + len(b.Messages) + len(b.Statuses) + len(b.Edits) + len(b.Reactions) + len(b.Votes) +
		len(b.Chats) + len(b.Contacts) + len(b.Groups) + len(b.Deliveries) + len(b.Members) + len(b.ReadMarks)
}

// TakeShared moves b's chat and contact rows into a new batch and returns
// it. Those are the rows that the batches of a busy chat all update (its
// last message, its sender), so concurrent transactions writing them queue
// behind each other's row locks until commit; the consumer writes them in a
// transaction of their own. Both tables' upserts commute, so they can be
// merged with other batches' and written later.
func (b *Batch) TakeShared() *Batch {
	s := &Batch{Chats: b.Chats, Contacts: b.Contacts, chatIdx: b.chatIdx, contactIdx: b.contactIdx}
	b.Chats, b.Contacts, b.chatIdx, b.contactIdx = nil, nil, nil, nil
	return s
}

// MemberRow updates one member of a group: Member (in the group or not)
// and Admin each apply when their time is not older than the stored one.
type MemberRow struct {
	Tenant, Session, Group, JID string
	Member                      *bool
	MemberTS                    int64
	Admin                       *bool
	AdminTS                     int64
}

// ReadMark marks the incoming messages of a chat up to TS as read.
type ReadMark struct {
	Tenant, Session, Chat string
	TS                    int64
}

// AddReadMark adds a read mark.
func (b *Batch) AddReadMark(r ReadMark) { b.ReadMarks = append(b.ReadMarks, r) }

// AddMember adds or merges a group member update.
func (b *Batch) AddMember(r MemberRow) {
	k := key(r.Tenant, r.Session, r.Group, r.JID)
	if b.memberIdx == nil {
		b.memberIdx = map[string]*MemberRow{}
	}
	cur, ok := b.memberIdx[k]
	if !ok {
		row := r
		b.memberIdx[k] = &row
		b.Members = append(b.Members, &row)
		return
	}
	if r.Member != nil && (cur.Member == nil || r.MemberTS >= cur.MemberTS) {
		cur.Member, cur.MemberTS = r.Member, r.MemberTS
	}
	if r.Admin != nil && (cur.Admin == nil || r.AdminTS >= cur.AdminTS) {
		cur.Admin, cur.AdminTS = r.Admin, r.AdminTS
	}
}

// EventRow is one raw CloudEvent; Data is nil in pass-through mode.
type EventRow struct {
	Tenant, ID, Session, Type, Subject string
	TS                                 int64
	Data                               *string
}

// MessageRow is a message or, when Data is nil, a stub carrying something
// that arrived before the message itself (a receipt, an edit, a reaction).
type MessageRow struct {
	Tenant, Session, ID string
	Chat, Sender        string
	FromMe              bool
	Type                string
	TS                  int64
	Data                *string // events.MessageData JSON; nil for a stub
	Status              int     // rank, never lowered
	Error               string  // failure reason
	Revoked             bool
	EditTS              int64 // time of the newest edit
	EditText            string
	HasReactions        bool
	MediaID             string
}

// StatusRow is one step of a status timeline.
type StatusRow struct {
	Tenant, Session, MessageID, Recipient string
	Status                                int
	TS                                    int64
}

// EditRow is one edit of a message: its new text.
type EditRow struct {
	Tenant, Session, MessageID string
	TS                         int64
	Text                       string
}

// ReactionRow is a sender's reaction; the newest wins, "" removes it.
type ReactionRow struct {
	Tenant, Session, MessageID, Sender, Emoji string
	TS                                        int64
}

// ChatRow updates a chat: its last message and/or its state. The name
// applies when StateTS is not older than the stored one, each flag when
// its own time is not older than the stored flag's.
type ChatRow struct {
	Tenant, Session, JID, Type    string
	LastTS                        int64
	LastID                        string
	Name                          string
	StateTS                       int64
	Archived, Pinned, Muted       *bool
	ArchivedTS, PinnedTS, MutedTS int64
	MutedUntil                    int64 // with Muted: end of the mute, 0 = not limited
	ReadTS                        int64 // incoming messages up to this time are read (the newest wins)
	ClearedTS, DeletedTS          int64 // last cleared / deleted by the account (the newest wins)
	MarkedUnread                  *bool // "mark as unread", a flag like Archived
	MarkedUnreadTS                int64
}

// ContactRow updates a contact; empty fields keep the stored value.
type ContactRow struct {
	Tenant, Session, JID                     string
	LID, Phone, Name, PushName, BusinessName string
}

// GroupRow updates a group; nil fields keep the stored value, and an older
// TS never overwrites a newer one.
type GroupRow struct {
	Tenant, Session, JID string
	Subject              *string
	Participants, Admins *string // JSON arrays
	TS                   int64
}

// DeliveryRow is one webhook delivery attempt.
type DeliveryRow struct {
	Tenant, EventID, Webhook, DeliveryID string
	Attempt                              int
	Outcome                              string
	TS                                   int64
	Data                                 string // events.WebhookDeliveryData JSON
}

func key(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
		b = append(b, 0)
	}
	return string(b)
}

// AddEvent adds a raw event.
func (b *Batch) AddEvent(r EventRow) { b.Events = append(b.Events, r) }

// AddStatus adds a status step.
func (b *Batch) AddStatus(r StatusRow) { b.Statuses = append(b.Statuses, r) }

// AddEdit adds an edit.
func (b *Batch) AddEdit(r EditRow) { b.Edits = append(b.Edits, r) }

// AddDelivery adds a delivery attempt.
func (b *Batch) AddDelivery(r DeliveryRow) { b.Deliveries = append(b.Deliveries, r) }

// AddMessage adds or merges a message (or stub).
func (b *Batch) AddMessage(r MessageRow) {
	k := key(r.Tenant, r.Session, r.ID)
	if b.messageIdx == nil {
		b.messageIdx = map[string]*MessageRow{}
	}
	if cur, ok := b.messageIdx[k]; ok {
		cur.merge(&r)
		return
	}
	row := r
	b.messageIdx[k] = &row
	b.Messages = append(b.Messages, &row)
}

// merge mirrors the ON CONFLICT clause of the messages upsert.
func (m *MessageRow) merge(o *MessageRow) {
	if o.Data != nil && (m.Data == nil || (m.Status == RankFailed && o.Status > RankFailed)) {
		m.Chat, m.Sender, m.FromMe, m.Type, m.TS, m.Data = o.Chat, o.Sender, o.FromMe, o.Type, o.TS, o.Data
	} else if m.Chat == "" {
		m.Chat = o.Chat
	}
	m.Status = max(m.Status, o.Status)
	if o.Error != "" {
		m.Error = o.Error
	}
	m.Revoked = m.Revoked || o.Revoked
	if o.EditTS > m.EditTS {
		m.EditTS, m.EditText = o.EditTS, o.EditText
	}
	m.HasReactions = m.HasReactions || o.HasReactions
	if o.MediaID != "" {
		m.MediaID = o.MediaID
	}
}

// AddReaction adds or merges a reaction.
func (b *Batch) AddReaction(r ReactionRow) {
	addNewest(&b.reactionIdx, &b.Reactions, key(r.Tenant, r.Session, r.MessageID, r.Sender), r, r.TS,
		func(cur *ReactionRow) int64 { return cur.TS })
}

// addNewest adds row r under key k, or replaces the row already there when
// r is newer (ts is r's time, tsOf a stored row's): the newest wins, as in
// the upserts of the tables keyed by message or poll and sender.
func addNewest[R any](idx *map[string]*R, rows *[]*R, k string, r R, ts int64, tsOf func(*R) int64) {
	if *idx == nil {
		*idx = map[string]*R{}
	}
	if cur, ok := (*idx)[k]; ok {
		if ts > tsOf(cur) {
			*cur = r
		}
		return
	}
	(*idx)[k] = &r
	*rows = append(*rows, &r)
}

// VoteRow is a voter's current selection in a poll; the newest wins.
// Options is the JSON array of the selected option names.
type VoteRow struct {
	Tenant, Session, PollID, Sender, Options string
	TS                                       int64
}

// AddVote adds or merges a poll vote.
func (b *Batch) AddVote(r VoteRow) {
	addNewest(&b.voteIdx, &b.Votes, key(r.Tenant, r.Session, r.PollID, r.Sender), r, r.TS,
		func(cur *VoteRow) int64 { return cur.TS })
}

// AddChat adds or merges a chat update.
func (b *Batch) AddChat(r ChatRow) {
	k := key(r.Tenant, r.Session, r.JID)
	if b.chatIdx == nil {
		b.chatIdx = map[string]*ChatRow{}
	}
	cur, ok := b.chatIdx[k]
	if !ok {
		row := r
		b.chatIdx[k] = &row
		b.Chats = append(b.Chats, &row)
		return
	}
	if cur.Type == "" {
		cur.Type = r.Type
	}
	if r.LastTS > cur.LastTS || (r.LastTS == cur.LastTS && r.LastID > cur.LastID) {
		cur.LastTS, cur.LastID = r.LastTS, r.LastID
	}
	if r.StateTS >= cur.StateTS {
		if r.Name != "" {
			cur.Name = r.Name
		}
		cur.StateTS = r.StateTS
	}
	mergeFlag(&cur.Archived, &cur.ArchivedTS, r.Archived, r.ArchivedTS)
	mergeFlag(&cur.Pinned, &cur.PinnedTS, r.Pinned, r.PinnedTS)
	if r.Muted != nil && (cur.Muted == nil || r.MutedTS >= cur.MutedTS) {
		cur.MutedUntil = r.MutedUntil
	}
	mergeFlag(&cur.Muted, &cur.MutedTS, r.Muted, r.MutedTS)
	cur.ReadTS = max(cur.ReadTS, r.ReadTS)
	cur.ClearedTS = max(cur.ClearedTS, r.ClearedTS)
	cur.DeletedTS = max(cur.DeletedTS, r.DeletedTS)
	mergeFlag(&cur.MarkedUnread, &cur.MarkedUnreadTS, r.MarkedUnread, r.MarkedUnreadTS)
}

// mergeFlag keeps the newer of two timestamped optional flags.
func mergeFlag(cur **bool, curTS *int64, v *bool, ts int64) {
	if v != nil && (*cur == nil || ts >= *curTS) {
		*cur, *curTS = v, ts
	}
}

func pick[T any](newer, older *T) *T {
	if newer != nil {
		return newer
	}
	return older
}

func nonEmpty(newer, older string) string {
	if newer != "" {
		return newer
	}
	return older
}

// AddContact adds or merges a contact.
func (b *Batch) AddContact(r ContactRow) {
	k := key(r.Tenant, r.Session, r.JID)
	if b.contactIdx == nil {
		b.contactIdx = map[string]*ContactRow{}
	}
	cur, ok := b.contactIdx[k]
	if !ok {
		row := r
		b.contactIdx[k] = &row
		b.Contacts = append(b.Contacts, &row)
		return
	}
	cur.LID = nonEmpty(r.LID, cur.LID)
	cur.Phone = nonEmpty(r.Phone, cur.Phone)
	cur.Name = nonEmpty(r.Name, cur.Name)
	cur.PushName = nonEmpty(r.PushName, cur.PushName)
	cur.BusinessName = nonEmpty(r.BusinessName, cur.BusinessName)
}

// AddGroup adds or merges a group update.
func (b *Batch) AddGroup(r GroupRow) {
	k := key(r.Tenant, r.Session, r.JID)
	if b.groupIdx == nil {
		b.groupIdx = map[string]*GroupRow{}
	}
	cur, ok := b.groupIdx[k]
	if !ok {
		row := r
		b.groupIdx[k] = &row
		b.Groups = append(b.Groups, &row)
		return
	}
	if r.TS >= cur.TS {
		cur.Subject = pick(r.Subject, cur.Subject)
		cur.Participants = pick(r.Participants, cur.Participants)
		cur.Admins = pick(r.Admins, cur.Admins)
		cur.TS = r.TS
	} else {
		cur.Subject = pick(cur.Subject, r.Subject)
		cur.Participants = pick(cur.Participants, r.Participants)
		cur.Admins = pick(cur.Admins, r.Admins)
	}
}
