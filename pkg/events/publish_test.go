package events

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/testutil"
)

func TestPublishDedupsByEventID(t *testing.T) {
	t.Parallel()
	_, js := testutil.JetStream(t)
	ctx := testutil.Context(t)
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: StreamName, Subjects: []string{"wamesh.events.>"}, Duplicates: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	ev := sampleEvent(t)
	first, err := Publish(ctx, js, ev)
	if err != nil || first.Duplicate {
		t.Fatalf("first publish: %+v %v", first, err)
	}
	second, err := Publish(ctx, js, ev)
	if err != nil || !second.Duplicate {
		t.Fatalf("second publish must be a duplicate: %+v %v", second, err)
	}
	msg, err := stream.GetMsg(ctx, first.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "wamesh.events.t1.s1.message.received" ||
		msg.Header.Get(jetstream.MsgIDHeader) != ev.ID ||
		msg.Header.Get(HeaderTraceParent) != ev.TraceParent {
		t.Fatalf("stored message: subject %q headers %v", msg.Subject, msg.Header)
	}
	got, err := Decode(msg.Data)
	if err != nil || got.ID != ev.ID {
		t.Fatalf("stored body: %+v %v", got, err)
	}
	info, err := stream.Info(context.Background())
	if err != nil || info.State.Msgs != 1 {
		t.Fatalf("stream holds %d messages, want 1 (%v)", info.State.Msgs, err)
	}
}
