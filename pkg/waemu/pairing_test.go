package waemu

import (
	"testing"
	"time"
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
