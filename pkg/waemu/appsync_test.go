package waemu

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/appstate"
	"go.mau.fi/whatsmeow/types/events"
)

func TestAppStateFromPhone(t *testing.T) {
	t.Parallel()
	srv := startServerWith(t, Options{AppStateOnLink: true})
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	for _, name := range appstate.AllPatchNames {
		waitEvent(ac, 10*time.Second, func(e *events.AppStateSyncComplete) bool { return e.Name == name })
	}
	ctx := t.Context()
	if err := alice.SendAppState(ctx, appstate.BuildArchive(bob.JID(), true, time.Now(), nil)); err != nil {
		t.Fatalf("archive: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.Archive) bool { return e.JID == bob.JID() && e.Action.GetArchived() })
	if err := alice.SendAppState(ctx, appstate.BuildPin(bob.JID(), true)); err != nil {
		t.Fatalf("pin: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.Pin) bool { return e.JID == bob.JID() && e.Action.GetPinned() })
	if err := alice.SendAppState(ctx, appstate.BuildMute(bob.JID(), true, time.Hour)); err != nil {
		t.Fatalf("mute: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.Mute) bool { return e.JID == bob.JID() && e.Action.GetMuted() })
	if err := alice.SendAppState(ctx, appstate.BuildMarkChatAsRead(bob.JID(), true, time.Now(), nil)); err != nil {
		t.Fatalf("mark read: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.MarkChatAsRead) bool { return e.JID == bob.JID() })

	if err := alice.SaveContact(ctx, bob.JID(), "Bob Builder", "Bob"); err != nil {
		t.Fatalf("save contact: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.Contact) bool { return e.JID == bob.JID() && e.Action.GetFullName() == "Bob Builder" })
	contact, err := ac.Client.Store.Contacts.GetContact(ctx, bob.JID())
	if err != nil || contact.FullName != "Bob Builder" {
		t.Fatalf("contact = %+v, %v", contact, err)
	}

	// The client pushes its own change; the phone accepts it and stays in sync.
	if err := ac.Client.SendAppState(ctx, appstate.BuildPin(bob.JID(), false)); err != nil {
		t.Fatalf("client pin: %v", err)
	}
	if err := alice.SendAppState(ctx, appstate.BuildArchive(bob.JID(), false, time.Now(), nil)); err != nil {
		t.Fatalf("archive after client change: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.Archive) bool { return e.JID == bob.JID() && !e.Action.GetArchived() })
}
