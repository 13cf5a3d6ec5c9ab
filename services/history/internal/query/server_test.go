package query_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/query"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

const alice = "491111@s.whatsapp.net"

var (
	t1 = fixture.Scope{Tenant: "t1", Session: "s1"}
	t2 = fixture.Scope{Tenant: "t2", Session: "s1"}
)

// serve starts the query service over a SQLite store holding evs.
func serve(t *testing.T, evs ...events.Event) *nats.Conn {
	t.Helper()
	ctx := testutil.Context(t)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var b store.Batch
	for _, ev := range evs {
		if err := ingest.AddEvent(&b, ev, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	_, nc := testutil.NATS(t)
	svc, err := query.Start(nc, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	return nc
}

func call[T any](t *testing.T, nc *nats.Conn, op string, req any) (T, error) {
	t.Helper()
	var out T
	err := queries.Call(testutil.Context(t), nc, queries.ServiceHistory, op, req, &out)
	return out, err
}

func TestQueries(t *testing.T) {
	t.Parallel()
	nc := serve(t,
		t1.Received(alice, "m1", alice, "hello", fixture.At(1)),
		t1.Sent(alice, "m2", "hi", fixture.At(2)),
		t1.Receipt(events.MessageRead, alice, alice, fixture.At(3), "m2"),
		t1.Delivery(events.WebhookSucceeded, "w1", "d1", 1, fixture.At(4)),
		t2.Received(alice, "x1", alice, "other tenant", fixture.At(1)),
		t2.Delivery(events.WebhookSucceeded, "w1", "d9", 1, fixture.At(4)),
	)
	chats, err := call[queries.Page[queries.Chat]](t, nc, queries.OpChats, queries.ChatsRequest{Tenant: "t1", Session: "s1"})
	if err != nil || len(chats.Items) != 1 || chats.Items[0].LastMessage.ID != "m2" {
		t.Fatalf("chats = %+v, %v", chats, err)
	}
	chat, err := call[queries.Chat](t, nc, queries.OpChat, queries.ChatRequest{Tenant: "t1", Session: "s1", Chat: alice})
	if err != nil || chat.UnreadCount != 1 {
		t.Fatalf("chat = %+v, %v", chat, err)
	}
	msgs, err := call[queries.Page[queries.Message]](t, nc, queries.OpMessages, queries.MessagesRequest{Tenant: "t1", Session: "s1", Chat: alice, Limit: 1})
	if err != nil || len(msgs.Items) != 1 || msgs.Items[0].ID != "m2" || msgs.NextCursor == "" {
		t.Fatalf("messages = %+v, %v", msgs, err)
	}
	msgs, err = call[queries.Page[queries.Message]](t, nc, queries.OpMessages, queries.MessagesRequest{Tenant: "t1", Session: "s1", Chat: alice, Cursor: msgs.NextCursor})
	if err != nil || len(msgs.Items) != 1 || msgs.Items[0].ID != "m1" || msgs.NextCursor != "" {
		t.Fatalf("messages page 2 = %+v, %v", msgs, err)
	}
	m, err := call[queries.Message](t, nc, queries.OpMessage, queries.MessageRequest{Tenant: "t1", Session: "s1", ID: "m2"})
	if err != nil || m.Status != "read" || len(m.Statuses) != 2 {
		t.Fatalf("message = %+v, %v", m, err)
	}
	contacts, err := call[queries.Page[queries.Contact]](t, nc, queries.OpContacts, queries.ContactsRequest{Tenant: "t1", Session: "s1", Search: "4911"})
	if err != nil || len(contacts.Items) != 1 {
		t.Fatalf("contacts = %+v, %v", contacts, err)
	}
	groups, err := call[queries.Page[queries.Group]](t, nc, queries.OpGroups, queries.GroupsRequest{Tenant: "t1", Session: "s1"})
	if err != nil || groups.Items == nil || len(groups.Items) != 0 {
		t.Fatalf("groups = %+v, %v", groups, err)
	}
	dl, err := call[queries.Page[queries.DeliveryAttempt]](t, nc, queries.OpDeliveries, queries.DeliveriesRequest{Tenant: "t1", Webhook: "w1"})
	if err != nil || len(dl.Items) != 1 || dl.Items[0].DeliveryID != "d1" {
		t.Fatalf("deliveries = %+v, %v", dl, err)
	}
}

// TestTenantScope: a tenant never sees another tenant's rows over NATS.
func TestTenantScope(t *testing.T) {
	t.Parallel()
	nc := serve(t, t2.Received(alice, "x1", alice, "secret", fixture.At(1)),
		t2.Delivery(events.WebhookSucceeded, "w1", "d9", 1, fixture.At(4)))
	if p, err := call[queries.Page[queries.Chat]](t, nc, queries.OpChats, queries.ChatsRequest{Tenant: "t1", Session: "s1"}); err != nil || len(p.Items) != 0 {
		t.Fatalf("chats leak: %+v, %v", p, err)
	}
	if p, err := call[queries.Page[queries.Message]](t, nc, queries.OpMessages, queries.MessagesRequest{Tenant: "t1", Session: "s1", Chat: alice}); err != nil || len(p.Items) != 0 {
		t.Fatalf("messages leak: %+v, %v", p, err)
	}
	for op, req := range map[string]any{
		queries.OpMessage: queries.MessageRequest{Tenant: "t1", Session: "s1", ID: "x1"},
		queries.OpChat:    queries.ChatRequest{Tenant: "t1", Session: "s1", Chat: alice},
	} {
		if _, err := call[json.RawMessage](t, nc, op, req); !errors.Is(err, &commands.Error{Code: commands.CodeNotFound}) {
			t.Fatalf("%s of another tenant: %v, want NOT_FOUND", op, err)
		}
	}
	if p, err := call[queries.Page[queries.DeliveryAttempt]](t, nc, queries.OpDeliveries, queries.DeliveriesRequest{Tenant: "t1", Webhook: "w1"}); err != nil || len(p.Items) != 0 {
		t.Fatalf("deliveries leak: %+v, %v", p, err)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	nc := serve(t)
	before, after := fixture.At(1), fixture.At(2)
	cases := []struct {
		name string
		op   string
		req  any
	}{
		{"no tenant", queries.OpChats, queries.ChatsRequest{Session: "s1"}},
		{"bad session", queries.OpChats, queries.ChatsRequest{Tenant: "t1", Session: "a.b"}},
		{"bad type", queries.OpChats, queries.ChatsRequest{Tenant: "t1", Session: "s1", Type: "channel"}},
		{"negative limit", queries.OpContacts, queries.ContactsRequest{Tenant: "t1", Session: "s1", Limit: -1}},
		{"huge limit", queries.OpGroups, queries.GroupsRequest{Tenant: "t1", Session: "s1", Limit: 501}},
		{"no chat", queries.OpMessages, queries.MessagesRequest{Tenant: "t1", Session: "s1"}},
		{"after not before before", queries.OpMessages, queries.MessagesRequest{Tenant: "t1", Session: "s1", Chat: alice, Before: &before, After: &after}},
		{"bad cursor", queries.OpMessages, queries.MessagesRequest{Tenant: "t1", Session: "s1", Chat: alice, Cursor: "zz"}},
		{"no id", queries.OpMessage, queries.MessageRequest{Tenant: "t1", Session: "s1"}},
		{"bad webhook", queries.OpDeliveries, queries.DeliveriesRequest{Tenant: "t1", Webhook: "w/1"}},
		{"not json", queries.OpChats, json.RawMessage(`"x"`)},
	}
	for _, tc := range cases {
		if _, err := call[json.RawMessage](t, nc, tc.op, tc.req); !errors.Is(err, &commands.Error{Code: commands.CodeValidation}) {
			t.Errorf("%s: %v, want VALIDATION_FAILED", tc.name, err)
		}
	}
	reply, err := nc.Request(queries.Subject(queries.ServiceHistory, queries.OpChat), []byte("{nope"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var resp commands.Response
	if err := json.Unmarshal(reply.Data, &resp); err != nil || resp.Error == nil || resp.Error.Code != commands.CodeValidation {
		t.Fatalf("malformed request: %s", reply.Data)
	}
}
