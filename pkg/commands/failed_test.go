package commands

import (
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/events"
)

func TestFailedData(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	send, err := NewCommand(KindSendMessage, "t1", "s1", "3EB0AA", "491@s.whatsapp.net", SendMessage{
		Type: events.TypeImage, Caption: "look", ReplyTo: "q1",
		Media: &MediaRef{Base64: "aGVsbG8=", Mimetype: "image/png", FileName: "a.png"}})
	if err != nil {
		t.Fatal(err)
	}
	send.CreatedAt = at
	d := FailedData(send, CodeWhatsApp, "not on WhatsApp")
	m := d.Message
	if d.ID != "3EB0AA" || d.Code != string(CodeWhatsApp) || d.Command != send.ID || m == nil {
		t.Fatalf("FailedData = %+v", d)
	}
	if m.ID != d.ID || m.Chat != send.Chat || !m.FromMe || m.Type != events.TypeImage || m.Caption != "look" ||
		m.QuotedID != "q1" || !m.Timestamp.Equal(at) || m.Media == nil || m.Media.Mimetype != "image/png" || m.Media.FileName != "a.png" {
		t.Errorf("message = %+v (media %+v)", m, m.Media)
	}

	edit, err := NewCommand(KindEditMessage, "t1", "s1", "", "491@s.whatsapp.net", EditMessage{TargetID: "x", Text: "y"})
	if err != nil {
		t.Fatal(err)
	}
	if d := FailedData(edit, CodeWhatsApp, "no"); d.Message != nil || d.ID != edit.ID {
		t.Errorf("edit failure = %+v, want no message and the command id", d)
	}
}
