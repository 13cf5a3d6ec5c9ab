package wa

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
)

// The handler reports failure while the event cannot be stored (WhatsApp
// then redelivers), and a redelivery after recovery publishes it once.
func TestHandlerReportsUndurableEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager("", "pod-a")
	m.handleTimeout = 2 * time.Second // the publish waits for a stream that is gone
	s := newSession(m, def("s1"), 1)
	bob := types.NewJID("15550000122", types.DefaultUserServer)
	msg := &waevents.Message{Info: types.MessageInfo{ID: "3EB0AAA", Timestamp: time.Now(), PushName: "Bob",
		MessageSource: types.MessageSource{Chat: bob, Sender: bob}}, Message: &waE2E.Message{Conversation: proto.String("hi")}}

	stream, err := e.js.Stream(e.ctx, natsx.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := stream.Info(e.ctx)
	if err := e.js.DeleteStream(e.ctx, natsx.StreamEvents); err != nil {
		t.Fatal(err)
	}
	if s.handle(msg) {
		t.Fatal("handler acknowledged an event it could not store")
	}
	if _, err := e.js.CreateStream(e.ctx, info.Config); err != nil {
		t.Fatal(err)
	}
	for range 2 { // WhatsApp redelivers; the second copy is a duplicate
		if !s.handle(msg) {
			t.Fatal("handler failed with the stream back")
		}
	}
	stream, _ = e.js.Stream(e.ctx, natsx.StreamEvents)
	if info, _ := stream.Info(e.ctx); info.State.Msgs != 1 {
		t.Fatalf("stream holds %d events, want 1 (dedup by derived id)", info.State.Msgs)
	}
	if got := e.rec.find(events.MessageReceived, nil); len(got) == 0 || got[0].ID != events.DeriveID("s1", "3EB0AAA", "message.received") {
		t.Fatalf("published %+v", got)
	}
}
