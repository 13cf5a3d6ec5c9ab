package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wamesh/wamesh/pkg/queries"
)

// Contacts lists contacts by JID.
func (s *sqlStore) Contacts(ctx context.Context, req queries.ContactsRequest) (queries.Page[queries.Contact], error) {
	var page queries.Page[queries.Contact]
	cur, hasCur, err := decodeCursor(req.Cursor)
	if err != nil {
		return page, err
	}
	var a sqlArgs
	q := "SELECT jid, lid, phone, name, push_name, business_name FROM contacts WHERE tenant = " + a.add(req.Tenant) +
		" AND session = " + a.add(req.Session)
	if req.Search != "" {
		p := a.add(likePattern(req.Search))
		q += " AND (lower(jid) LIKE " + p + ` ESCAPE '\' OR lower(lid) LIKE ` + p + ` ESCAPE '\' OR phone LIKE ` + p +
			` ESCAPE '\' OR lower(name) LIKE ` + p + ` ESCAPE '\' OR lower(push_name) LIKE ` + p +
			` ESCAPE '\' OR lower(business_name) LIKE ` + p + ` ESCAPE '\')`
	}
	if hasCur {
		q += " AND jid > " + a.add(cur.K)
	}
	n := limit(req.Limit)
	q += " ORDER BY jid LIMIT " + a.add(n+1)
	err = s.read.query(ctx, q, a, func(r scanner) error {
		var c queries.Contact
		err := r.Scan(&c.JID, &c.LID, &c.Phone, &c.Name, &c.PushName, &c.BusinessName)
		page.Items = append(page.Items, c)
		return err
	})
	if err != nil {
		return page, fmt.Errorf("list contacts: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = cursor{K: page.Items[n-1].JID}.encode()
	}
	if page.Items == nil {
		page.Items = []queries.Contact{}
	}
	return page, nil
}

// Groups lists groups by JID.
func (s *sqlStore) Groups(ctx context.Context, req queries.GroupsRequest) (queries.Page[queries.Group], error) {
	var page queries.Page[queries.Group]
	cur, hasCur, err := decodeCursor(req.Cursor)
	if err != nil {
		return page, err
	}
	var a sqlArgs
	q := "SELECT jid, COALESCE(subject, '') FROM wa_groups WHERE tenant = " + a.add(req.Tenant) + " AND session = " + a.add(req.Session)
	if hasCur {
		q += " AND jid > " + a.add(cur.K)
	}
	n := limit(req.Limit)
	q += " ORDER BY jid LIMIT " + a.add(n+1)
	err = s.read.query(ctx, q, a, func(r scanner) error {
		g := queries.Group{Participants: []string{}, Admins: []string{}}
		err := r.Scan(&g.JID, &g.Subject)
		page.Items = append(page.Items, g)
		return err
	})
	if err != nil {
		return page, fmt.Errorf("list groups: %w", err)
	}
	if err := s.attachMembers(ctx, req.Tenant, req.Session, page.Items); err != nil {
		return page, err
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = cursor{K: page.Items[n-1].JID}.encode()
	}
	if page.Items == nil {
		page.Items = []queries.Group{}
	}
	return page, nil
}

// attachMembers fills participants and admins of groups.
func (s *sqlStore) attachMembers(ctx context.Context, tenant, session string, groups []queries.Group) error {
	if len(groups) == 0 {
		return nil
	}
	idx := make(map[string]*queries.Group, len(groups))
	jids := make([]string, len(groups))
	for i := range groups {
		idx[groups[i].JID], jids[i] = &groups[i], groups[i].JID
	}
	var a sqlArgs
	q := "SELECT group_jid, jid, COALESCE(admin, false) FROM group_members WHERE tenant = " + a.add(tenant) +
		" AND session = " + a.add(session) + " AND group_jid " + inList(&a, jids) + " AND member ORDER BY group_jid, jid"
	err := s.read.query(ctx, q, a, func(r scanner) error {
		var group, jid string
		var admin bool
		if err := r.Scan(&group, &jid, &admin); err != nil {
			return err
		}
		if g := idx[group]; g != nil {
			g.Participants = append(g.Participants, jid)
			if admin {
				g.Admins = append(g.Admins, jid)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load group members: %w", err)
	}
	return nil
}

// Deliveries lists a webhook's delivery attempts, newest first.
func (s *sqlStore) Deliveries(ctx context.Context, req queries.DeliveriesRequest) (queries.Page[queries.DeliveryAttempt], error) {
	var page queries.Page[queries.DeliveryAttempt]
	cur, hasCur, err := decodeCursor(req.Cursor)
	if err != nil {
		return page, err
	}
	var a sqlArgs
	q := "SELECT event_id, outcome, ts, data FROM deliveries WHERE tenant = " + a.add(req.Tenant) +
		" AND webhook = " + a.add(req.Webhook)
	if hasCur {
		t, k := a.add(cur.T), a.add(cur.K)
		q += " AND (ts < " + t + " OR (ts = " + t + " AND event_id < " + k + "))"
	}
	n := limit(req.Limit)
	q += " ORDER BY ts DESC, event_id DESC LIMIT " + a.add(n+1)
	var keys []cursor
	err = s.read.query(ctx, q, a, func(r scanner) error {
		var d queries.DeliveryAttempt
		var id, data string
		var ts int64
		if err := r.Scan(&id, &d.Outcome, &ts, &data); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(data), &d.WebhookDeliveryData); err != nil {
			return fmt.Errorf("decode delivery %s: %w", id, err)
		}
		d.Time = FromMicros(ts)
		page.Items = append(page.Items, d)
		keys = append(keys, cursor{T: ts, K: id})
		return nil
	})
	if err != nil {
		return page, fmt.Errorf("list deliveries: %w", err)
	}
	if len(page.Items) > n {
		page.Items = page.Items[:n]
		page.NextCursor = keys[n-1].encode()
	}
	if page.Items == nil {
		page.Items = []queries.DeliveryAttempt{}
	}
	return page, nil
}

// Tenants lists tenants with stored rows.
func (s *sqlStore) Tenants(ctx context.Context) ([]string, error) {
	q := "SELECT tenant FROM chats UNION SELECT tenant FROM deliveries UNION SELECT tenant FROM events ORDER BY 1"
	var out []string
	err := s.read.query(ctx, q, nil, func(r scanner) error {
		var t string
		err := r.Scan(&t)
		out = append(out, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	return out, nil
}

// retentionTables are the tables DeleteBefore trims by their ts column.
var retentionTables = []string{"events", "messages", "message_statuses", "message_edits", "reactions", "poll_votes", "deliveries"}

// DeleteBefore deletes up to limit old rows per table of one tenant.
func (s *sqlStore) DeleteBefore(ctx context.Context, tenant string, cutoff time.Time, limit int) (int64, error) {
	var total int64
	for _, table := range retentionTables {
		n, err := s.read.exec(ctx, s.deleteSQL(table), tenant, Micros(cutoff), limit)
		if err != nil {
			return total, fmt.Errorf("trim %s: %w", table, err)
		}
		total += n
	}
	return total, nil
}

// Ping checks the database.
func (s *sqlStore) Ping(ctx context.Context) error { return s.ping(ctx) }

// Close releases the database.
func (s *sqlStore) Close() error { return s.close() }
