package waemu

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

func TestGroupCreateSendReceive(t *testing.T) {
	t.Parallel()
	forGroupModes(t, testGroupCreateSendReceive)
}

func testGroupCreateSendReceive(t *testing.T, opts Options) {
	srv := startServerWith(t, opts)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	carol := mustPhone(t, srv, 3, "Carol")
	ac := pairQR(t, srv, alice, "")
	cc := pairQR(t, srv, carol, "")

	info, err := ac.Client.CreateGroup(t.Context(), whatsmeow.ReqCreateGroup{
		Name: "Team", Participants: []types.JID{bob.JID(), carol.JID()},
	})
	if err != nil {
		t.Fatalf("create group: %v", err)
	}
	if len(info.Participants) != 3 || info.Name != "Team" {
		t.Fatalf("group info = %+v", info)
	}
	waitEvent(cc, 5*time.Second, func(e *events.JoinedGroup) bool { return e.JID == info.JID })

	// Client -> group: the phone and the other client decrypt it.
	resp, err := ac.Client.SendMessage(t.Context(), info.JID, &waE2E.Message{Conversation: proto.String("hello team")})
	if err != nil {
		t.Fatalf("send group: %v", err)
	}
	eventually(t, 5*time.Second, "bob got group message", func() bool {
		m := bob.Messages()
		return len(m) == 1 && m[0].Chat == info.JID && m[0].Text == "hello team" && m[0].From == alice.JID()
	})
	got := waitEvent(cc, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == resp.ID && m.Message.GetConversation() != "" })
	if got.Message.GetConversation() != "hello team" || got.Info.Chat != info.JID {
		t.Fatalf("carol's client got %+v", got)
	}
	waitEvent(ac, 5*time.Second, func(r *events.Receipt) bool {
		return r.Chat == info.JID && r.MessageIDs[0] == resp.ID && isUser(r.Sender, bob)
	})
	// A second message reuses the sender key (no SKDM needed).
	if _, err := ac.Client.SendMessage(t.Context(), info.JID, &waE2E.Message{Conversation: proto.String("again")}); err != nil {
		t.Fatalf("send group again: %v", err)
	}
	eventually(t, 5*time.Second, "bob got second", func() bool { return len(bob.Messages()) == 2 })

	// Phone -> group.
	for _, text := range []string{"from bob", "bob again"} {
		id, err := bob.SendText(t.Context(), info.JID, text)
		if err != nil {
			t.Fatalf("bob send: %v", err)
		}
		evt := waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id && m.Message.GetConversation() != "" })
		if evt.Message.GetConversation() != text || evt.Info.Chat != info.JID || !isUser(evt.Info.Sender, bob) {
			t.Fatalf("alice's client got %+v", evt.Info)
		}
	}

	// Admin operations and notifications.
	if err := ac.Client.SetGroupName(t.Context(), info.JID, "Team 2"); err != nil {
		t.Fatalf("set name: %v", err)
	}
	waitEvent(cc, 5*time.Second, func(e *events.GroupInfo) bool { return e.Name != nil && e.Name.Name == "Team 2" })
	if _, err := ac.Client.UpdateGroupParticipants(t.Context(), info.JID, []types.JID{bob.JID()}, whatsmeow.ParticipantChangeRemove); err != nil {
		t.Fatalf("remove: %v", err)
	}
	waitEvent(cc, 5*time.Second, func(e *events.GroupInfo) bool { return len(e.Leave) == 1 && isUser(e.Leave[0], bob) })
	got2, err := ac.Client.GetGroupInfo(t.Context(), info.JID)
	if err != nil || len(got2.Participants) != 2 || got2.Name != "Team 2" {
		t.Fatalf("group info after changes = %+v, %v", got2, err)
	}
	link, err := ac.Client.GetGroupInviteLink(t.Context(), info.JID, false)
	if err != nil {
		t.Fatalf("invite link: %v", err)
	}
	bc := pairQR(t, srv, bob, "")
	joined, err := bc.Client.JoinGroupWithLink(t.Context(), link)
	if err != nil || joined != info.JID {
		t.Fatalf("join = %v, %v", joined, err)
	}
}

func TestPhoneCreatesGroup(t *testing.T) {
	t.Parallel()
	forGroupModes(t, testPhoneCreatesGroup)
}

func testPhoneCreatesGroup(t *testing.T, opts Options) {
	srv := startServerWith(t, opts)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	gjid, err := bob.CreateGroup("Bob's group", alice.JID())
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.JoinedGroup) bool { return e.JID == gjid && e.Name == "Bob's group" })
	id, err := bob.SendText(t.Context(), gjid, "welcome")
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(m *events.Message) bool { return m.Info.ID == id && m.Info.Chat == gjid })
	// The client's read receipt for a group message names the author.
	if err := ac.Client.MarkRead(t.Context(), []types.MessageID{id}, time.Now(), gjid, bob.JID()); err != nil {
		t.Fatalf("mark read: %v", err)
	}
	eventually(t, 5*time.Second, "bob sees read receipt", func() bool {
		for _, r := range bob.Receipts() {
			if r.Type == "read" && r.Chat == gjid && r.IDs[0] == id {
				return true
			}
		}
		return false
	})
	resp, err := ac.Client.SendMessage(t.Context(), gjid, &waE2E.Message{Conversation: proto.String("thanks")})
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	eventually(t, 5*time.Second, "bob got reply", func() bool {
		for _, m := range bob.Messages() {
			if m.ID == resp.ID {
				return true
			}
		}
		return false
	})
	// The phone's read receipt in a group carries the participant.
	if err := bob.MarkRead(gjid, resp.ID); err != nil {
		t.Fatalf("phone mark read: %v", err)
	}
	waitEvent(ac, 5*time.Second, func(r *events.Receipt) bool {
		return r.Type == types.ReceiptTypeRead && r.Chat == gjid && isUser(r.Sender, bob) && r.MessageIDs[0] == resp.ID
	})
}

func TestPhoneGroupAdmin(t *testing.T) {
	t.Parallel()
	forGroupModes(t, testPhoneGroupAdmin)
}

func testPhoneGroupAdmin(t *testing.T, opts Options) {
	srv := startServerWith(t, opts)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	carol := mustPhone(t, srv, 3, "Carol")
	ac := pairQR(t, srv, alice, "")
	gjid, err := bob.CreateGroup("Admin tests", alice.JID())
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.JoinedGroup) bool { return e.JID == gjid })
	if err := bob.UpdateParticipants(gjid, GroupAdd, carol.JID()); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.GroupInfo) bool { return len(e.Join) == 1 && isUser(e.Join[0], carol) })
	if err := bob.UpdateParticipants(gjid, GroupPromote, alice.JID()); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.GroupInfo) bool { return len(e.Promote) == 1 })
	if err := bob.SetGroupSubject(gjid, "Renamed"); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.GroupInfo) bool { return e.Name != nil && e.Name.Name == "Renamed" })
	if err := bob.SetGroupDescription(gjid, "about"); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.GroupInfo) bool { return e.Topic != nil && e.Topic.Topic == "about" })
	if err := bob.SetGroupAnnounce(gjid, true); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.GroupInfo) bool { return e.Announce != nil && e.Announce.IsAnnounce })
	if err := carol.SetGroupLocked(gjid, true); err == nil {
		t.Fatal("non-admin locked the group")
	}
	code, err := bob.GroupInviteCode(gjid, false)
	if err != nil {
		t.Fatal(err)
	}
	dan := mustPhone(t, srv, 4, "Dan")
	if j, err := dan.JoinGroupWithLink(code); err != nil || j != gjid {
		t.Fatalf("join = %v %v", j, err)
	}
	if err := bob.UpdateParticipants(gjid, GroupRemove, alice.JID()); err != nil {
		t.Fatal(err)
	}
	waitEvent(ac, 5*time.Second, func(e *events.GroupInfo) bool { return len(e.Leave) == 1 && isUser(e.Leave[0], alice) })
	if err := bob.LeaveGroup(gjid); err != nil {
		t.Fatal(err)
	}
	members, _ := srv.GroupMembers(gjid)
	if len(members) != 2 {
		t.Fatalf("members = %v", members)
	}
}

// forGroupModes runs a group test with phone-number and with LID addressing.
func forGroupModes(t *testing.T, test func(*testing.T, Options)) {
	for _, mode := range []struct {
		name string
		opts Options
	}{{"pn", Options{}}, {"lid", Options{LIDGroups: true}}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			test(t, mode.opts)
		})
	}
}

// isUser reports whether j is p's phone-number or LID user.
func isUser(j types.JID, p *Phone) bool {
	return j.User == p.JID().User || j.User == p.LID().User
}
