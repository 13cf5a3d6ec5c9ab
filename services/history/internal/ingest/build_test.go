package ingest_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// TestAddPoisonLeavesBatch: AddEvent writes straight into the batch, so a
// poison event of any type must fail before its builder adds a row.
func TestAddPoisonLeavesBatch(t *testing.T) {
	t.Parallel()
	at := fixture.At(1)
	poison := map[string]events.Event{
		"message without chat":      scope.Event(events.MessageReceived, at, "", map[string]string{"id": "m1"}, "p1"),
		"failed without id":         scope.Event(events.MessageFailed, at, "", map[string]string{"chat": chats[0]}, "p2"),
		"receipt without ids":       scope.Event(events.MessageRead, at, "", map[string]string{"chat": chats[0]}, "p3"),
		"edit without id":           scope.Event(events.MessageEdited, at, "", map[string]string{"text": "x"}, "p4"),
		"revoke without id":         scope.Event(events.MessageRevoked, at, "", map[string]string{"chat": chats[0]}, "p5"),
		"reaction without sender":   scope.Event(events.MessageReaction, at, "", map[string]string{"targetId": "m1"}, "p6"),
		"media without media id":    scope.Event(events.MediaStored, at, "", map[string]string{"messageId": "m1"}, "p7"),
		"delivery without webhook":  scope.Event(events.WebhookFailed, at, "", map[string]string{"deliveryId": "d"}, "p8"),
		"group without jid":         scope.Event(events.GroupJoined, at, "", map[string]string{"subject": "s"}, "p9"),
		"group update without jid":  scope.Event(events.GroupUpdated, at, "", map[string]string{"subject": "s"}, "p10"),
		"participants no action":    scope.Event(events.GroupParticipants, at, "", map[string]any{"jid": chats[2], "participants": []string{chats[0]}}, "p11"),
		"contact without jid":       scope.Event(events.ContactUpdated, at, "", map[string]string{"pushName": "x"}, "p12"),
		"chat update without chat":  scope.Event(events.ChatUpdated, at, "", map[string]bool{"archived": true}, "p13"),
		"history sync not an array": scope.Event(events.HistorySynced, at, "", map[string]int{"conversations": 1}, "p14"),
	}
	for _, typ := range events.Catalog {
		ev := scope.Event(typ, at, "", nil, "null", string(typ))
		ev.Data = json.RawMessage("[1,2]") // no payload of the catalog is an array
		poison[string(typ)+" with an array payload"] = ev
	}
	base := []events.Event{
		scope.Received(chats[0], "m1", chats[0], "hello", fixture.At(0)),
		scope.GroupJoined(chats[2], "group", fixture.At(0), []string{chats[0], chats[1]}, chats[0]),
	}
	for name, ev := range poison {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, want := batchOf(t, base), batchOf(t, base)
			err := ingest.AddEvent(got, ev, ingest.Options{})
			if err == nil && got.Len() == want.Len()+1 && len(got.Events) == len(want.Events)+1 {
				return // a type without history rows: its raw event is stored, nothing to refuse
			}
			if !errors.Is(err, ingest.ErrPoison) {
				t.Fatalf("AddEvent = %v, want ErrPoison", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("a poison event changed the batch:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func batchOf(t *testing.T, evs []events.Event) *store.Batch {
	t.Helper()
	var b store.Batch
	for _, ev := range evs {
		if err := ingest.AddEvent(&b, ev, ingest.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	return &b
}
