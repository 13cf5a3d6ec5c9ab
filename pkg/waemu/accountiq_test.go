package waemu

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

func TestAccountQueries(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	ctx := t.Context()
	cli := ac.Client

	on, err := cli.IsOnWhatsApp(ctx, []string{bob.Number(), "+15559999999"})
	if err != nil || len(on) != 2 || !on[0].IsIn || on[0].JID != bob.JID() || on[1].IsIn {
		t.Fatalf("IsOnWhatsApp = %+v, %v", on, err)
	}
	info, err := cli.GetUserInfo(ctx, []types.JID{bob.JID()})
	if err != nil || info[bob.JID()].LID != bob.LID() || len(info[bob.JID()].Devices) != 1 {
		t.Fatalf("GetUserInfo = %+v, %v", info, err)
	}
	if _, err := cli.GetProfilePictureInfo(ctx, bob.JID(), nil); err != nil && !errors.Is(err, whatsmeow.ErrProfilePictureNotSet) {
		t.Fatalf("profile picture: %v", err)
	}
	if _, err := cli.GetBlocklist(ctx); err != nil {
		t.Fatalf("blocklist: %v", err)
	}
	if _, err := cli.SetPrivacySetting(ctx, types.PrivacySettingTypeLastSeen, types.PrivacySettingContacts); err != nil {
		t.Fatalf("privacy: %v", err)
	}
	if err := cli.SetStatusMessage(ctx, "busy"); err != nil {
		t.Fatalf("status: %v", err)
	}
	if err := cli.SetDefaultDisappearingTimer(ctx, 24*time.Hour); err != nil {
		t.Fatalf("disappearing: %v", err)
	}

	g, err := cli.CreateGroup(ctx, whatsmeow.ReqCreateGroup{Name: "G", Participants: []types.JID{bob.JID()}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.SetGroupTopic(ctx, g.JID, "", "", "topic"); err != nil {
		t.Fatalf("topic: %v", err)
	}
	if err := cli.SetGroupAnnounce(ctx, g.JID, true); err != nil {
		t.Fatalf("announce: %v", err)
	}
	if err := cli.SetDisappearingTimer(ctx, g.JID, 24*time.Hour, time.Now()); err != nil {
		t.Fatalf("group ephemeral: %v", err)
	}
	joined, err := cli.GetJoinedGroups(ctx)
	if err != nil || len(joined) != 1 || joined[0].Topic != "topic" || !joined[0].IsAnnounce {
		t.Fatalf("joined = %+v, %v", joined, err)
	}
	if err := cli.LeaveGroup(ctx, g.JID); err != nil {
		t.Fatalf("leave: %v", err)
	}
	if members, _ := srv.GroupMembers(g.JID); len(members) != 1 || members[0] != bob.JID() {
		t.Fatalf("members after leave = %v", members)
	}
}

func TestGroupPhoto(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := mustPhone(t, srv, 1, "Alice")
	bob := mustPhone(t, srv, 2, "Bob")
	ac := pairQR(t, srv, alice, "")
	bc := pairQR(t, srv, bob, "")
	ctx := t.Context()
	g, err := ac.Client.CreateGroup(ctx, whatsmeow.ReqCreateGroup{Name: "G", Participants: []types.JID{bob.JID()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ac.Client.GetProfilePictureInfo(ctx, g.JID, nil); !errors.Is(err, whatsmeow.ErrProfilePictureNotSet) {
		t.Fatalf("no photo yet: %v", err)
	}
	photo := []byte("\xff\xd8\xff fake jpeg")
	id, err := ac.Client.SetGroupPhoto(ctx, g.JID, photo)
	if err != nil {
		t.Fatalf("set photo: %v", err)
	}
	waitEvent(bc, 5*time.Second, func(e *events.Picture) bool { return e.JID == g.JID && e.PictureID == id })
	info, err := bc.Client.GetProfilePictureInfo(ctx, g.JID, nil)
	if err != nil || info.ID != id {
		t.Fatalf("photo info = %+v, %v", info, err)
	}
	resp, err := srv.HTTPClient().Get(info.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(got, photo) {
		t.Fatalf("photo bytes differ")
	}
	if _, err := bc.Client.SetGroupPhoto(ctx, g.JID, photo); err == nil {
		t.Fatal("non-admin changed the photo")
	}
}
