package waemu

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

func TestPresenceAndChatState(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	ctx := t.Context()

	ac.Client.Store.PushName = "Alice"
	if err := ac.Client.SendPresence(ctx, types.PresenceAvailable); err != nil {
		t.Fatalf("send presence: %v", err)
	}
	if err := ac.Client.SubscribePresence(ctx, bob.JID()); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(p *events.Presence) bool { return p.From == bob.JID() && !p.Unavailable })
	bob.SetPresence(false)
	waitEvent(ac, 5*time.Second, func(p *events.Presence) bool { return p.From == bob.JID() && p.Unavailable })
	eventually(t, 5*time.Second, "push name on the connection", func() bool {
		conns := srv.ActiveConnections()
		return len(conns) == 1 && conns[0].PushName == "Alice"
	})
	eventually(t, 5*time.Second, "client presence recorded", func() bool {
		for _, p := range srv.ClientPresences() {
			if p.Type == "available" && p.Name == "Alice" {
				return true
			}
		}
		return false
	})

	if err := ac.Client.SendChatPresence(ctx, bob.JID(), types.ChatPresenceComposing, ""); err != nil {
		t.Fatalf("chat presence: %v", err)
	}
	eventually(t, 5*time.Second, "bob sees typing", func() bool {
		cs := bob.ChatStates()
		return len(cs) == 1 && cs[0].State == "composing" && cs[0].From == alice.JID()
	})
	if err := bob.SendChatPresence(alice.JID(), "composing"); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(c *events.ChatPresence) bool {
		return c.Chat == bob.JID() && c.State == types.ChatPresenceComposing
	})
}
