package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/queries"
)

const chatName = "COALESCE(NULLIF(c.name, ''), g.subject, NULLIF(ct.name, ''), NULLIF(ct.push_name, ''), '')"

const chatSelect = `SELECT c.jid, c.type, ` + chatName + `, m.data, c.last_ts,
	COALESCE(c.archived, false), COALESCE(c.pinned, false), COALESCE(c.muted, false), c.muted_until, c.cleared_ts, c.deleted_ts, COALESCE(c.marked_unread, false),
	(SELECT count(*) FROM messages u WHERE u.tenant = c.tenant AND u.session = c.session AND u.chat = c.jid
		AND NOT u.from_me AND u.status < 5 AND u.data IS NOT NULL AND u.ts > c.read_ts)
FROM chats c
LEFT JOIN messages m ON m.tenant = c.tenant AND m.session = c.session AND m.id = c.last_id
LEFT JOIN wa_groups g ON g.tenant = c.tenant AND g.session = c.session AND g.jid = c.jid
LEFT JOIN contacts ct ON ct.tenant = c.tenant AND ct.session = c.session AND ct.jid = c.jid
`

const unreadExists = `EXISTS (SELECT 1 FROM messages u WHERE u.tenant = c.tenant AND u.session = c.session
	AND u.chat = c.jid AND NOT u.from_me AND u.status < 5 AND u.data IS NOT NULL AND u.ts > c.read_ts)`

// chats lists chats, most recent first.
func (s *sqlStore) Chats(ctx context.Context, req queries.ChatsRequest) (queries.Page[queries.Chat], error) {
	cur, hasCur, err := decodeCursor(req.Cursor)
	if err != nil {
		return queries.Page[queries.Chat]{}, err
	}
	var a sqlArgs
	where := "WHERE c.tenant = " + a.add(req.Tenant) + " AND c.session = " + a.add(req.Session)
	if req.Type != "" {
		where += " AND c.type = " + a.add(req.Type)
	}
	if req.Unread {
		where += " AND (" + unreadExists + " OR COALESCE(c.marked_unread, false))"
	}
	if req.Search != "" {
		p := a.add(likePattern(req.Search))
		where += " AND (lower(c.jid) LIKE " + p + ` ESCAPE '\' OR lower(` + chatName + ") LIKE " + p + ` ESCAPE '\')`
	}
	if hasCur {
		t, k := a.add(cur.T), a.add(cur.K)
		where += " AND (c.last_ts < " + t + " OR (c.last_ts = " + t + " AND c.jid < " + k + "))"
	}
	n := limit(req.Limit)
	q := chatSelect + where + " ORDER BY c.last_ts DESC, c.jid DESC LIMIT " + a.add(n+1)
	var page queries.Page[queries.Chat]
	var lastTS []int64
	err = s.read.query(ctx, q, a, func(r scanner) error {
		c, ts, err := scanChat(r)
		page.Items = append(page.Items, c)
		lastTS = append(lastTS, ts)
		return err
	})
	if err != nil {
		return page, fmt.Errorf("list chats: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = cursor{T: lastTS[n-1], K: page.Items[n-1].JID}.encode()
	}
	if page.Items == nil {
		page.Items = []queries.Chat{}
	}
	return page, nil
}

// Chat returns one chat.
func (s *sqlStore) Chat(ctx context.Context, req queries.ChatRequest) (queries.Chat, error) {
	var a sqlArgs
	q := chatSelect + "WHERE c.tenant = " + a.add(req.Tenant) + " AND c.session = " + a.add(req.Session) +
		" AND c.jid = " + a.add(req.Chat)
	var out *queries.Chat
	err := s.read.query(ctx, q, a, func(r scanner) error {
		c, _, err := scanChat(r)
		out = &c
		return err
	})
	if err != nil {
		return queries.Chat{}, fmt.Errorf("get chat: %w", err)
	}
	if out == nil {
		return queries.Chat{}, fmt.Errorf("chat %s: %w", req.Chat, ErrNotFound)
	}
	return *out, nil
}

func scanChat(r scanner) (queries.Chat, int64, error) {
	var c queries.Chat
	var data *string
	var ts, mutedUntil, cleared, deleted int64
	if err := r.Scan(&c.JID, &c.Type, &c.Name, &data, &ts, &c.Archived, &c.Pinned, &c.Muted, &mutedUntil, &cleared, &deleted, &c.MarkedUnread, &c.UnreadCount); err != nil {
		return c, 0, err
	}
	if cleared > 0 {
		t := FromMicros(cleared)
		c.ClearedAt = &t
	}
	if deleted > 0 {
		t := FromMicros(deleted)
		c.DeletedAt = &t
	}
	if c.Muted && mutedUntil > 0 && mutedUntil <= Micros(time.Now()) {
		c.Muted = false // the mute has ended
	}
	if data != nil {
		var m events.MessageData
		if err := json.Unmarshal([]byte(*data), &m); err != nil {
			return c, 0, fmt.Errorf("decode last message: %w", err)
		}
		c.LastMessage = &m
	}
	if ts > 0 {
		t := FromMicros(ts)
		c.LastMessageAt = &t
	}
	return c, ts, nil
}
