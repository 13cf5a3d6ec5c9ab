package waemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

type ctlClient struct {
	t   *testing.T
	url string
}

func (c ctlClient) do(method, path string, body any, wantStatus int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(c.t.Context(), method, c.url+ControlPrefix+path, rd)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, raw, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("decode %s: %v", raw, err)
		}
	}
}

func TestControlHTTP(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	hs := httptest.NewServer(srv.ControlHandler())
	t.Cleanup(hs.Close)
	c := ctlClient{t: t, url: hs.URL}

	var alice, bob PhoneDTO
	c.do("POST", "/phones", map[string]string{"phone": "+15550000001", "name": "Alice"}, 201, &alice)
	c.do("POST", "/phones", map[string]string{"phone": "+15550000002", "name": "Bob"}, 201, &bob)
	if alice.JID.User != "15550000001" || alice.LID.IsEmpty() || alice.Name != "Alice" {
		t.Fatalf("alice = %+v", alice)
	}
	var problem struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
	}
	c.do("POST", "/phones", map[string]string{"phone": "+15550000001"}, 409, &problem)
	c.do("POST", "/phones", map[string]string{"phone": "nope"}, 422, &problem)
	if problem.Code != "VALIDATION_FAILED" || problem.Status != 422 {
		t.Fatalf("problem = %+v", problem)
	}
	c.do("GET", "/phones/+15559999999/messages", nil, 404, &problem)
	c.do("POST", "/phones/+15550000001/messages", "not an object", 400, nil)
	var list []PhoneDTO
	c.do("GET", "/phones", nil, 200, &list)
	if len(list) != 2 {
		t.Fatalf("phones = %+v", list)
	}

	// Link a client by QR through the API.
	tc := newTestClient(t, srv, "")
	if err := tc.Client.Connect(); err != nil {
		t.Fatal(err)
	}
	qr := waitEvent[*events.QR](tc, 10*time.Second, nil)
	c.do("POST", "/phones/+15550000001/scan", map[string]string{"qr": qr.Codes[0]}, 200, nil)
	waitEvent[*events.Connected](tc, 30*time.Second, nil)
	var conns []Connection
	c.do("GET", "/connections", nil, 200, &conns)
	if len(conns) != 1 || conns[0].Device.User != "15550000001" {
		t.Fatalf("connections = %+v", conns)
	}

	// Bob sends text and an image to Alice's client.
	var sent struct{ ID string }
	c.do("POST", "/phones/+15550000002/messages", map[string]string{"to": "+15550000001", "text": "hi"}, 201, &sent)
	waitEvent(tc, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == sent.ID && m.Message.GetConversation() == "hi" })
	c.do("POST", "/phones/+15550000002/messages", map[string]any{
		"to": alice.JID.String(), "type": "image", "content": []byte("png bytes"), "caption": "pic",
	}, 201, &sent)
	waitEvent(tc, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == sent.ID && m.Message.GetImageMessage() != nil })
	c.do("POST", "/phones/+15550000002/messages", map[string]any{"to": "+15550000001", "type": "reaction"}, 422, nil)

	// Alice's client sends to Bob; Bob's inbox shows it; Bob marks it read.
	resp, err := tc.Client.SendMessage(t.Context(), bob.JID, &waE2E.Message{Conversation: proto.String("yo")})
	if err != nil {
		t.Fatal(err)
	}
	var inbox []ReceivedMessage
	eventually(t, 5*time.Second, "bob inbox", func() bool {
		c.do("GET", "/phones/+15550000002/messages", nil, 200, &inbox)
		return len(inbox) == 1
	})
	if inbox[0].ID != resp.ID || inbox[0].Text != "yo" || inbox[0].Type != "text" || inbox[0].From != alice.JID {
		t.Fatalf("inbox = %+v", inbox)
	}
	var none []ReceivedMessage
	c.do("GET", "/phones/+15550000002/messages?chat=%2B15550000003", nil, 404, nil)
	c.do("GET", "/phones/+15550000002/messages?chat=15550000001@s.whatsapp.net", nil, 200, &none)
	if len(none) != 1 {
		t.Fatalf("filtered inbox = %+v", none)
	}
	c.do("POST", "/phones/+15550000002/read", map[string]any{"chat": "+15550000001", "ids": []string{resp.ID}}, 204, nil)
	waitEvent(tc, 5*time.Second, func(r *events.Receipt) bool { return r.MessageIDs[0] == resp.ID && r.Type == "read" })

	// A phone creates a group with Alice.
	var g GroupDTO
	c.do("POST", "/groups", map[string]any{"phone": "+15550000002", "subject": "G", "members": []string{"+15550000001"}}, 201, &g)
	waitEvent(tc, 5*time.Second, func(e *events.JoinedGroup) bool { return e.JID == g.JID })
	c.do("POST", "/phones/+15550000002/messages", map[string]string{"to": g.JID.String(), "text": "in group"}, 201, &sent)
	waitEvent(tc, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == sent.ID && m.Message.GetConversation() == "in group" })
	c.do("PATCH", "/groups/"+g.JID.String(), map[string]any{"phone": "+15550000002", "subject": "G2"}, 200, &g)
	waitEvent(tc, 5*time.Second, func(e *events.GroupInfo) bool { return e.Name != nil && e.Name.Name == "G2" })
	c.do("POST", "/groups/"+g.JID.String()+"/participants", map[string]any{
		"phone": "+15550000002", "action": "promote", "participants": []string{"+15550000001"},
	}, 200, &g)
	waitEvent(tc, 5*time.Second, func(e *events.GroupInfo) bool { return len(e.Promote) == 1 })
	var inv struct{ Code, Link string }
	c.do("POST", "/groups/"+g.JID.String()+"/invite", map[string]any{"phone": "+15550000002"}, 200, &inv)
	if inv.Code == "" {
		t.Fatal("no invite code")
	}
	c.do("POST", "/groups/"+g.JID.String()+"/participants", map[string]any{"phone": "+15550000002", "action": "explode"}, 422, nil)
	var call struct{ CallID string }
	c.do("POST", "/phones/+15550000002/calls", map[string]any{"to": "+15550000001"}, 201, &call)
	waitEvent(tc, 5*time.Second, func(e *events.CallOffer) bool { return e.CallID == call.CallID })
	c.do("POST", "/phones/+15550000002/calls", map[string]any{"to": "+15550000001", "end": call.CallID}, 204, nil)
	c.do("POST", "/phones/+15550000001/history-sync", map[string]any{}, 204, nil)
	waitEvent[*events.HistorySync](tc, 5*time.Second, nil)
	c.do("POST", "/phones/+15550000001/app-state-keys", nil, 204, nil)
	waitEvent(tc, 10*time.Second, func(e *events.AppStateSyncComplete) bool { return e.Name == "regular_low" })
	c.do("POST", "/phones/+15550000001/chat-settings", map[string]any{"chat": "+15550000002", "archived": true}, 204, nil)
	waitEvent(tc, 5*time.Second, func(e *events.Archive) bool { return e.JID == bob.JID && e.Action.GetArchived() })
	c.do("POST", "/phones/+15550000001/chat-settings", map[string]any{"chat": "+15550000002"}, 422, nil)
	c.do("POST", "/phones/+15550000001/contacts", map[string]any{"contact": "+15550000002", "fullName": "Bob B"}, 204, nil)
	waitEvent(tc, 5*time.Second, func(e *events.Contact) bool { return e.JID == bob.JID && e.Action.GetFullName() == "Bob B" })
	c.do("GET", "/nope", nil, 404, nil)
}
