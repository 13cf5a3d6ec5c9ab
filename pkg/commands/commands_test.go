package commands

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/testutil"
)

func TestSubjects(t *testing.T) {
	t.Parallel()
	s, err := CommandSubject(64, "s1")
	if err != nil || s != "wamesh.cmd.9.s1" {
		t.Fatalf("CommandSubject = %q, %v", s, err)
	}
	r, err := RPCSubject(64, "s1", OpQR)
	if err != nil || r != "wamesh.rpc.9.s1.qr" {
		t.Fatalf("RPCSubject = %q, %v", r, err)
	}
	if _, err := CommandSubject(64, "a.b"); err == nil {
		t.Fatal("CommandSubject accepted a dotted session")
	}
	if _, err := RPCSubject(64, "s1", "a.b"); err == nil {
		t.Fatal("RPCSubject accepted a dotted op")
	}
	if ShardCommandFilter(9) != "wamesh.cmd.9.*" || ShardRPCSubscription(9) != "wamesh.rpc.9.*.*" {
		t.Fatal("shard subscriptions")
	}
}

func TestCommandRoundTrip(t *testing.T) {
	t.Parallel()
	c, err := NewCommand(KindSendMessage, "t1", "s1", "3EB0AA", "1@s.whatsapp.net", SendMessage{Type: events.TypeText, Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := c.Msg(64, "")
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "wamesh.cmd.9.s1" || msg.Header.Get(jetstream.MsgIDHeader) != "3EB0AA" {
		t.Fatalf("msg %s %v", msg.Subject, msg.Header)
	}
	if m, _ := c.Msg(64, "idem-1"); m.Header.Get(jetstream.MsgIDHeader) != "idem-1" {
		t.Fatal("idempotency key not used as Nats-Msg-Id")
	}
	back, err := Decode(msg.Data)
	if err != nil || back.ID != "3EB0AA" || back.Kind != KindSendMessage {
		t.Fatalf("Decode = %+v, %v", back, err)
	}
	p, err := PayloadAs[SendMessage](back)
	if err != nil || p.Text != "hi" {
		t.Fatalf("PayloadAs = %+v, %v", p, err)
	}
	if _, err := Decode([]byte(`{"id":"x","kind":"send_message","tenant":"t1"}`)); !errors.Is(err, ErrBadCommand) {
		t.Fatalf("Decode without session = %v", err)
	}
}

func TestCallAndReply(t *testing.T) {
	t.Parallel()
	_, nc := testutil.NATS(t)
	ctx := testutil.Context(t)

	err := Call(ctx, nc, 64, Request{Tenant: "t1", Session: "s1", Op: OpQR}, nil)
	if !errors.Is(err, ErrNoOwner) || CodeOf(err) != CodeSessionUnavailable {
		t.Fatalf("no owner: %v", err)
	}

	sub, err := nc.Subscribe(ShardRPCSubscription(9), func(m *nats.Msg) {
		switch m.Subject {
		case "wamesh.rpc.9.s1.qr":
			_ = Reply(m, QRResponse{Code: "2@abc", Status: "qr"}, nil)
		case "wamesh.rpc.9.s1.group_info":
			_ = Reply(m, nil, Errorf(CodeNotAGroup, "not a group"))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()

	var qr QRResponse
	if err := Call(ctx, nc, 64, Request{Tenant: "t1", Session: "s1", Op: OpQR}, &qr); err != nil || qr.Code != "2@abc" {
		t.Fatalf("Call qr = %+v, %v", qr, err)
	}
	err = Call(ctx, nc, 64, Request{Tenant: "t1", Session: "s1", Op: OpGroupInfo}, nil)
	if CodeOf(err) != CodeNotAGroup || !errors.Is(err, &Error{Code: CodeNotAGroup}) {
		t.Fatalf("Call group_info = %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	// Subscribed (so responders exist) but never answers: a timeout.
	err = Call(short, nc, 64, Request{Tenant: "t1", Session: "s1", Op: OpLogout}, nil)
	if CodeOf(err) != CodeTimeout {
		t.Fatalf("unanswered call = %v, want TIMEOUT", err)
	}
}
