package waemu

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types/events"
)

func TestQRPairingAndLogin(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	tc := pairQR(t, srv, alice, "")
	if got := tc.Client.Store.ID; got == nil || got.User != alice.JID().User || got.Device != 1 {
		t.Fatalf("store id = %v", got)
	}
	eventually(t, 5*time.Second, "active connection", func() bool {
		conns := srv.ActiveConnections()
		return len(conns) == 1 && conns[0].Device == *tc.Client.Store.ID
	})
}

func TestPairingCode(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	tc := newTestClient(t, srv, "")
	if err := tc.Client.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	waitEvent[*events.QR](tc, 10*time.Second, nil)
	code, err := tc.Client.PairPhone(t.Context(), alice.Number(), true, whatsmeow.PairClientChrome, "Chrome (Linux)")
	if err != nil {
		t.Fatalf("pair phone: %v", err)
	}
	dev, err := alice.EnterPairCode(t.Context(), code)
	if err != nil {
		t.Fatalf("enter code: %v", err)
	}
	waitEvent[*events.PairSuccess](tc, 10*time.Second, nil)
	waitEvent[*events.Connected](tc, 30*time.Second, nil)
	if *tc.Client.Store.ID != dev {
		t.Fatalf("store id %s, want %s", tc.Client.Store.ID, dev)
	}
}

func TestQRLaterRefStillLinks(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	tc := newTestClient(t, srv, "")
	if err := tc.Client.Connect(); err != nil {
		t.Fatal(err)
	}
	qr := waitEvent[*events.QR](tc, 10*time.Second, nil)
	if len(qr.Codes) < 2 {
		t.Fatalf("only %d QR codes, no rotation possible", len(qr.Codes))
	}
	if _, err := alice.ScanQR(t.Context(), "bogus,AAAA,AAAA,AAAA"); err == nil {
		t.Fatal("bogus QR accepted")
	}
	if _, err := alice.ScanQR(t.Context(), qr.Codes[len(qr.Codes)-1]); err != nil {
		t.Fatalf("scan rotated code: %v", err)
	}
	waitEvent[*events.Connected](tc, 30*time.Second, nil)
}
