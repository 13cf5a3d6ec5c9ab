package store

import (
	"context"
	"fmt"
	"strings"

	jsoniter "github.com/json-iterator/go"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/queries"
)

// fastJSON decodes stored messages like encoding/json, about twice as fast.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary

const messageCols = "SELECT id, ts, data, status, error, revoked, edit_ts, edit_text, has_reactions, media_id FROM messages "

// messageRow is a scanned messages row before assembly.
type messageRow struct {
	id, data, errText, editText, mediaID string
	ts, editTS                           int64
	status                               int
	revoked, hasReactions                bool
}

func scanMessage(r scanner) (messageRow, error) {
	var m messageRow
	err := r.Scan(&m.id, &m.ts, &m.data, &m.status, &m.errText, &m.revoked, &m.editTS, &m.editText, &m.hasReactions, &m.mediaID)
	return m, err
}

// Messages pages through a chat, newest first.
func (s *sqlStore) Messages(ctx context.Context, req queries.MessagesRequest) (queries.Page[queries.Message], error) {
	var page queries.Page[queries.Message]
	cur, hasCur, err := decodeCursor(req.Cursor)
	if err != nil {
		return page, err
	}
	var a sqlArgs
	q := messageCols + "WHERE tenant = " + a.add(req.Tenant) + " AND session = " + a.add(req.Session) +
		" AND chat = " + a.add(req.Chat) + " AND data IS NOT NULL"
	if req.Before != nil {
		q += " AND ts < " + a.add(Micros(*req.Before))
	}
	if req.After != nil {
		q += " AND ts > " + a.add(Micros(*req.After))
	}
	if hasCur {
		t, k := a.add(cur.T), a.add(cur.K)
		q += " AND (ts < " + t + " OR (ts = " + t + " AND id < " + k + "))"
	}
	n := limit(req.Limit)
	q += " ORDER BY ts DESC, id DESC LIMIT " + a.add(n+1)
	var rows []messageRow
	err = s.read.query(ctx, q, a, func(r scanner) error {
		m, err := scanMessage(r)
		rows = append(rows, m)
		return err
	})
	if err != nil {
		return page, fmt.Errorf("list messages: %w", err)
	}
	if len(rows) > n {
		rows = rows[:n]
		page.NextCursor = cursor{T: rows[n-1].ts, K: rows[n-1].id}.encode()
	}
	page.Items, err = s.assemble(ctx, req.Tenant, req.Session, rows, false)
	return page, err
}

// Message returns one message with its status timeline.
func (s *sqlStore) Message(ctx context.Context, req queries.MessageRequest) (queries.Message, error) {
	var a sqlArgs
	q := messageCols + "WHERE tenant = " + a.add(req.Tenant) + " AND session = " + a.add(req.Session) +
		" AND id = " + a.add(req.ID) + " AND data IS NOT NULL"
	if req.Chat != "" {
		q += " AND chat = " + a.add(req.Chat)
	}
	var rows []messageRow
	err := s.read.query(ctx, q, a, func(r scanner) error {
		m, err := scanMessage(r)
		rows = append(rows, m)
		return err
	})
	if err != nil {
		return queries.Message{}, fmt.Errorf("get message: %w", err)
	}
	if len(rows) == 0 {
		return queries.Message{}, fmt.Errorf("message %s: %w", req.ID, ErrNotFound)
	}
	msgs, err := s.assemble(ctx, req.Tenant, req.Session, rows, true)
	if err != nil {
		return queries.Message{}, err
	}
	return msgs[0], nil
}

// assemble decodes rows and attaches edits, reactions, poll votes and (withStatuses)
// the status timelines, one query per kind that any row needs.
func (s *sqlStore) assemble(ctx context.Context, tenant, session string, rows []messageRow, withStatuses bool) ([]queries.Message, error) {
	out := make([]queries.Message, len(rows))
	var edited, reacted, polls, all []string
	for i, r := range rows {
		if err := fastJSON.UnmarshalFromString(r.data, &out[i].MessageData); err != nil {
			return nil, fmt.Errorf("decode message %s: %w", r.id, err)
		}
		fillMessage(&out[i], r)
		all = append(all, r.id)
		if r.editTS > 0 {
			edited = append(edited, r.id)
		}
		if r.hasReactions {
			reacted = append(reacted, r.id)
		}
		if out[i].Type == events.TypePoll {
			polls = append(polls, r.id)
		}
	}
	idx := make(map[string]*queries.Message, len(out))
	for i := range out {
		idx[out[i].ID] = &out[i]
	}
	if err := s.attachEdits(ctx, tenant, session, edited, idx); err != nil {
		return nil, err
	}
	if err := s.attachReactions(ctx, tenant, session, reacted, idx); err != nil {
		return nil, err
	}
	if err := s.attachVotes(ctx, tenant, session, polls, idx); err != nil {
		return nil, err
	}
	if withStatuses {
		if err := s.attachStatuses(ctx, tenant, session, all, idx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fillMessage(m *queries.Message, r messageRow) {
	m.Status = StatusName(r.status)
	if !m.FromMe {
		m.Status = StatusName(RankReceived)
	}
	m.Error = r.errText
	m.Revoked = r.revoked
	if r.mediaID != "" && m.Media != nil {
		m.Media.MediaID = r.mediaID
	}
}

// inList returns "IN ($i, ...)" for ids.
func inList(a *sqlArgs, ids []string) string {
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = a.add(id)
	}
	return "IN (" + strings.Join(ph, ", ") + ")"
}

func (s *sqlStore) attachEdits(ctx context.Context, tenant, session string, ids []string, idx map[string]*queries.Message) error {
	if len(ids) == 0 {
		return nil
	}
	var a sqlArgs
	q := "SELECT message_id, ts, text FROM message_edits WHERE tenant = " + a.add(tenant) + " AND session = " +
		a.add(session) + " AND message_id " + inList(&a, ids) + " ORDER BY message_id, ts"
	texts := map[string][]EditRow{}
	err := s.read.query(ctx, q, a, func(r scanner) error {
		var e EditRow
		err := r.Scan(&e.MessageID, &e.TS, &e.Text)
		texts[e.MessageID] = append(texts[e.MessageID], e)
		return err
	})
	if err != nil {
		return fmt.Errorf("load edits: %w", err)
	}
	for id, edits := range texts {
		applyEdits(idx[id], edits)
	}
	return nil
}

// applyEdits sets the current text to the newest edit and lists the
// replaced versions, oldest first.
func applyEdits(m *queries.Message, edits []EditRow) {
	if m == nil || len(edits) == 0 {
		return
	}
	text := &m.Text
	if m.Type != events.TypeText && m.Text == "" {
		text = &m.Caption
	}
	prev := *text
	for _, e := range edits {
		m.Edits = append(m.Edits, queries.Edit{Text: prev, EditedAt: FromMicros(e.TS)})
		prev = e.Text
	}
	*text = prev
}

func (s *sqlStore) attachReactions(ctx context.Context, tenant, session string, ids []string, idx map[string]*queries.Message) error {
	if len(ids) == 0 {
		return nil
	}
	var a sqlArgs
	q := "SELECT message_id, sender, emoji, ts FROM reactions WHERE tenant = " + a.add(tenant) + " AND session = " +
		a.add(session) + " AND message_id " + inList(&a, ids) + " AND emoji <> '' ORDER BY ts, sender"
	err := s.read.query(ctx, q, a, func(r scanner) error {
		var id string
		var x queries.Reaction
		var ts int64
		if err := r.Scan(&id, &x.Sender, &x.Emoji, &ts); err != nil {
			return err
		}
		x.Timestamp = FromMicros(ts)
		if m := idx[id]; m != nil {
			m.Reactions = append(m.Reactions, x)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load reactions: %w", err)
	}
	return nil
}

func (s *sqlStore) attachVotes(ctx context.Context, tenant, session string, ids []string, idx map[string]*queries.Message) error {
	if len(ids) == 0 {
		return nil
	}
	var a sqlArgs
	q := "SELECT poll_id, sender, options, ts FROM poll_votes WHERE tenant = " + a.add(tenant) + " AND session = " +
		a.add(session) + " AND poll_id " + inList(&a, ids) + " ORDER BY ts, sender"
	err := s.read.query(ctx, q, a, func(r scanner) error {
		var id, options string
		var x queries.PollVote
		var ts int64
		if err := r.Scan(&id, &x.Sender, &options, &ts); err != nil {
			return err
		}
		if err := fastJSON.UnmarshalFromString(options, &x.Options); err != nil {
			return fmt.Errorf("decode vote of %s on %s: %w", x.Sender, id, err)
		}
		if x.Options == nil {
			x.Options = []string{}
		}
		x.Timestamp = FromMicros(ts)
		if m := idx[id]; m != nil {
			m.Votes = append(m.Votes, x)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load poll votes: %w", err)
	}
	return nil
}

func (s *sqlStore) attachStatuses(ctx context.Context, tenant, session string, ids []string, idx map[string]*queries.Message) error {
	var a sqlArgs
	q := "SELECT message_id, recipient, status, ts FROM message_statuses WHERE tenant = " + a.add(tenant) +
		" AND session = " + a.add(session) + " AND message_id " + inList(&a, ids) + " ORDER BY ts, status, recipient"
	err := s.read.query(ctx, q, a, func(r scanner) error {
		var id string
		var e queries.StatusEntry
		var rank int
		var ts int64
		if err := r.Scan(&id, &e.Recipient, &rank, &ts); err != nil {
			return err
		}
		e.Status, e.Timestamp = StatusName(rank), FromMicros(ts)
		if m := idx[id]; m != nil {
			m.Statuses = append(m.Statuses, e)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load statuses: %w", err)
	}
	return nil
}
