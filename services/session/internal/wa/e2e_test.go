package wa

import (
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
)

// pair starts a session on m and links it to owner by QR.
func pair(t *testing.T, e *env, m *Manager, id string, owner *waemu.Phone, epoch uint64) {
	t.Helper()
	if err := m.Start(e.ctx, def(id), epoch); err != nil {
		t.Fatalf("start: %v", err)
	}
	_, qr := wait(e, events.SessionQR, func(d events.SessionQRData) bool { return d.Code != "" })
	if st := e.state(id); st.Status != control.StatusQR || st.QR != qr.Code || st.QRExpiresAt == nil || st.Epoch != epoch {
		t.Fatalf("state while waiting for the scan = %+v", st)
	}
	if _, err := owner.ScanQR(e.ctx, qr.Code); err != nil {
		t.Fatalf("scan: %v", err)
	}
	_, conn := wait[events.SessionConnectedData](e, events.SessionConnected, nil)
	if conn.Phone != owner.JID().User {
		t.Fatalf("connected as %+v, want phone %s", conn, owner.JID().User)
	}
	testutil.Eventually(t, 10*time.Second, func() bool {
		st := e.state(id)
		return st.Status == control.StatusConnected && st.JID == conn.JID && st.QR == "" && st.Owner == "pod-a"
	}, "state connected")
}

// TestEndToEnd is the acceptance path on a Postgres device store:
// QR pairing, a send decrypted by the recipient with sent/delivered/read
// events, idempotent redelivery, an inbound message, and a restart from the
// store without a new QR.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dsn := testutil.Postgres(t)
	owner, _ := e.srv.CreatePhone("+15550000001", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000002", "Bob")
	m := e.manager(dsn, "pod-a")
	pair(t, e, m, "s1", owner, 7)

	// Send: the recipient decrypts it; message.sent carries the pre-generated id.
	msgID := ids.NewMessageID()
	cmd, err := commands.NewCommand(commands.KindSendMessage, "t1", "s1", msgID, bob.JID().String(),
		commands.SendMessage{Type: events.TypeText, Text: "hello bob"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Execute(e.ctx, cmd); err != nil {
		t.Fatalf("execute: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return countText(bob, msgID, "hello bob") == 1 }, "bob decrypts the message")
	sent, sd := wait(e, events.MessageSent, func(d events.MessageData) bool { return d.ID == msgID })
	if !sd.FromMe || sd.Text != "hello bob" || sd.Chat != bob.JID().String() || sd.Command != cmd.ID || sent.Tenant != "t1" {
		t.Fatalf("message.sent = %+v", sd)
	}

	// A redelivered command does not send twice and re-publishes the same event id.
	if err := m.Execute(e.ctx, cmd); err != nil {
		t.Fatalf("redelivered execute: %v", err)
	}
	if n := countText(bob, msgID, "hello bob"); n != 1 {
		t.Fatalf("bob got the message %d times", n)
	}
	for _, ev := range e.rec.find(events.MessageSent, nil) {
		if d, _ := events.DecodeData[events.MessageData](ev); d.ID == msgID && ev.ID != sent.ID {
			t.Fatalf("redelivery published a new event id %s (first %s)", ev.ID, sent.ID)
		}
	}

	// Receipts from the recipient's phone.
	wait(e, events.MessageDelivered, func(d events.ReceiptData) bool { return len(d.IDs) > 0 && d.IDs[0] == msgID })
	if err := bob.MarkRead(owner.JID(), msgID); err != nil {
		t.Fatalf("mark read: %v", err)
	}
	_, rd := wait(e, events.MessageRead, func(d events.ReceiptData) bool { return len(d.IDs) > 0 && d.IDs[0] == msgID })
	if rd.Recipient != bob.JID().String() {
		t.Fatalf("read by %q, want %s", rd.Recipient, bob.JID())
	}
	if err := bob.MarkPlayed(owner.JID(), msgID); err != nil {
		t.Fatalf("mark played: %v", err)
	}
	wait(e, events.MessagePlayed, func(d events.ReceiptData) bool { return len(d.IDs) > 0 && d.IDs[0] == msgID })

	// Inbound.
	inID, err := bob.SendText(e.ctx, owner.JID(), "hi owner")
	if err != nil {
		t.Fatalf("bob sends: %v", err)
	}
	rcv, rm := wait(e, events.MessageReceived, func(d events.MessageData) bool { return d.ID == inID })
	if rm.Text != "hi owner" || rm.Sender != bob.JID().String() || rm.Chat != bob.JID().String() || rm.FromMe || rm.IsGroup ||
		rm.Type != events.TypeText || rm.PushName != "Bob" || rm.Timestamp.IsZero() || rcv.ID != events.DeriveID("s1", inID, "message.received") {
		t.Fatalf("message.received = %+v (event %s)", rm, rcv.ID)
	}

	// Stop, then a new Manager on the same store reconnects without a QR.
	qrs := len(e.rec.find(events.SessionQR, nil))
	connects := len(e.rec.find(events.SessionConnected, nil))
	m.Stop(e.ctx, "s1", "test restart")
	if len(m.Running()) != 0 {
		t.Fatalf("running after stop: %v", m.Running())
	}
	m2 := e.manager(dsn, "pod-a")
	if err := m2.Start(e.ctx, def("s1"), 8); err != nil {
		t.Fatalf("restart: %v", err)
	}
	testutil.Eventually(t, 30*time.Second, func() bool { return len(e.rec.find(events.SessionConnected, nil)) > connects }, "reconnected")
	if n := len(e.rec.find(events.SessionQR, nil)); n != qrs {
		t.Fatalf("restart asked for a new QR (%d -> %d)", qrs, n)
	}
	if st := e.state("s1"); st.Epoch != 8 {
		t.Fatalf("state epoch after restart = %d", st.Epoch)
	}
	// The executed-command record lives in the shared store: a command
	// redelivered to the next owner is not sent again.
	if err := m2.Execute(e.ctx, cmd); err != nil {
		t.Fatalf("redelivery to the new owner: %v", err)
	}
	if n := countText(bob, msgID, "hello bob"); n != 1 {
		t.Fatalf("bob got the message %d times after a handover", n)
	}
}

func countText(p *waemu.Phone, id, text string) int {
	n := 0
	for _, m := range p.Messages() {
		if m.ID == id && m.Text == text {
			n++
		}
	}
	return n
}
