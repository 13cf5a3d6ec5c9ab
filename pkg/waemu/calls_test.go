package waemu

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"
)

func TestCalls(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	callID, err := bob.Call(alice.JID(), false)
	if err != nil {
		t.Fatal(err)
	}
	offer := waitEvent(ac, 5*time.Second, func(e *events.CallOffer) bool { return e.CallID == callID })
	if offer.CallCreator != bob.JID() {
		t.Fatalf("offer = %+v", offer.BasicCallMeta)
	}
	if err := ac.Client.RejectCall(t.Context(), offer.From, callID); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "bob sees reject", func() bool {
		calls := bob.Calls()
		return len(calls) == 1 && calls[0].Action == "reject" && calls[0].CallID == callID
	})
	second, _ := bob.Call(alice.JID(), true)
	if err := bob.EndCall(alice.JID(), second); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.CallTerminate) bool { return e.CallID == second })
}
