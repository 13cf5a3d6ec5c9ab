package wa

import (
	"errors"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/appstate"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
)

// TestChatArchiveAndPin: archive and pin commands become app state patches
// the phone applies, reported as chat.updated like changes made on the
// phone; a payload setting neither is refused.
func TestChatArchiveAndPin(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, waemu.Options{AppStateOnLink: true})
	owner, _ := e.srv.CreatePhone("+15550000081", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000082", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)

	yes := true
	run := func(state commands.ChatState) (commands.Command, error) {
		cmd, err := commands.NewCommand(commands.KindChatState, "t1", "s1", "", bob.JID().String(), state)
		if err != nil {
			t.Fatal(err)
		}
		return cmd, m.Execute(e.ctx, cmd)
	}
	// The client needs the app state keys the phone shares at linking.
	var err error
	testutil.Eventually(t, 15*time.Second, func() bool { _, err = run(commands.ChatState{Archived: &yes}); return err == nil }, "archive accepted: %v", err)
	applied := func(index string) bool { // the phone's latest state
		set := false
		for _, mu := range owner.AppStateMutations() {
			if len(mu.Index) == 2 && mu.Index[0] == index && mu.Index[1] == bob.JID().String() {
				switch index {
				case appstate.IndexArchive:
					set = mu.Action.GetArchiveChatAction().GetArchived()
				case appstate.IndexPin:
					set = mu.Action.GetPinAction().GetPinned()
				}
			}
		}
		return set
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return applied(appstate.IndexArchive) }, "phone applied the archive")
	// Reported like a change made on the phone.
	wait(e, events.ChatUpdated, func(d events.ChatUpdatedData) bool {
		return d.Chat == bob.JID().String() && d.Archived != nil && *d.Archived
	})

	if _, err := run(commands.ChatState{Pinned: &yes}); err != nil {
		t.Fatalf("pin: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return applied(appstate.IndexPin) }, "phone applied the pin")
	wait(e, events.ChatUpdated, func(d events.ChatUpdatedData) bool {
		return d.Chat == bob.JID().String() && d.Pinned != nil && *d.Pinned
	})

	var ce *commands.Error
	if _, err := run(commands.ChatState{}); !errors.As(err, &ce) || ce.Code != commands.CodeValidation {
		t.Fatalf("empty chat state: %v, want VALIDATION_FAILED", err)
	}
}
