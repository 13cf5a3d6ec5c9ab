package waemu

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

func TestMediaBothWays(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")

	// Client uploads an image; the phone decrypts it byte-exact.
	img := make([]byte, 70_000)
	_, _ = rand.Read(img)
	up, err := ac.Client.Upload(t.Context(), img, whatsmeow.MediaImage)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	resp, err := ac.Client.SendMessage(t.Context(), bob.JID(), &waE2E.Message{ImageMessage: &waE2E.ImageMessage{
		Caption: proto.String("look"), Mimetype: proto.String("image/png"), URL: &up.URL, DirectPath: &up.DirectPath,
		MediaKey: up.MediaKey, FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: &up.FileLength,
	}})
	if err != nil {
		t.Fatalf("send image: %v", err)
	}
	eventually(t, 5*time.Second, "bob gets image", func() bool { return len(bob.Messages()) == 1 })
	got := bob.Messages()[0]
	if got.ID != resp.ID || got.Type != "image" || got.Caption != "look" || got.Media == nil || !bytes.Equal(got.Media.Data, img) {
		t.Fatalf("bob got %+v", got)
	}
	// Later downloads (the phone again, another recipient) see the same bytes:
	// a download must not decrypt the stored blob in place.
	for i := range 2 {
		if data, err := bob.DownloadMedia(got); err != nil || !bytes.Equal(data, img) {
			t.Fatalf("download %d after the first: %d bytes, %v", i+2, len(data), err)
		}
	}

	// Phone sends a document and an image; the client downloads them byte-exact.
	for _, m := range []Media{
		{Kind: "document", Data: []byte("%PDF-1.4 fake"), Mimetype: "application/pdf", FileName: "a.pdf", Caption: "doc"},
		{Kind: "image", Data: img[:1234], Caption: "pic"},
		{Kind: "audio", Data: img[:999]},
	} {
		id, err := bob.SendMedia(t.Context(), alice.JID(), m)
		if err != nil {
			t.Fatalf("send %s: %v", m.Kind, err)
		}
		evt := waitEvent(ac, 5*time.Second, func(e *events.Message) bool { return e.Info.ID == id })
		var dl whatsmeow.DownloadableMessage
		switch m.Kind {
		case "document":
			dl = evt.Message.GetDocumentMessage()
		case "image":
			dl = evt.Message.GetImageMessage()
		case "audio":
			dl = evt.Message.GetAudioMessage()
		}
		data, err := ac.Client.Download(t.Context(), dl)
		if err != nil {
			t.Fatalf("download %s: %v", m.Kind, err)
		}
		if !bytes.Equal(data, m.Data) {
			t.Fatalf("%s differs", m.Kind)
		}
	}
}
