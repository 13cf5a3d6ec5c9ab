package wa

import (
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
)

// TestHistorySyncPublishesMessages: the history a phone sends a newly
// linked session becomes message.received / message.sent events with the
// ids live delivery uses, and history.synced gets a deterministic id.
func TestHistorySyncPublishesMessages(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, waemu.Options{HistorySyncOnLink: true})
	owner, _ := e.srv.CreatePhone("+15550000091", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000092", "Bob")
	inID, err := bob.SendText(e.ctx, owner.JID(), "before you linked")
	if err != nil {
		t.Fatalf("bob sends: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, m := range owner.Messages() {
			if m.ID == inID {
				return true
			}
		}
		return false
	}, "owner's phone has bob's message")
	// Read on the phone; a later message stays unread (another second:
	// history carries whole seconds).
	if err := owner.MarkRead(bob.JID(), inID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	unreadID, err := bob.SendText(e.ctx, owner.JID(), "not read yet")
	if err != nil {
		t.Fatalf("bob sends: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		for _, m := range owner.Messages() {
			if m.ID == unreadID {
				return true
			}
		}
		return false
	}, "owner's phone has bob's second message")
	outID, err := owner.SendText(e.ctx, bob.JID(), "sent from the phone")
	if err != nil {
		t.Fatalf("owner sends: %v", err)
	}

	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)
	hsEv, hs := wait[events.HistorySyncedData](e, events.HistorySynced, nil)
	if hs.SyncType != "INITIAL_BOOTSTRAP" || hs.Messages != 3 || hsEv.ID != events.DeriveID("s1", "history.synced", "INITIAL_BOOTSTRAP", "1") {
		t.Fatalf("history.synced %s = %+v", hsEv.ID, hs)
	}
	ev, rd := wait(e, events.MessageReceived, func(d events.MessageData) bool { return d.ID == inID })
	if rd.Text != "before you linked" || rd.Chat != bob.JID().String() || rd.Sender != bob.JID().String() || rd.FromMe ||
		ev.ID != events.DeriveID("s1", inID, string(events.MessageReceived)) {
		t.Fatalf("history message.received %s = %+v", ev.ID, rd)
	}
	// The phone's unread count (1) becomes a read mark at the read message.
	_, cu := wait(e, events.ChatUpdated, func(d events.ChatUpdatedData) bool { return d.MarkedRead != nil && *d.MarkedRead })
	if cu.Chat != bob.JID().String() || !cu.Timestamp.Equal(rd.Timestamp) {
		t.Fatalf("history read mark = %+v, want %s up to %s", cu, bob.JID(), rd.Timestamp)
	}
	ev, sd := wait(e, events.MessageSent, func(d events.MessageData) bool { return d.ID == outID })
	if sd.Text != "sent from the phone" || sd.Chat != bob.JID().String() || !sd.FromMe ||
		ev.ID != events.DeriveID("s1", outID, string(events.MessageSent)) {
		t.Fatalf("history message.sent %s = %+v", ev.ID, sd)
	}
	// whatsmeow acknowledges the chunk after our handler returned; let those
	// receipts arrive before the emulator closes (its socket races otherwise).
	dev := deviceOf(t, m, "s1")
	testutil.Eventually(t, 10*time.Second, func() bool {
		types := map[string]bool{}
		for _, r := range e.srv.ClientReceipts() {
			if r.Device == dev {
				types[r.Type] = true
			}
		}
		return types["hist_sync"] && types["peer_msg"]
	}, "history sync receipts")
}
