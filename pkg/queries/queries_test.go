package queries

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/testutil"
)

func TestCall(t *testing.T) {
	t.Parallel()
	_, nc := testutil.NATS(t)
	ctx := testutil.Context(t)

	err := Call(ctx, nc, ServiceHistory, OpChats, ChatsRequest{Tenant: "t1"}, nil)
	if commands.CodeOf(err) != CodeServiceUnavailable {
		t.Fatalf("no service: %v", err)
	}

	sub, err := nc.Subscribe(Subject(ServiceHistory, ">"), func(m *nats.Msg) {
		switch m.Subject {
		case Subject(ServiceHistory, OpChats):
			_ = commands.Reply(m, Page[Chat]{Items: []Chat{{JID: "1@s.whatsapp.net", UnreadCount: 2}}, NextCursor: "c2"}, nil)
		case Subject(ServiceHistory, OpChat):
			_ = commands.Reply(m, nil, commands.Errorf(commands.CodeNotFound, "no such chat"))
		case Subject(ServiceHistory, OpContacts):
			_ = m.Respond([]byte(`{"data":`)) // truncated
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	var page Page[Chat]
	if err := Call(ctx, nc, ServiceHistory, OpChats, ChatsRequest{Tenant: "t1"}, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].UnreadCount != 2 || page.NextCursor != "c2" {
		t.Fatalf("page = %+v", page)
	}
	// Without a destination the data is skipped, errors still come through.
	if err := Call(ctx, nc, ServiceHistory, OpChats, ChatsRequest{Tenant: "t1"}, nil); err != nil {
		t.Fatal(err)
	}
	err = Call(ctx, nc, ServiceHistory, OpChat, ChatRequest{Tenant: "t1"}, &Chat{})
	var rpcErr *commands.Error
	if !errors.As(err, &rpcErr) || rpcErr.Code != commands.CodeNotFound {
		t.Fatalf("error envelope: %v", err)
	}
	if _, ok := err.(*commands.Error); !ok {
		t.Fatalf("error envelope not returned as *commands.Error: %T", err)
	}
	if err := Call(ctx, nc, ServiceHistory, OpContacts, ContactsRequest{Tenant: "t1"}, &Page[Contact]{}); err == nil ||
		commands.CodeOf(err) != commands.CodeInternal {
		t.Fatalf("truncated answer: %v", err)
	}
}
