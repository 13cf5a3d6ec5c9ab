// Package storetest is the contract suite every history Store adapter
// passes: TestStore(t, newStore).
package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

const (
	alice = "491111@s.whatsapp.net"
	bob   = "492222@s.whatsapp.net"
	group = "12345-678@g.us"
)

// TestStore is the contract every Store adapter passes.
func TestStore(t *testing.T, newStore func(t *testing.T) store.Store) {
	cases := map[string]func(t *testing.T, s store.Store){
		"MessageRoundTrip":       testMessageRoundTrip,
		"StatusesNeverDowngrade": testStatusesNeverDowngrade,
		"OutOfOrder":             testOutOfOrder,
		"Idempotent":             testIdempotent,
		"Pagination":             testPagination,
		"TenantIsolation":        testTenantIsolation,
		"ChatFilters":            testChatFilters,
		"Deliveries":             testDeliveries,
		"Retention":              testRetention,
		"Errors":                 testErrors,
		"FailedAndMedia":         testFailedAndMedia,
		"Groups":                 testGroups,
		"ContactsAndChatState":   testContactsAndChatState,
		"PollVotes":              testPollVotes,
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newStore(t))
		})
	}
}

var scope = fixture.Scope{Tenant: "t1", Session: "s1"}

func apply(t *testing.T, s store.Store, evs ...events.Event) {
	t.Helper()
	var b store.Batch
	for _, ev := range evs {
		if err := ingest.AddEvent(&b, ev, ingest.Options{}); err != nil {
			t.Fatalf("add %s: %v", ev.Type, err)
		}
	}
	if err := s.Apply(testutil.Context(t), &b); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func message(t *testing.T, s store.Store, id string) queries.Message {
	t.Helper()
	m, err := s.Message(testutil.Context(t), queries.MessageRequest{Tenant: scope.Tenant, Session: scope.Session, ID: id})
	if err != nil {
		t.Fatalf("message %s: %v", id, err)
	}
	return m
}

func messages(t *testing.T, s store.Store, req queries.MessagesRequest) queries.Page[queries.Message] {
	t.Helper()
	req.Tenant, req.Session = scope.Tenant, scope.Session
	p, err := s.Messages(testutil.Context(t), req)
	if err != nil {
		t.Fatalf("messages: %v", err)
	}
	return p
}

func testMessageRoundTrip(t *testing.T, s store.Store) {
	ctx := testutil.Context(t)
	apply(t, s, scope.Received(alice, "m1", alice, "hello", fixture.At(1)),
		scope.Sent(alice, "m2", "hi back", fixture.At(2)))
	m := message(t, s, "m1")
	if m.Text != "hello" || m.Sender != alice || m.FromMe || m.Status != "received" || !m.Timestamp.Equal(fixture.At(1)) {
		t.Fatalf("m1 = %+v", m)
	}
	if m := message(t, s, "m2"); m.Status != "sent" || !m.FromMe || len(m.Statuses) != 1 || m.Statuses[0].Status != "sent" {
		t.Fatalf("m2 = %+v", m)
	}
	c, err := s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: alice})
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != "direct" || c.LastMessage == nil || c.LastMessage.ID != "m2" || c.UnreadCount != 1 ||
		c.LastMessageAt == nil || !c.LastMessageAt.Equal(fixture.At(2)) || c.Name != "Push "+alice {
		t.Fatalf("chat = %+v", c)
	}
	apply(t, s, scope.Receipt(events.MessageRead, alice, "me@s.whatsapp.net", fixture.At(3), "m1"))
	c, _ = s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: alice})
	if c.UnreadCount != 0 {
		t.Fatalf("unread after read receipt = %d", c.UnreadCount)
	}
	cs, err := s.Contacts(ctx, queries.ContactsRequest{Tenant: scope.Tenant, Session: scope.Session})
	if err != nil || len(cs.Items) != 1 || cs.Items[0].JID != alice || cs.Items[0].Phone != "491111" || cs.Items[0].PushName != "Push "+alice {
		t.Fatalf("contacts = %+v, %v", cs, err)
	}
}

func testStatusesNeverDowngrade(t *testing.T, s store.Store) {
	apply(t, s, scope.Sent(alice, "m1", "x", fixture.At(1)),
		scope.Receipt(events.MessageRead, alice, alice, fixture.At(3), "m1"))
	apply(t, s, scope.Receipt(events.MessageDelivered, alice, alice, fixture.At(2), "m1"))
	m := message(t, s, "m1")
	if m.Status != "read" {
		t.Fatalf("status = %s, want read", m.Status)
	}
	want := []string{"sent", "delivered", "read"}
	if len(m.Statuses) != len(want) {
		t.Fatalf("timeline = %+v", m.Statuses)
	}
	for i, st := range m.Statuses {
		if st.Status != want[i] {
			t.Fatalf("timeline[%d] = %s, want %s", i, st.Status, want[i])
		}
	}
	apply(t, s, scope.Receipt(events.MessagePlayed, alice, alice, fixture.At(4), "m1"))
	if m := message(t, s, "m1"); m.Status != "played" {
		t.Fatalf("status = %s, want played", m.Status)
	}
}

func testOutOfOrder(t *testing.T, s store.Store) {
	// Everything about g1 arrives before g1 itself, across batches.
	apply(t, s, scope.Receipt(events.MessageDelivered, group, alice, fixture.At(2), "g1"))
	apply(t, s, scope.Edited(group, "g1", "second", fixture.At(5)), scope.Reaction(group, "g1", bob, "👍", fixture.At(3)))
	apply(t, s, scope.Edited(group, "g1", "first", fixture.At(4)), scope.Receipt(events.MessageRead, group, bob, fixture.At(6), "g1"))
	if _, err := s.Message(testutil.Context(t), queries.MessageRequest{Tenant: scope.Tenant, Session: scope.Session, ID: "g1"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("stub visible before its message: %v", err)
	}
	apply(t, s, scope.Sent(group, "g1", "original", fixture.At(1)))
	m := message(t, s, "g1")
	if m.Text != "second" || m.Status != "read" || len(m.Reactions) != 1 || m.Reactions[0].Emoji != "👍" {
		t.Fatalf("g1 = %+v", m)
	}
	if len(m.Edits) != 2 || m.Edits[0].Text != "original" || m.Edits[1].Text != "first" || !m.Edits[1].EditedAt.Equal(fixture.At(5)) {
		t.Fatalf("edits = %+v", m.Edits)
	}
	recipients := map[string]bool{}
	for _, st := range m.Statuses {
		recipients[st.Recipient+"/"+st.Status] = true
	}
	if !recipients[alice+"/delivered"] || !recipients[bob+"/read"] {
		t.Fatalf("per-recipient timeline = %+v", m.Statuses)
	}
	c, err := s.Chat(testutil.Context(t), queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: group})
	if err != nil || c.Type != "group" || c.LastMessage == nil || c.LastMessage.ID != "g1" {
		t.Fatalf("group chat = %+v, %v", c, err)
	}
	// A reaction removed later, and an older reaction arriving last, leave the newest.
	apply(t, s, scope.Reaction(group, "g1", bob, "", fixture.At(9)), scope.Revoked(group, "g1", fixture.At(10)))
	apply(t, s, scope.Reaction(group, "g1", bob, "😂", fixture.At(7)))
	if m := message(t, s, "g1"); len(m.Reactions) != 0 || !m.Revoked {
		t.Fatalf("after removal+revoke = %+v", m)
	}
}

// testPollVotes: a poll lists each voter's newest selection, whether votes
// came before the poll, twice, or out of order; a withdrawn vote stays as
// an empty selection; other messages carry no votes.
func testPollVotes(t *testing.T, s store.Store) {
	apply(t, s, scope.Vote(group, "p1", alice, fixture.At(3), "Tea"))
	apply(t, s, scope.Poll(group, "p1", bob, "Tea or coffee?", fixture.At(1), "Tea", "Coffee"),
		scope.Received(group, "t1", bob, "not a poll", fixture.At(2)))
	apply(t, s, scope.Vote(group, "p1", bob, fixture.At(5), "Coffee"), scope.Vote(group, "p1", alice, fixture.At(6)))
	apply(t, s, scope.Vote(group, "p1", alice, fixture.At(4), "Coffee"), scope.Vote(group, "p1", bob, fixture.At(5), "Coffee"))
	m := message(t, s, "p1")
	if m.Poll == nil || len(m.Votes) != 2 {
		t.Fatalf("p1 = %+v", m)
	}
	got := map[string][]string{}
	for _, v := range m.Votes {
		got[v.Sender] = v.Options
	}
	if !slices.Equal(got[bob], []string{"Coffee"}) || got[alice] == nil || len(got[alice]) != 0 {
		t.Errorf("votes = %+v, want bob: [Coffee], alice: [] (withdrawn at 6)", m.Votes)
	}
	page := messages(t, s, queries.MessagesRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: group})
	for _, pm := range page.Items {
		if pm.ID == "p1" && len(pm.Votes) != 2 || pm.ID == "t1" && len(pm.Votes) != 0 {
			t.Errorf("listed %s with votes %+v", pm.ID, pm.Votes)
		}
	}
	other := fixture.Scope{Tenant: "t2", Session: "s1"}
	if _, err := s.Message(testutil.Context(t), queries.MessageRequest{Tenant: other.Tenant, Session: other.Session, ID: "p1"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another tenant reads p1: %v", err)
	}
}

func testIdempotent(t *testing.T, s store.Store) {
	evs := []events.Event{
		scope.Received(alice, "m1", alice, "a", fixture.At(1)),
		scope.Sent(alice, "m2", "b", fixture.At(2)),
		scope.Receipt(events.MessageDelivered, alice, alice, fixture.At(3), "m2"),
		scope.Edited(alice, "m2", "b2", fixture.At(4)),
		scope.Reaction(alice, "m1", alice, "❤", fixture.At(5)),
	}
	apply(t, s, append(evs, evs...)...)
	apply(t, s, evs...)
	p := messages(t, s, queries.MessagesRequest{Chat: alice})
	if len(p.Items) != 2 {
		t.Fatalf("messages = %d, want 2", len(p.Items))
	}
	m := message(t, s, "m2")
	if len(m.Statuses) != 2 || len(m.Edits) != 1 || m.Text != "b2" {
		t.Fatalf("m2 after duplicates = %+v", m)
	}
	if m := message(t, s, "m1"); len(m.Reactions) != 1 {
		t.Fatalf("m1 reactions = %+v", m.Reactions)
	}
}

func testPagination(t *testing.T, s store.Store) {
	var evs []events.Event
	for i := range 7 {
		evs = append(evs, scope.Received(alice, "p"+string(rune('a'+i)), alice, "x", fixture.At(10+i/2)))
	}
	apply(t, s, evs...)
	var got []string
	cur := ""
	for range 4 {
		p := messages(t, s, queries.MessagesRequest{Chat: alice, Limit: 3, Cursor: cur})
		for _, m := range p.Items {
			got = append(got, m.ID)
		}
		if cur = p.NextCursor; cur == "" {
			break
		}
	}
	want := []string{"pg", "pf", "pe", "pd", "pc", "pb", "pa"}
	if len(got) != len(want) {
		t.Fatalf("pages = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pages = %v, want %v", got, want)
		}
	}
	before, after := fixture.At(12), fixture.At(10)
	p := messages(t, s, queries.MessagesRequest{Chat: alice, Before: &before, After: &after})
	if len(p.Items) != 2 || p.Items[0].ID != "pd" || p.Items[1].ID != "pc" {
		t.Fatalf("before/after = %+v", p.Items)
	}
}

func testTenantIsolation(t *testing.T, s store.Store) {
	ctx := testutil.Context(t)
	other := fixture.Scope{Tenant: "t2", Session: scope.Session}
	apply(t, s, other.Received(alice, "secret", alice, "tenant two only", fixture.At(1)),
		other.Delivery(events.WebhookSucceeded, "w1", "d1", 1, fixture.At(1)))
	req := queries.ChatsRequest{Tenant: scope.Tenant, Session: scope.Session}
	if p, err := s.Chats(ctx, req); err != nil || len(p.Items) != 0 {
		t.Fatalf("chats of t1 = %+v, %v", p, err)
	}
	if p := messages(t, s, queries.MessagesRequest{Chat: alice}); len(p.Items) != 0 {
		t.Fatalf("messages of t1 = %+v", p)
	}
	if _, err := s.Message(ctx, queries.MessageRequest{Tenant: scope.Tenant, Session: scope.Session, ID: "secret"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("message of t2 seen by t1: %v", err)
	}
	if _, err := s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: alice}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("chat of t2 seen by t1: %v", err)
	}
	if p, err := s.Contacts(ctx, queries.ContactsRequest{Tenant: scope.Tenant, Session: scope.Session}); err != nil || len(p.Items) != 0 {
		t.Fatalf("contacts of t1 = %+v, %v", p, err)
	}
	if p, err := s.Deliveries(ctx, queries.DeliveriesRequest{Tenant: scope.Tenant, Webhook: "w1"}); err != nil || len(p.Items) != 0 {
		t.Fatalf("deliveries of t1 = %+v, %v", p, err)
	}
	if p, err := s.Chats(ctx, queries.ChatsRequest{Tenant: "t2", Session: scope.Session}); err != nil || len(p.Items) != 1 {
		t.Fatalf("chats of t2 = %+v, %v", p, err)
	}
}

func testChatFilters(t *testing.T, s store.Store) {
	ctx := testutil.Context(t)
	apply(t, s, scope.Received(alice, "a1", alice, "x", fixture.At(1)),
		scope.Sent(bob, "b1", "x", fixture.At(2)),
		scope.Received(group, "g1", bob, "x", fixture.At(3)))
	list := func(req queries.ChatsRequest) []string {
		t.Helper()
		req.Tenant, req.Session = scope.Tenant, scope.Session
		p, err := s.Chats(ctx, req)
		if err != nil {
			t.Fatalf("chats %+v: %v", req, err)
		}
		var out []string
		for _, c := range p.Items {
			out = append(out, c.JID)
		}
		return out
	}
	cases := []struct {
		name string
		req  queries.ChatsRequest
		want []string
	}{
		{"all newest first", queries.ChatsRequest{}, []string{group, bob, alice}},
		{"groups", queries.ChatsRequest{Type: "group"}, []string{group}},
		{"direct", queries.ChatsRequest{Type: "direct"}, []string{bob, alice}},
		{"unread", queries.ChatsRequest{Unread: true}, []string{group, alice}},
		{"search jid", queries.ChatsRequest{Search: "2222"}, []string{bob}},
		{"search name", queries.ChatsRequest{Search: "PUSH 4911"}, []string{alice}},
		{"search wildcard is literal", queries.ChatsRequest{Search: "%"}, nil},
		{"limit", queries.ChatsRequest{Limit: 1}, []string{group}},
	}
	for _, tc := range cases {
		got := list(tc.req)
		if len(got) != len(tc.want) {
			t.Fatalf("%s: got %v, want %v", tc.name, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

func testDeliveries(t *testing.T, s store.Store) {
	apply(t, s, scope.Delivery(events.WebhookAttemptFailed, "w1", "d1", 1, fixture.At(1)),
		scope.Delivery(events.WebhookSucceeded, "w1", "d1", 2, fixture.At(2)),
		scope.Delivery(events.WebhookFailed, "w2", "d2", 5, fixture.At(3)))
	p, err := s.Deliveries(testutil.Context(t), queries.DeliveriesRequest{Tenant: scope.Tenant, Webhook: "w1", Limit: 1})
	if err != nil || len(p.Items) != 1 || p.Items[0].Outcome != "succeeded" || p.Items[0].Attempt != 2 || p.NextCursor == "" {
		t.Fatalf("page 1 = %+v, %v", p, err)
	}
	p, err = s.Deliveries(testutil.Context(t), queries.DeliveriesRequest{Tenant: scope.Tenant, Webhook: "w1", Cursor: p.NextCursor})
	if err != nil || len(p.Items) != 1 || p.Items[0].Outcome != "attempt_failed" || p.NextCursor != "" {
		t.Fatalf("page 2 = %+v, %v", p, err)
	}
}

func testRetention(t *testing.T, s store.Store) {
	ctx := testutil.Context(t)
	other := fixture.Scope{Tenant: "t2", Session: scope.Session}
	var evs []events.Event
	for i := range 5 {
		evs = append(evs, scope.Received(alice, "old"+string(rune('a'+i)), alice, "x", fixture.At(i)))
	}
	evs = append(evs, scope.Received(alice, "new", alice, "x", fixture.At(100)),
		other.Received(alice, "keep", alice, "x", fixture.At(0)))
	apply(t, s, evs...)
	var total int64
	for {
		n, err := s.DeleteBefore(ctx, scope.Tenant, fixture.At(50), 2)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		total += n
	}
	if total < 5 {
		t.Fatalf("deleted %d rows, want at least 5 messages", total)
	}
	if p := messages(t, s, queries.MessagesRequest{Chat: alice}); len(p.Items) != 1 || p.Items[0].ID != "new" {
		t.Fatalf("after retention = %+v", p.Items)
	}
	p, err := s.Messages(ctx, queries.MessagesRequest{Tenant: "t2", Session: scope.Session, Chat: alice})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("other tenant after retention = %+v, %v", p, err)
	}
	tenants, err := s.Tenants(ctx)
	if err != nil || len(tenants) != 2 {
		t.Fatalf("tenants = %v, %v", tenants, err)
	}
}

func testErrors(t *testing.T, s store.Store) {
	ctx := testutil.Context(t)
	_, err := s.Messages(ctx, queries.MessagesRequest{Tenant: "t1", Session: "s1", Chat: alice, Cursor: "!!"})
	if !errors.Is(err, store.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	_, err = s.Chats(ctx, queries.ChatsRequest{Tenant: "t1", Session: "s1", Cursor: "e30"})
	if !errors.Is(err, store.ErrBadCursor) {
		t.Fatalf("empty cursor object: %v", err)
	}
	if _, err := s.Chat(ctx, queries.ChatRequest{Tenant: "t1", Session: "s1", Chat: bob}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown chat: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := s.Apply(ctx, &store.Batch{}); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
}

func testFailedAndMedia(t *testing.T, s store.Store) {
	img := scope.Event(events.MessageReceived, fixture.At(1), alice, events.MessageData{ID: "i1", Chat: alice, Sender: alice,
		Timestamp: fixture.At(1), Type: events.TypeImage, Caption: "cap", Media: &events.Media{Mimetype: "image/jpeg", Size: 3}}, "i1")
	apply(t, s, scope.MediaStored(alice, "i1", "med1", fixture.At(2)), img, scope.Edited(alice, "i1", "cap2", fixture.At(3)))
	m := message(t, s, "i1")
	if m.Media == nil || m.Media.MediaID != "med1" || m.Caption != "cap2" || m.Edits[0].Text != "cap" {
		t.Fatalf("image = %+v", m)
	}
	apply(t, s, scope.Failed(alice, "f1", fixture.At(4)))
	if _, err := s.Message(testutil.Context(t), queries.MessageRequest{Tenant: "t1", Session: "s1", ID: "f1"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("failed message without content: %v", err)
	}
	apply(t, s, scope.Sent(alice, "f2", "x", fixture.At(5)), scope.Failed(alice, "f2", fixture.At(6)))
	if m := message(t, s, "f2"); m.Status != "sent" || m.Error == "" {
		t.Fatalf("failed after sent = %+v", m)
	}
	// A send that never reached WhatsApp is listed with what it was to send.
	apply(t, s, scope.FailedSend(bob, "f3", "are you there?", fixture.At(7)))
	m = message(t, s, "f3")
	if m.Status != "failed" || m.Text != "are you there?" || !m.FromMe || m.Chat != bob || !strings.Contains(m.Error, "not on WhatsApp") {
		t.Fatalf("failed send = %+v", m)
	}
	page := messages(t, s, queries.MessagesRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: bob})
	if len(page.Items) != 1 || page.Items[0].ID != "f3" {
		t.Fatalf("chat with the failed send lists %+v", page.Items)
	}
	if c, err := s.Chat(testutil.Context(t), queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: bob}); err != nil || c.LastMessage == nil || c.LastMessage.ID != "f3" {
		t.Fatalf("chat = %+v, %v", c, err)
	}
	// The message itself, arriving after its failure record (in another
	// batch, or the same), replaces what the failure said it was.
	apply(t, s, scope.FailedSend(bob, "f4", "draft", fixture.At(8)))
	apply(t, s, scope.Sent(bob, "f4", "as sent", fixture.At(9)))
	apply(t, s, scope.FailedSend(bob, "f5", "draft", fixture.At(10)), scope.Sent(bob, "f5", "as sent", fixture.At(11)))
	for _, id := range []string{"f4", "f5"} {
		if m := message(t, s, id); m.Text != "as sent" || m.Status != "sent" || m.Sender == "" {
			t.Errorf("%s after failure then message.sent = %+v", id, m)
		}
	}
}

func testGroups(t *testing.T, s store.Store) {
	ctx := testutil.Context(t)
	carol := "493333@s.whatsapp.net"
	// Out of order: the removal of bob and carol's promotion arrive before
	// the snapshot that still lists bob; the rename before the snapshot.
	apply(t, s, scope.GroupParticipants(group, events.GroupActionRemove, fixture.At(5), bob),
		scope.GroupSubject(group, "renamed", fixture.At(6)))
	apply(t, s, scope.GroupParticipants(group, events.GroupActionPromote, fixture.At(4), carol))
	apply(t, s, scope.GroupJoined(group, "first name", fixture.At(1), []string{alice, bob, carol}, alice))
	apply(t, s, scope.GroupParticipants(group, events.GroupActionDemote, fixture.At(7), alice))
	p, err := s.Groups(ctx, queries.GroupsRequest{Tenant: scope.Tenant, Session: scope.Session})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("groups = %+v, %v", p, err)
	}
	g := p.Items[0]
	if g.Subject != "renamed" || strings.Join(g.Participants, ",") != alice+","+carol || strings.Join(g.Admins, ",") != carol {
		t.Fatalf("group = %+v", g)
	}
	c, err := s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: group})
	if err != nil || c.Type != "group" || c.Name != "renamed" {
		t.Fatalf("group chat = %+v, %v", c, err)
	}
	other, err := s.Groups(ctx, queries.GroupsRequest{Tenant: "t2", Session: scope.Session})
	if err != nil || len(other.Items) != 0 {
		t.Fatalf("groups of t2 = %+v, %v", other, err)
	}
}

func testContactsAndChatState(t *testing.T, s store.Store) {
	ctx := testutil.Context(t)
	apply(t, s, scope.Received(alice, "m1", alice, "x", fixture.At(1)), scope.Received(alice, "m2", alice, "y", fixture.At(2)),
		scope.ContactUpdated(alice, "777@lid", "Alice Smith", "", fixture.At(3)))
	yes, no := true, false
	later := time.Now().Add(time.Hour)
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: alice, Archived: &yes, Pinned: &yes, MutedUntil: &later, Timestamp: fixture.At(5)}))
	// An older update arriving late changes nothing; a read mark from
	// another device covers both messages.
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: alice, Archived: &no, Timestamp: fixture.At(4)}),
		scope.ChatUpdated(events.ChatUpdatedData{Chat: alice, MarkedRead: &yes, Timestamp: fixture.At(6)}))
	c, err := s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: alice})
	if err != nil || !c.Archived || !c.Pinned || !c.Muted || c.UnreadCount != 0 || c.Name != "Alice Smith" {
		t.Fatalf("chat = %+v, %v", c, err)
	}
	ended := fixture.At(8)
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: alice, Archived: &no, Timestamp: fixture.At(7)}))
	if c, _ := s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: alice}); c.Archived || !c.Pinned || !c.Muted {
		t.Fatalf("after unarchive = %+v", c)
	}
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: alice, MutedUntil: &ended, Timestamp: fixture.At(7)}))
	if c, _ := s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: alice}); c.Muted {
		t.Fatalf("mute that ended = %+v", c)
	}
	p, err := s.Contacts(ctx, queries.ContactsRequest{Tenant: scope.Tenant, Session: scope.Session, Search: "smith"})
	if err != nil || len(p.Items) != 1 || p.Items[0].LID != "777@lid" || p.Items[0].PushName != "Push "+alice {
		t.Fatalf("contacts = %+v, %v", p, err)
	}
	// A read mark that is stored before the messages it covers (history
	// sync, or batches committing out of order) still covers them; a
	// message after it is unread.
	carol := "493333@s.whatsapp.net"
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: carol, MarkedRead: &yes, Timestamp: fixture.At(20)}))
	apply(t, s, scope.Received(carol, "c1", carol, "old", fixture.At(18)), scope.Received(carol, "c2", carol, "older", fixture.At(19)))
	apply(t, s, scope.Received(carol, "c3", carol, "new", fixture.At(21)))
	if c, err := s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: carol}); err != nil || c.UnreadCount != 1 {
		t.Fatalf("carol's chat = %+v, %v; want 1 unread (the message after the mark)", c, err)
	}
	unread, err := s.Chats(ctx, queries.ChatsRequest{Tenant: scope.Tenant, Session: scope.Session, Unread: true})
	if err != nil || len(unread.Items) != 1 || unread.Items[0].JID != carol {
		t.Fatalf("unread chats = %+v, %v", unread.Items, err)
	}
	// Cleared and deleted on the phone: the times are kept (newest wins),
	// the messages too.
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: carol, Cleared: true, Timestamp: fixture.At(30)}),
		scope.ChatUpdated(events.ChatUpdatedData{Chat: carol, Deleted: true, Timestamp: fixture.At(31)}))
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: carol, Cleared: true, Timestamp: fixture.At(25)}))
	c, err = s.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: carol})
	if err != nil || c.ClearedAt == nil || !c.ClearedAt.Equal(fixture.At(30)) || c.DeletedAt == nil || !c.DeletedAt.Equal(fixture.At(31)) {
		t.Fatalf("cleared/deleted chat = %+v, %v", c, err)
	}
	if page := messages(t, s, queries.MessagesRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: carol}); len(page.Items) != 3 {
		t.Fatalf("messages of the cleared chat = %d, want all 3 kept", len(page.Items))
	}
	// "Mark as unread" puts a read chat among the unread ones until it is
	// marked read again; an older mark arriving late changes nothing.
	unreadChats := func() map[string]bool {
		p, err := s.Chats(ctx, queries.ChatsRequest{Tenant: scope.Tenant, Session: scope.Session, Unread: true})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, c := range p.Items {
			out[c.JID] = c.MarkedUnread
		}
		return out
	}
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: alice, MarkedRead: &no, Timestamp: fixture.At(40)}))
	if u := unreadChats(); len(u) != 2 || !u[alice] {
		t.Fatalf("unread chats after marking alice unread = %v", u)
	}
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: alice, MarkedRead: &yes, Timestamp: fixture.At(41)}))
	apply(t, s, scope.ChatUpdated(events.ChatUpdatedData{Chat: alice, MarkedRead: &no, Timestamp: fixture.At(39)}))
	if u := unreadChats(); len(u) != 1 || u[carol] {
		t.Fatalf("unread chats after marking alice read = %v, want only carol (not marked)", u)
	}
}
