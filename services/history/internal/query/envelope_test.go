package query

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/queries"
)

// TestEnvelope checks the one-pass envelope against what it replaces:
// json.Marshal of commands.Response around the encoded answer.
func TestEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data any
	}{
		{"page", queries.Page[queries.Message]{Items: []queries.Message{{MessageData: events.MessageData{ID: "m1", Text: "<b>a & b</b> \u2028 ü"}}}, NextCursor: "c1"}},
		{"empty page", queries.Page[queries.Message]{}},
		{"nil slice", []queries.Message(nil)},
		{"string", "x<y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := json.Marshal(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(commands.Response{Data: raw})
			if err != nil {
				t.Fatal(err)
			}
			got, err := envelope(tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("envelope:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func BenchmarkEnvelope(b *testing.B) {
	page := queries.Page[queries.Message]{NextCursor: "c"}
	for i := range 50 {
		page.Items = append(page.Items, queries.Message{MessageData: events.MessageData{ID: "M" + string(rune('a'+i%26)),
			Chat: "4900000000@s.whatsapp.net", Sender: "4900000000@s.whatsapp.net", PushName: "Someone", Type: events.TypeText,
			Text: "a stored message of typical length, about sixty bytes long"}})
	}
	b.Run("envelope", func(b *testing.B) {
		for b.Loop() {
			if _, err := envelope(page); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshal twice", func(b *testing.B) {
		for b.Loop() {
			raw, _ := fastJSON.Marshal(page)
			if _, err := json.Marshal(commands.Response{Data: raw}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
