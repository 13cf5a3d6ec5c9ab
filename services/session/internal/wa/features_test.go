package wa

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
)

// TestMediaBothWays: incoming media lands in wamesh_media (media.stored, the
// message carries the media id); outgoing base64 media is decrypted by the
// recipient byte for byte.
func TestMediaBothWays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000051", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000052", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)

	pic := bytes.Repeat([]byte("\x89PNG fake image "), 200)
	inID, err := bob.SendMedia(e.ctx, owner.JID(), waemu.Media{Kind: "image", Data: pic, Mimetype: "image/png", Caption: "look"})
	if err != nil {
		t.Fatalf("bob sends media: %v", err)
	}
	_, rm := wait(e, events.MessageReceived, func(d events.MessageData) bool { return d.ID == inID })
	if rm.Type != events.TypeImage || rm.Caption != "look" || rm.Media == nil || rm.Media.MediaID == "" || rm.Media.Mimetype != "image/png" {
		t.Fatalf("message.received = %+v media %+v", rm, rm.Media)
	}
	_, stored := wait(e, events.MediaStored, func(d events.MediaStoredData) bool { return d.MessageID == inID })
	obj := ids.MediaObject("t1", "s1", stored.MediaID)
	got, err := m.media.GetBytes(e.ctx, obj)
	if err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("stored media differs (%d bytes, err %v)", len(got), err)
	}
	if info, _ := m.media.GetInfo(e.ctx, obj); info.Headers.Get("Content-Type") != "image/png" {
		t.Fatalf("content type header = %v", info.Headers)
	}

	doc := []byte("%PDF-1.4 a small document")
	msgID := ids.NewMessageID()
	cmd, _ := commands.NewCommand(commands.KindSendMessage, "t1", "s1", msgID, bob.JID().String(), commands.SendMessage{
		Type: events.TypeDocument, Caption: "the doc",
		Media: &commands.MediaRef{Base64: base64.StdEncoding.EncodeToString(doc), Mimetype: "application/pdf", FileName: "a.pdf"}})
	if err := m.Execute(e.ctx, cmd); err != nil {
		t.Fatalf("send document: %v", err)
	}
	var rcv waemu.ReceivedMessage
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, x := range bob.Messages() {
			if x.ID == msgID {
				rcv = x
				return true
			}
		}
		return false
	}, "bob receives the document")
	// The recipient decrypts what the client uploaded, byte-exact (on receipt
	// and again on a later download).
	if rcv.Media == nil || !bytes.Equal(rcv.Media.Data, doc) {
		t.Fatalf("bob's copy of the document = %+v", rcv.Media)
	}
	if data, err := bob.DownloadMedia(rcv); err != nil || !bytes.Equal(data, doc) {
		t.Fatalf("bob downloads the document again: %q, %v", data, err)
	}
	sum := sha256.Sum256(doc)
	if d := rcv.Raw.GetDocumentMessage(); d == nil || !bytes.Equal(d.GetFileSHA256(), sum[:]) ||
		d.GetFileLength() != uint64(len(doc)) || d.GetFileName() != "a.pdf" || d.GetMimetype() != "application/pdf" || len(d.GetMediaKey()) != 32 {
		t.Fatalf("bob received %v", rcv.Raw)
	}
	_, sd := wait(e, events.MessageSent, func(d events.MessageData) bool { return d.ID == msgID })
	if sd.Type != events.TypeDocument || sd.Media == nil || sd.Media.FileName != "a.pdf" || sd.Caption != "the doc" {
		t.Fatalf("message.sent = %+v", sd)
	}
}

// TestCommandAndRPCErrors: bad input becomes a final machine-coded error and
// message.failed, never a retry; RPCs answer with the contract's codes.
func TestCommandAndRPCErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000061", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000062", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)

	tests := []struct {
		name string
		kind commands.Kind
		chat string
		body any
		code commands.Code
		why  string // substring of the failure reason
	}{
		{"bad chat", commands.KindSendMessage, "not a jid@@", commands.SendMessage{Type: events.TypeText, Text: "x"}, commands.CodeValidation, ""},
		{"empty text", commands.KindSendMessage, bob.JID().String(), commands.SendMessage{Type: events.TypeText}, commands.CodeValidation, ""},
		{"image without media", commands.KindSendMessage, bob.JID().String(), commands.SendMessage{Type: events.TypeImage}, commands.CodeValidation, ""},
		{"unknown media id", commands.KindSendMessage, bob.JID().String(),
			commands.SendMessage{Type: events.TypeImage, Media: &commands.MediaRef{MediaID: "med_nope"}}, commands.CodeNotFound, ""},
		{"private url refused", commands.KindSendMessage, bob.JID().String(),
			commands.SendMessage{Type: events.TypeImage, Media: &commands.MediaRef{URL: "http://127.0.0.1:1/x.png"}}, commands.CodeValidation, "destination not allowed"},
		{"group action on a direct chat", commands.KindGroupAction, bob.JID().String(), commands.GroupAction{Action: "subject", Value: "x"}, commands.CodeNotAGroup, ""},
		{"unknown presence", commands.KindChatPresence, bob.JID().String(), commands.ChatPresence{State: "dancing"}, commands.CodeValidation, ""},
	}
	for _, tt := range tests {
		cmd, _ := commands.NewCommand(tt.kind, "t1", "s1", ids.NewMessageID(), tt.chat, tt.body)
		var ce *commands.Error
		if err := m.Execute(e.ctx, cmd); !errors.As(err, &ce) || ce.Code != tt.code {
			t.Errorf("%s: Execute = %v, want final %s", tt.name, err, tt.code)
			continue
		}
		_, d := wait(e, events.MessageFailed, func(d events.MessageFailedData) bool {
			return d.Command == cmd.ID && d.Code == string(tt.code) && strings.Contains(d.Reason, tt.why)
		})
		// A failed send carries what it was to send (history lists it).
		if send, ok := tt.body.(commands.SendMessage); ok && (d.Message == nil || d.Message.ID != cmd.MessageID || d.Message.Type != send.Type || !d.Message.FromMe) {
			t.Errorf("%s: message.failed carries %+v, want the attempted %s message", tt.name, d.Message, send.Type)
		}
	}

	call := func(op commands.Op, body any) (any, error) {
		req := commands.Request{Tenant: "t1", Session: "s1", Op: op}
		if body != nil {
			req.Payload, _ = jsonRaw(body)
		}
		return m.Call(e.ctx, req)
	}
	if _, err := call(commands.OpGroupInfo, commands.GroupRequest{Group: bob.JID().String()}); commands.CodeOf(err) != commands.CodeNotAGroup {
		t.Errorf("group info of a user: %v", err)
	}
	if _, err := m.Call(e.ctx, commands.Request{Tenant: "other", Session: "s1", Op: commands.OpStatus}); commands.CodeOf(err) != commands.CodeSessionNotFound {
		t.Errorf("foreign tenant: %v", err)
	}
	if _, err := call(commands.OpPairCode, commands.PairCodeRequest{Phone: "15550000061"}); commands.CodeOf(err) != commands.CodeConflict {
		t.Errorf("pair code of a paired session: %v", err)
	}
	out, err := call(commands.OpCheckNumbers, commands.CheckRequest{Phones: []string{"+1 555 000 0062", "+19990000000"}})
	res, _ := out.([]commands.CheckResult)
	if err != nil || len(res) != 2 || !res[0].IsOnWhatsApp || res[0].JID != bob.JID().String() || res[1].IsOnWhatsApp {
		t.Errorf("check numbers = %+v, %v", res, err)
	}
	qr, err := call(commands.OpQR, nil)
	if q, _ := qr.(commands.QRResponse); err != nil || q.Code != "" || q.Status != "connected" {
		t.Errorf("qr of a connected session = %+v, %v", qr, err)
	}
}
