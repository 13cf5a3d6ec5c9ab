package wa

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
)

func deviceOf(t *testing.T, m *Manager, id string) types.JID {
	t.Helper()
	b, err := m.store.Binding(t.Context(), id)
	if err != nil || b.JID.IsEmpty() {
		t.Fatalf("binding of %s: %+v %v", id, b, err)
	}
	return b.JID
}

// A replaced stream is reported (state + event) and not answered with a reconnect.
func TestStreamReplacedIsReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000011", "Owner")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)
	reconnects := len(e.rec.find(events.SessionReconnecting, nil))
	if !e.srv.KickReplaced(deviceOf(t, m, "s1")) {
		t.Fatal("emulator has no connection to kick")
	}
	wait(e, events.SessionDisconnected, func(d events.SessionDisconnectedData) bool { return d.Reason == "stream replaced" })
	testutil.Eventually(t, 10*time.Second, func() bool {
		st := e.state("s1")
		return st.Status == control.StatusDisconnected && strings.Contains(st.Error, "stream replaced")
	}, "state shows the replaced stream")
	if n := len(e.rec.find(events.SessionReconnecting, nil)); n != reconnects {
		t.Fatalf("a replaced stream triggered %d reconnect(s)", n-reconnects)
	}
}

// State writes carry the epoch and are refused once a newer owner wrote.
func TestStateWritesAreFenced(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000021", "Owner")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 5)
	kv, _ := e.js.KeyValue(e.ctx, natsx.BucketSessionState)
	newer := control.SessionState{Session: "s1", Tenant: "t1", Status: control.StatusStarting, Owner: "pod-b", Epoch: 9}
	if _, err := control.Put(e.ctx, kv, "s1", newer); err != nil {
		t.Fatal(err)
	}
	s := m.get("s1")
	err := s.setState(e.ctx, func(st *control.SessionState) { st.Status = control.StatusDisconnected })
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("write over a newer epoch: %v, want ErrFenced", err)
	}
	m.Stop(e.ctx, "s1", "lease_lost")
	if st := e.state("s1"); st.Owner != "pod-b" || st.Epoch != 9 || st.Status != control.StatusStarting {
		t.Fatalf("old owner overwrote the state: %+v", st)
	}
}

// A Logout bump unlinks the device at WhatsApp, reports it and starts a new pairing.
func TestLogoutRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000031", "Owner")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)
	qrs := len(e.rec.find(events.SessionQR, nil))
	d := def("s1")
	d.Logout = 1
	if err := m.Start(e.ctx, d, 1); err != nil {
		t.Fatalf("apply logout: %v", err)
	}
	wait(e, events.SessionLoggedOut, func(d events.SessionLoggedOutData) bool { return d.Reason == "logout requested" })
	testutil.Eventually(t, 10*time.Second, func() bool { return len(owner.Devices()) == 0 }, "device unlinked at WhatsApp")
	testutil.Eventually(t, 10*time.Second, func() bool { return len(e.rec.find(events.SessionQR, nil)) > qrs }, "new QR after logout")
	if b, _ := m.store.Binding(e.ctx, "s1"); !b.JID.IsEmpty() || b.LogoutSeen != 1 {
		t.Fatalf("binding after logout = %+v", b)
	}
	// Applying the same definition again does not log out twice.
	if err := m.Start(e.ctx, d, 1); err != nil {
		t.Fatal(err)
	}
	if n := len(e.rec.find(events.SessionLoggedOut, nil)); n != 1 {
		t.Fatalf("%d logged_out events", n)
	}
}

// Unlinking from the phone is a logout by WhatsApp; Delete wipes everything.
func TestUnlinkedByPhoneThenDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000041", "Owner")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)
	if err := owner.Unlink(deviceOf(t, m, "s1")); err != nil {
		t.Fatal(err)
	}
	wait[events.SessionLoggedOutData](e, events.SessionLoggedOut, nil)
	testutil.Eventually(t, 10*time.Second, func() bool { return e.state("s1").Status == control.StatusLoggedOut }, "logged_out state")
	cmd, _ := commands.NewCommand(commands.KindSendMessage, "t1", "s1", ids.NewMessageID(), "15550000042@s.whatsapp.net",
		commands.SendMessage{Type: events.TypeText, Text: "x"})
	var ce *commands.Error
	if err := m.Execute(e.ctx, cmd); !errors.As(err, &ce) || ce.Code != commands.CodeSessionNotConnected {
		t.Fatalf("send while logged out: %v", err)
	}
	wait(e, events.MessageFailed, func(d events.MessageFailedData) bool {
		return d.ID == cmd.MessageID && d.Code == "SESSION_NOT_CONNECTED"
	})
	if err := m.Delete(e.ctx, "s1"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if st := e.state("s1"); st.Session != "" {
		t.Fatalf("state survived delete: %+v", st)
	}
	if b, _ := m.store.Binding(e.ctx, "s1"); !b.JID.IsEmpty() || b.LogoutSeen != 0 {
		t.Fatalf("binding survived delete: %+v", b)
	}
	if len(m.Running()) != 0 {
		t.Fatalf("running after delete: %v", m.Running())
	}
}

// A dropped connection is reported and whatsmeow reconnects on its own.
func TestReconnectAfterDrop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000091", "Owner")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)
	connects := e.rec.count("s1", events.SessionConnected)
	if !e.srv.DropConnection(deviceOf(t, m, "s1")) {
		t.Fatal("no connection to drop")
	}
	_, rc := wait(e, events.SessionReconnecting, func(d events.SessionReconnectingData) bool { return d.Attempt >= 1 })
	if rc.Reason == "" {
		t.Fatalf("session.reconnecting = %+v", rc)
	}
	if _, err := e.rec.waitCount(e.ctx, "s1", events.SessionConnected, connects); err != nil {
		t.Fatalf("not reconnected: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return e.state("s1").Status == control.StatusConnected }, "connected again")
}

// A temporary ban is reported with its code and expiry.
func TestTemporaryBan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000101", "Owner")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)
	e.srv.TempBan(owner.JID(), 101, time.Hour)
	_, ban := wait[events.SessionTemporaryBanData](e, events.SessionTemporaryBan, nil)
	if ban.Code != 101 || ban.ExpiresAt.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("session.temporary_ban = %+v", ban)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return e.state("s1").Status == control.StatusBanned }, "banned state")
}

// Pairing by code: the RPC asks WhatsApp for a code, publishes
// session.pair_code, and typing it on the phone links the session.
func TestPairingCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000111", "Owner")
	m := e.manager("", "pod-a")
	if err := m.Start(e.ctx, def("s1"), 1); err != nil {
		t.Fatal(err)
	}
	wait(e, events.SessionQR, func(events.SessionQRData) bool { return true }) // the client is up
	raw, _ := jsonRaw(commands.PairCodeRequest{Phone: "+1 555 000 0111"})
	out, err := m.Call(e.ctx, commands.Request{Tenant: "t1", Session: "s1", Op: commands.OpPairCode, Payload: raw})
	if err != nil {
		t.Fatalf("pair code: %v", err)
	}
	code := out.(commands.PairCodeResponse)
	if code.Code == "" || code.ExpiresAt.Before(time.Now()) {
		t.Fatalf("pair code = %+v", code)
	}
	wait(e, events.SessionPairCode, func(d events.SessionPairCodeData) bool { return d.Code == code.Code && d.Phone == "15550000111" })
	if _, err := owner.EnterPairCode(e.ctx, code.Code); err != nil {
		t.Fatalf("enter code: %v", err)
	}
	wait(e, events.SessionConnected, func(d events.SessionConnectedData) bool { return d.Phone == "15550000111" })
	raw, _ = jsonRaw(commands.PairCodeRequest{Phone: "12"})
	if _, err := m.Call(e.ctx, commands.Request{Tenant: "t1", Session: "s1", Op: commands.OpPairCode, Payload: raw}); commands.CodeOf(err) != commands.CodeValidation {
		t.Fatalf("bad phone: %v", err)
	}
}

// A Restart bump while waiting for a scan starts a fresh pairing whose QR
// links the session; the old client's codes are not published any more.
func TestRestartWhilePairing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000121", "Owner")
	m := e.manager("", "pod-a")
	if err := m.Start(e.ctx, def("s1"), 1); err != nil {
		t.Fatal(err)
	}
	first, err := e.rec.waitCount(e.ctx, "s1", events.SessionQR, 0)
	if err != nil {
		t.Fatal(err)
	}
	d := def("s1")
	d.Restart = 1
	if err := m.Start(e.ctx, d, 1); err != nil {
		t.Fatalf("restart: %v", err)
	}
	_, qr := wait(e, events.SessionQR, func(q events.SessionQRData) bool {
		old, _ := events.DecodeData[events.SessionQRData](first)
		return q.Code != old.Code && q.Attempt == 1
	})
	if _, err := owner.ScanQR(e.ctx, qr.Code); err != nil {
		t.Fatalf("scan the new code: %v", err)
	}
	wait[events.SessionConnectedData](e, events.SessionConnected, nil)
}

// A failed connect is returned to the caller (who retries), leaves nothing
// running, and a later Start succeeds.
func TestStartFailureIsRetryable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager("", "pod-a")
	m.cfg.Configure = func(cli *whatsmeow.Client) {
		cli.SetWebsocketHTTPClient(&http.Client{Transport: &http.Transport{
			DialContext: func(context.Context, string, string) (net.Conn, error) { return nil, errors.New("no route") }}})
	}
	if err := m.Start(e.ctx, def("s1"), 1); err == nil {
		t.Fatal("start without a reachable WhatsApp succeeded")
	}
	if len(m.Running()) != 0 {
		t.Fatalf("running after a failed start: %v", m.Running())
	}
	m.cfg.Configure = e.srv.Configure
	if err := m.Start(e.ctx, def("s1"), 1); err != nil {
		t.Fatalf("second start: %v", err)
	}
	wait(e, events.SessionQR, func(events.SessionQRData) bool { return true })
}
