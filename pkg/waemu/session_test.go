package waemu

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

func TestReconnectWithStoredCredentials(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	first := pairQR(t, srv, alice, "")
	dev := *first.Client.Store.ID
	first.close()
	eventually(t, 5*time.Second, "disconnect", func() bool { return len(srv.ActiveConnections()) == 0 })

	// A message sent while the client is offline is delivered on login.
	id, err := bob.SendText(t.Context(), alice.JID(), "while you were away")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	second := newTestClient(t, srv, first.path)
	if second.Client.Store.ID == nil || *second.Client.Store.ID != dev {
		t.Fatalf("stored id = %v, want %s", second.Client.Store.ID, dev)
	}
	if err := second.Client.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	waitEvent[*events.Connected](second, 10*time.Second, nil)
	waitEvent(second, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id })
}

func TestReplacedConflict(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	first := pairQR(t, srv, alice, "")
	firstConn := srv.ActiveConnections()[0].ConnID

	// A second process opens the same stored session: the older one is replaced.
	second := newTestClient(t, srv, first.path)
	if err := second.Client.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	waitEvent[*events.Connected](second, 10*time.Second, nil)
	waitEvent[*events.StreamReplaced](first, 5*time.Second, nil)
	eventually(t, 5*time.Second, "single owner", func() bool {
		conns := srv.ActiveConnections()
		return len(conns) == 1 && conns[0].ConnID != firstConn
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")

	t.Run("client", func(t *testing.T) {
		tc := pairQR(t, srv, alice, "")
		if err := tc.Client.Logout(t.Context()); err != nil {
			t.Fatalf("logout: %v", err)
		}
		eventually(t, 5*time.Second, "device removed", func() bool { return len(alice.Devices()) == 0 })
	})
	t.Run("phone", func(t *testing.T) {
		tc := pairQR(t, srv, alice, "")
		if err := alice.Unlink(*tc.Client.Store.ID); err != nil {
			t.Fatalf("unlink: %v", err)
		}
		waitEvent[*events.LoggedOut](tc, 5*time.Second, nil)
		if len(alice.Devices()) != 0 {
			t.Fatalf("devices left: %v", alice.Devices())
		}
	})
}

func TestTemporaryBan(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	tc := pairQR(t, srv, alice, "")
	tc.Client.EnableAutoReconnect = false
	srv.TempBan(alice.JID(), 101, time.Hour)
	eventually(t, 5*time.Second, "dropped", func() bool { return len(srv.ActiveConnections()) == 0 })
	tc.Client.Disconnect()
	if err := tc.Client.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	ban := waitEvent[*events.TemporaryBan](tc, 5*time.Second, nil)
	if ban.Code != 101 {
		t.Fatalf("ban code = %d", ban.Code)
	}
}

func TestUnknownDeviceIsLoggedOut(t *testing.T) {
	t.Parallel()
	srvA := startServer(t)
	srvB := startServer(t) // shares the default root key with srvA
	tc := pairQR(t, srvA, mustPhone(t, srvA, 1, "Alice"), "")
	tc.close()
	again := newTestClient(t, srvB, tc.path)
	if err := again.Client.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	lo := waitEvent[*events.LoggedOut](again, 5*time.Second, nil)
	if !lo.OnConnect {
		t.Fatalf("logged out = %+v", lo)
	}
}

func TestHistorySync(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	if _, err := bob.SendText(t.Context(), alice.JID(), "old message"); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.SendText(t.Context(), bob.JID(), "old reply"); err != nil {
		t.Fatal(err)
	}
	ac := pairQR(t, srv, alice, "")
	if err := alice.SendHistorySync(t.Context(), *ac.Client.Store.ID); err != nil {
		t.Fatalf("history sync: %v", err)
	}
	hs := waitEvent[*events.HistorySync](ac, 5*time.Second, nil)
	convs := hs.Data.GetConversations()
	if len(convs) != 1 || convs[0].GetID() != bob.JID().String() || len(convs[0].GetMessages()) != 2 {
		t.Fatalf("history = %v", convs)
	}
}

func TestHistorySyncOnLinkAndWaitMessage(t *testing.T) {
	t.Parallel()
	srv := startServerWith(t, Options{HistorySyncOnLink: true})
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	waitEvent[*events.HistorySync](ac, 5*time.Second, nil)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	go func() {
		_, _ = ac.Client.SendMessage(ctx, bob.JID(), &waE2E.Message{Conversation: proto.String("wait for me")})
	}()
	m, err := bob.WaitMessage(ctx, func(m ReceivedMessage) bool { return m.Text == "wait for me" })
	if err != nil || m.From != alice.JID() {
		t.Fatalf("wait = %+v, %v", m, err)
	}
	short, cancel2 := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel2()
	if _, err := bob.WaitMessage(short, func(m ReceivedMessage) bool { return m.Text == "never" }); err == nil {
		t.Fatal("wait for a missing message returned no error")
	}
}
