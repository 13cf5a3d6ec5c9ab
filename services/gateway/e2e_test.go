package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

const chatPath = "/v1/sessions/s1/chats/+49%20151%201234-5678/messages"
const chatJID = "4915112345678@s.whatsapp.net"

// onePixelPNG is a valid 1x1 PNG.
var onePixelPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

func sendCommand(t *testing.T, env *gwtest.Env, owner *gwtest.Owner, key string, body any) commands.SendMessage {
	t.Helper()
	r := env.Do(t, "POST", chatPath, key, body).Expect(t, http.StatusAccepted, "send")
	return commandPayload(t, owner, r.Map(t)["id"].(string))
}

func commandPayload(t *testing.T, owner *gwtest.Owner, id string) commands.SendMessage {
	t.Helper()
	var cmd commands.Command
	testutil.Eventually(t, 10*time.Second, func() bool {
		var ok bool
		cmd, ok = owner.Command(id)
		return ok
	}, "command not on the stream")
	if cmd.Kind != commands.KindSendMessage || cmd.Chat != chatJID || cmd.Session != "s1" || cmd.Tenant != "acme" || cmd.MessageID != id {
		t.Fatalf("bad envelope: %+v", cmd)
	}
	p, err := commands.PayloadAs[commands.SendMessage](cmd)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	owner := gwtest.StartOwner(t, env)
	key := env.Tenant(t, "acme")
	env.Session(t, key, "s1")

	t.Run("qr json and png", func(t *testing.T) {
		qr := env.Do(t, "GET", "/v1/sessions/s1/qr", key, nil).Expect(t, 200, "qr").Map(t)
		if qr["code"] != gwtest.FakeQR {
			t.Fatalf("qr = %v", qr)
		}
		png := env.Do(t, "GET", "/v1/sessions/s1/qr", key, nil, "Accept", "image/png").Expect(t, 200, "qr png")
		if png.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png.Body, []byte("\x89PNG")) {
			t.Fatalf("not a png: %s", png.Header.Get("Content-Type"))
		}
		env.Do(t, "GET", "/v1/sessions/s1/qr?format=png", key, nil).Expect(t, 200, "qr ?format=png")
	})

	t.Run("qr from live state", func(t *testing.T) {
		kv, err := env.JS.KeyValue(context.Background(), natsx.BucketSessionState)
		if err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(time.Minute)
		st := control.SessionState{Session: "s1", Tenant: "acme", Status: control.StatusQR, QR: "2@fromstate", QRExpiresAt: &exp}
		if _, err := control.Put(context.Background(), kv, "s1", st); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 5*time.Second, func() bool {
			return env.Do(t, "GET", "/v1/sessions/s1/qr", key, nil).Map(t)["code"] == "2@fromstate"
		}, "qr from state")
		if s := env.Do(t, "GET", "/v1/sessions/s1", key, nil).Map(t); s["status"] != control.StatusQR {
			t.Fatalf("session status = %v", s["status"])
		}
	})

	t.Run("text", func(t *testing.T) {
		p := sendCommand(t, env, owner, key, map[string]any{"type": "text", "text": "hello", "mentions": []string{"+49 151 00000000"}})
		if p.Type != events.TypeText || p.Text != "hello" || p.Mentions[0] != "4915100000000@s.whatsapp.net" {
			t.Fatalf("payload = %+v", p)
		}
	})

	t.Run("image base64 stored and downloadable", func(t *testing.T) {
		p := sendCommand(t, env, owner, key, map[string]any{"type": "image", "caption": "pic",
			"media": map[string]any{"base64": base64.StdEncoding.EncodeToString(onePixelPNG)}})
		if p.Media == nil || p.Media.MediaID == "" || p.Media.Base64 != "" || p.Caption != "pic" {
			t.Fatalf("payload = %+v", p)
		}
		dl := env.Do(t, "GET", "/v1/sessions/s1/media/"+p.Media.MediaID, key, nil).Expect(t, 200, "download")
		if dl.Header.Get("Content-Type") != "image/png" || !bytes.Equal(dl.Body, onePixelPNG) {
			t.Fatalf("download: %s %d bytes", dl.Header.Get("Content-Type"), len(dl.Body))
		}
		part := env.Do(t, "GET", "/v1/sessions/s1/media/"+p.Media.MediaID, key, nil, "Range", "bytes=1-3").Expect(t, 206, "range")
		if !bytes.Equal(part.Body, onePixelPNG[1:4]) || part.Header.Get("Content-Range") == "" {
			t.Fatalf("range body %q", part.Body)
		}
	})

	t.Run("image multipart", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("type", "image")
		_ = mw.WriteField("caption", "multi")
		fw, _ := mw.CreateFormFile("file", "pixel.png")
		_, _ = fw.Write(onePixelPNG)
		_ = mw.Close()
		r := env.Do(t, "POST", chatPath, key, buf.Bytes(), "Content-Type", mw.FormDataContentType()).Expect(t, 202, "multipart")
		p := commandPayload(t, owner, r.Map(t)["id"].(string))
		if p.Type != events.TypeImage || p.Caption != "multi" || p.Media.MediaID == "" || p.Media.FileName != "pixel.png" || p.Media.Mimetype != "image/png" {
			t.Fatalf("payload = %+v", p)
		}
	})

	t.Run("location and poll", func(t *testing.T) {
		p := sendCommand(t, env, owner, key, map[string]any{"type": "location", "location": map[string]any{"latitude": 52.52, "longitude": 13.4, "name": "Berlin"}})
		if p.Location == nil || p.Location.Latitude != 52.52 || p.Location.Name != "Berlin" {
			t.Fatalf("location payload = %+v", p)
		}
		p = sendCommand(t, env, owner, key, map[string]any{"type": "poll", "poll": map[string]any{"question": "Lunch?", "options": []string{"yes", "no"}, "selectableCount": 1}})
		if p.Poll == nil || p.Poll.Question != "Lunch?" || len(p.Poll.Options) != 2 {
			t.Fatalf("poll payload = %+v", p)
		}
	})

	t.Run("every other type", func(t *testing.T) {
		for _, typ := range []string{"video", "audio", "voice", "document", "sticker"} {
			p := sendCommand(t, env, owner, key, map[string]any{"type": typ, "media": map[string]any{"url": "https://93.184.215.14/file", "fileName": "f"}})
			if string(p.Type) != typ || p.Media == nil || p.Media.URL != "https://93.184.215.14/file" {
				t.Fatalf("%s payload = %+v", typ, p)
			}
		}
		p := sendCommand(t, env, owner, key, map[string]any{"type": "contact", "contacts": []map[string]any{{"displayName": "Bob", "vcard": "BEGIN:VCARD\nEND:VCARD"}}})
		if len(p.Contacts) != 1 || p.Contacts[0].DisplayName != "Bob" {
			t.Fatalf("contact payload = %+v", p)
		}
		env.Do(t, "POST", chatPath, key, map[string]any{"type": "image"}).Expect(t, 422, "image without media")
		env.Do(t, "POST", chatPath, key, map[string]any{"type": "text", "text": "  "}).Expect(t, 422, "blank text")
		env.Do(t, "POST", chatPath, key, map[string]any{"type": "image", "media": map[string]any{"url": "https://93.184.215.14/a", "mediaId": "med_x"}}).Expect(t, 422, "two media sources")
	})

	t.Run("wait for sent and failed", func(t *testing.T) {
		r := env.Do(t, "POST", chatPath+"?wait=5s", key, map[string]any{"type": "text", "text": "waited"}).Expect(t, 200, "wait")
		var res struct {
			ID     string       `json:"id"`
			Status string       `json:"status"`
			Event  events.Event `json:"event"`
		}
		r.JSON(t, &res)
		d, err := events.DecodeData[events.MessageData](res.Event)
		if err != nil || res.Status != "sent" || d.ID != res.ID || d.Text != "waited" || res.Event.Type != events.MessageSent.CEType() {
			t.Fatalf("wait result = %+v (%v)", res, err)
		}
		f := env.Do(t, "POST", chatPath+"?wait=5s", key, map[string]any{"type": "text", "text": "fail"}).Expect(t, 502, "wait failed")
		if f.Header.Get("Content-Type") != "application/problem+json" || f.Map(t)["code"] != "WHATSAPP_ERROR" {
			t.Fatalf("failed send: %s", f.Body)
		}
	})

	t.Run("idempotency key", func(t *testing.T) {
		body := map[string]any{"type": "text", "text": "once"}
		a := env.Do(t, "POST", chatPath, key, body, "Idempotency-Key", "k-1").Expect(t, 202, "first").Map(t)["id"]
		b := env.Do(t, "POST", chatPath, key, body, "Idempotency-Key", "k-1").Expect(t, 202, "second").Map(t)["id"]
		if a != b {
			t.Fatalf("ids differ: %v %v", a, b)
		}
	})
}

func TestSessionUnavailableWithoutOwner(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "acme")
	env.Session(t, key, "s1")
	r := env.Do(t, "GET", "/v1/sessions/s1/qr", key, nil).Expect(t, 503, "no owner")
	if r.Map(t)["code"] != "SESSION_UNAVAILABLE" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("no owner: %s %v", r.Body, r.Header)
	}
}

func publishReceived(t *testing.T, env *gwtest.Env, tenant, session, text string) {
	t.Helper()
	_, err := events.PublishNew(context.Background(), env.JS, events.MessageReceived,
		events.Meta{Tenant: tenant, Session: session, Subject: chatJID},
		events.MessageData{ID: "3EB0" + text, Chat: chatJID, Sender: chatJID, Type: events.TypeText, Text: text, Timestamp: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
}

func decodeText(t *testing.T, raw []byte) string {
	t.Helper()
	ev, err := events.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	d, err := events.DecodeData[events.MessageData](ev)
	if err != nil {
		t.Fatal(err)
	}
	return d.Text
}

var _ = json.Marshal
