package wa

import (
	"slices"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestGroups: a group created on a phone arrives as group.joined; the
// session creates a group by RPC, reads it back, sends into it and the
// member decrypts the group message; a group action changes the subject.
func TestGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner, _ := e.srv.CreatePhone("+15550000081", "Owner")
	bob, _ := e.srv.CreatePhone("+15550000082", "Bob")
	m := e.manager("", "pod-a")
	pair(t, e, m, "s1", owner, 1)

	theirs, err := bob.CreateGroup("Bob's group", owner.JID())
	if err != nil {
		t.Fatal(err)
	}
	_, joined := wait(e, events.GroupJoined, func(d events.GroupData) bool { return d.JID == theirs.String() })
	if joined.Subject != "Bob's group" || len(joined.Participants) != 2 {
		t.Fatalf("group.joined = %+v", joined)
	}

	raw, _ := jsonRaw(commands.GroupCreateRequest{Subject: "Ours", Participants: []string{bob.JID().String()}})
	out, err := m.Call(e.ctx, commands.Request{Tenant: "t1", Session: "s1", Op: commands.OpGroupCreate, Payload: raw})
	if err != nil {
		t.Fatalf("group create: %v", err)
	}
	ours := out.(commands.GroupInfo)
	raw, _ = jsonRaw(commands.GroupRequest{Group: ours.JID})
	out, err = m.Call(e.ctx, commands.Request{Tenant: "t1", Session: "s1", Op: commands.OpGroupInfo, Payload: raw})
	info, _ := out.(commands.GroupInfo)
	if err != nil || info.Subject != "Ours" || !slices.ContainsFunc(info.Participants, func(p commands.GroupParticipant) bool { return p.JID == bob.JID().String() }) {
		t.Fatalf("group info = %+v, %v", info, err)
	}

	msgID := ids.NewMessageID()
	cmd, _ := commands.NewCommand(commands.KindSendMessage, "t1", "s1", msgID, ours.JID, commands.SendMessage{Type: events.TypeText, Text: "hi group"})
	if err := m.Execute(e.ctx, cmd); err != nil {
		t.Fatalf("group send: %v", err)
	}
	testutil.Eventually(t, 10*time.Second, func() bool { return countText(bob, msgID, "hi group") == 1 }, "bob decrypts the group message")
	if _, sd := wait(e, events.MessageSent, func(d events.MessageData) bool { return d.ID == msgID }); !sd.IsGroup || sd.Chat != ours.JID {
		t.Fatalf("group message.sent = %+v", sd)
	}

	act, _ := commands.NewCommand(commands.KindGroupAction, "t1", "s1", "", ours.JID, commands.GroupAction{Action: "subject", Value: "Renamed"})
	if err := m.Execute(e.ctx, act); err != nil {
		t.Fatalf("rename: %v", err)
	}
	out, err = m.Call(e.ctx, commands.Request{Tenant: "t1", Session: "s1", Op: commands.OpGroupInfo, Payload: raw})
	if info, _ := out.(commands.GroupInfo); err != nil || info.Subject != "Renamed" {
		t.Fatalf("after rename: %+v, %v", out, err)
	}
}
