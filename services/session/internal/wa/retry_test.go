package wa

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	waevents "go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// flakyMedia is the wamesh_media object store with a switch that makes
// reads and writes fail like an unavailable store.
type flakyMedia struct {
	jetstream.ObjectStore
	down atomic.Bool
}

var errStoreDown = errors.New("object store unavailable (test)")

func (f *flakyMedia) Put(ctx context.Context, meta jetstream.ObjectMeta, r io.Reader) (*jetstream.ObjectInfo, error) {
	if f.down.Load() {
		return nil, errStoreDown
	}
	return f.ObjectStore.Put(ctx, meta, r)
}

func (f *flakyMedia) GetInfo(ctx context.Context, name string, opts ...jetstream.GetObjectInfoOpt) (*jetstream.ObjectInfo, error) {
	if f.down.Load() {
		return nil, errStoreDown
	}
	return f.ObjectStore.GetInfo(ctx, name, opts...)
}

func (f *flakyMedia) GetBytes(ctx context.Context, name string, opts ...jetstream.GetObjectOpt) ([]byte, error) {
	if f.down.Load() {
		return nil, errStoreDown
	}
	return f.ObjectStore.GetBytes(ctx, name, opts...)
}

// managerWithFlakyMedia opens a Manager whose media store can be switched off.
func (e *env) managerWithFlakyMedia(pod string) (*Manager, *flakyMedia) {
	e.t.Helper()
	os, err := e.js.ObjectStore(e.ctx, natsx.ObjectStoreMedia)
	if err != nil {
		e.t.Fatalf("media store: %v", err)
	}
	f := &flakyMedia{ObjectStore: os}
	return e.managerWith("", pod, func(c *ManagerConfig) { c.Media = f }), f
}

// TestTransientMediaFailuresAreRetried: a media server 5xx during the upload
// and an unavailable object store are temporary: Execute returns a plain
// error (the cluster naks and redelivers), no message.failed is published,
// and the redelivery after the fault is gone sends the message once.
func TestTransientMediaFailuresAreRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000071", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000072", "Bob")
	m, store := e.managerWithFlakyMedia("pod-a")
	pair(t, e, m, "s1", owner, 1)

	pic := bytes.Repeat([]byte("\x89PNG retry me "), 300)
	stored := ids.NewMediaID()
	if _, err := store.ObjectStore.PutBytes(e.ctx, ids.MediaObject("t1", "s1", stored), pic); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		media commands.MediaRef
		fault func(on bool)
	}{
		{"upload 500", commands.MediaRef{Base64: base64.StdEncoding.EncodeToString(pic), Mimetype: "image/png"}, func(on bool) {
			if on {
				e.srv.FailMedia(500)
			} else {
				e.srv.FailMedia(0)
			}
		}},
		{"object store down", commands.MediaRef{MediaID: stored}, func(on bool) { store.down.Store(on) }},
	}
	for _, tt := range tests {
		msgID := ids.NewMessageID()
		cmd, _ := commands.NewCommand(commands.KindSendMessage, "t1", "s1", msgID, bob.JID().String(),
			commands.SendMessage{Type: events.TypeImage, Caption: tt.name, Media: &tt.media})
		tt.fault(true)
		err := m.Execute(e.ctx, cmd)
		var ce *commands.Error
		if err == nil || errors.As(err, &ce) || !errors.Is(err, ErrTransient) {
			tt.fault(false)
			t.Fatalf("%s: Execute = %v, want a plain (retry) error", tt.name, err)
		}
		tt.fault(false)
		if err := m.Execute(e.ctx, cmd); err != nil { // the redelivery
			t.Fatalf("%s: redelivered Execute = %v", tt.name, err)
		}
		wait(e, events.MessageSent, func(d events.MessageData) bool { return d.ID == msgID })
		testutil.Eventually(t, 10*time.Second, func() bool {
			for _, x := range bob.Messages() {
				if x.ID == msgID && x.Media != nil && bytes.Equal(x.Media.Data, pic) {
					return true
				}
			}
			return false
		}, "%s: bob receives the image", tt.name)
		if f := e.rec.find(events.MessageFailed, func(ev events.Event) bool {
			d, _ := events.DecodeData[events.MessageFailedData](ev)
			return d.Command == cmd.ID
		}); len(f) != 0 {
			t.Fatalf("%s: a temporary failure published message.failed: %s", tt.name, f[0].Data)
		}
	}
}

// TestIncomingMediaNotAckedUntilStored: while the media store is down, an
// incoming media message is not acknowledged (WhatsApp redelivers it); once
// the store is back the redelivery stores it. Media that is gone at
// WhatsApp (404) cannot be fixed by a redelivery: the message is delivered
// without it.
func TestIncomingMediaNotAckedUntilStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000081", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000082", "Bob")
	m, store := e.managerWithFlakyMedia("pod-a")
	pair(t, e, m, "s1", owner, 1)
	s := m.get("s1")

	pic := bytes.Repeat([]byte("\x89PNG keep me "), 300)
	up, err := s.cli().Upload(e.ctx, pic, whatsmeow.MediaImage)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	image := func(id, directPath string) *waevents.Message {
		return &waevents.Message{Info: types.MessageInfo{ID: id, Timestamp: time.Now(), PushName: "Bob",
			MessageSource: types.MessageSource{Chat: bob.JID(), Sender: bob.JID()}},
			Message: &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Mimetype: proto.String("image/png"),
				URL: proto.String("https://mmg.whatsapp.net" + directPath), DirectPath: proto.String(directPath),
				MediaKey: up.MediaKey, FileEncSHA256: up.FileEncSHA256, FileSHA256: up.FileSHA256, FileLength: proto.Uint64(up.FileLength)}}}
	}
	received := func(id string) []events.Event {
		return e.rec.find(events.MessageReceived, func(ev events.Event) bool {
			d, _ := events.DecodeData[events.MessageData](ev)
			return d.ID == id
		})
	}

	msg := image("3EB0MEDIA01", up.DirectPath)
	store.down.Store(true)
	if s.handle(msg) {
		t.Fatal("handler acknowledged a media message whose media could not be stored")
	}
	store.down.Store(false)
	if n := len(received(msg.Info.ID)); n != 0 {
		t.Fatalf("message.received published %d time(s) without its media", n)
	}
	if !s.handle(msg) { // the redelivery
		t.Fatal("handler failed with the store back")
	}
	_, rm := wait(e, events.MessageReceived, func(d events.MessageData) bool { return d.ID == msg.Info.ID })
	if rm.Media == nil || rm.Media.MediaID == "" {
		t.Fatalf("redelivered message without media id: %+v", rm)
	}
	if got, err := m.media.GetBytes(e.ctx, ids.MediaObject("t1", "s1", rm.Media.MediaID)); err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("stored media differs (%d bytes, %v)", len(got), err)
	}

	gone := image("3EB0MEDIA02", "/mms-dl/expired?ccb=11-4")
	if !s.handle(gone) {
		t.Fatal("handler refused a message whose media is gone at WhatsApp (a redelivery cannot help)")
	}
	if _, rm := wait(e, events.MessageReceived, func(d events.MessageData) bool { return d.ID == gone.Info.ID }); rm.Media == nil || rm.Media.MediaID != "" {
		t.Fatalf("message with expired media = %+v", rm.Media)
	}
}
