package waemu

import (
	"net/http/httptest"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

func TestControlHTTPPairCodeAndLifecycle(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	hs := httptest.NewServer(srv.ControlHandler())
	t.Cleanup(hs.Close)
	c := ctlClient{t: t, url: hs.URL}
	var alice PhoneDTO
	c.do("POST", "/phones", map[string]string{"phone": "+15550000001", "name": "Alice"}, 201, &alice)
	c.do("POST", "/phones", map[string]string{"phone": "+15550000002", "name": "Bob"}, 201, nil)

	tc := newTestClient(t, srv, "")
	if err := tc.Client.Connect(); err != nil {
		t.Fatal(err)
	}
	waitEvent[*events.QR](tc, 10*time.Second, nil)
	code, err := tc.Client.PairPhone(t.Context(), "+15550000001", true, whatsmeow.PairClientChrome, "Chrome (Linux)")
	if err != nil {
		t.Fatal(err)
	}
	var paired struct{ Device types.JID }
	c.do("POST", "/phones/+15550000001/pair-code", map[string]string{"code": code}, 200, &paired)
	waitEvent[*events.Connected](tc, 30*time.Second, nil)
	c.do("GET", "/phones/+15550000001", nil, 200, &alice)
	if len(alice.Devices) != 1 || alice.Devices[0] != paired.Device {
		t.Fatalf("alice = %+v, paired %s", alice, paired.Device)
	}

	// Presence, typing, receipts, calls and groups read back.
	c.do("POST", "/phones/+15550000002/presence", map[string]any{"available": true, "to": "+15550000001", "state": "composing"}, 204, nil)
	waitEvent(tc, 5*time.Second, func(e *events.ChatPresence) bool { return e.State == types.ChatPresenceComposing })
	bob, err := srv.Phone("+15550000002")
	if err != nil {
		t.Fatal(err)
	}
	id, err := bob.SendText(t.Context(), alice.JID, "hi")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(tc, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id })
	var receipts []PhoneReceipt
	eventually(t, 5*time.Second, "delivery receipt listed", func() bool {
		c.do("GET", "/phones/+15550000002/receipts", nil, 200, &receipts)
		return len(receipts) > 0 && receipts[0].IDs[0] == id
	})
	var call struct{ CallID string }
	c.do("POST", "/phones/+15550000002/calls", map[string]any{"to": "+15550000001"}, 201, &call)
	offer := waitEvent(tc, 5*time.Second, func(e *events.CallOffer) bool { return e.CallID == call.CallID })
	if err := tc.Client.RejectCall(t.Context(), offer.From, call.CallID); err != nil {
		t.Fatal(err)
	}
	var calls []CallEvent
	eventually(t, 5*time.Second, "reject listed", func() bool {
		c.do("GET", "/phones/+15550000002/calls", nil, 200, &calls)
		return len(calls) == 1 && calls[0].Action == "reject"
	})
	var g GroupDTO
	c.do("POST", "/groups", map[string]any{"phone": "+15550000002", "name": "G", "members": []string{"+15550000001"}}, 201, &g)
	c.do("GET", "/groups/"+g.JID.String(), nil, 200, &g)
	if g.Subject != "G" || len(g.Members) != 2 {
		t.Fatalf("group = %+v", g)
	}
	c.do("GET", "/groups/nope", nil, 422, nil)
	var unhandled []UnhandledNode
	c.do("GET", "/unhandled", nil, 200, &unhandled)
	if len(unhandled) != 0 {
		t.Fatalf("unhandled = %+v", unhandled)
	}

	// Unlinking from the phone logs the client out.
	c.do("DELETE", "/phones/+15550000001/devices/"+paired.Device.String(), nil, 204, nil)
	waitEvent[*events.LoggedOut](tc, 5*time.Second, nil)
	c.do("DELETE", "/phones/+15550000001/devices/"+paired.Device.String(), nil, 404, nil)
}

func TestUnhandledNodesAreRecorded(t *testing.T) {
	t.Parallel()
	srv, err := Start(t.Context(), Options{}) // not startServer: unhandled nodes are the point
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	alice := mustPhone(t, srv, 1, "Alice")
	ac := pairQR(t, srv, alice, "")
	if _, err := ac.Client.GetBusinessProfile(t.Context(), alice.JID()); err == nil {
		t.Fatal("business profile query succeeded against an emulator that does not model it")
	}
	un := srv.UnhandledNodes()
	if len(un) != 1 || un[0].Device != *ac.Client.Store.ID {
		t.Fatalf("unhandled = %+v", un)
	}
	// The client keeps working after an unhandled query.
	if _, err := ac.Client.SendMessage(t.Context(), alice.JID(), &waE2E.Message{Conversation: proto.String("note to self")}); err != nil {
		t.Fatal(err)
	}
}
