package devicestore

import (
	"context"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"
)

// pairDevice stores a paired device and binds it to session.
func pairDevice(ctx context.Context, t *testing.T, s *Store, session string, jid types.JID) {
	t.Helper()
	dev, err := s.Device(ctx, session)
	if err != nil {
		t.Fatal(err)
	}
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := s.container.PutDevice(ctx, dev); err != nil {
		t.Fatalf("put device: %v", err)
	}
	if err := s.Bind(ctx, session, Binding{JID: jid}); err != nil {
		t.Fatalf("bind: %v", err)
	}
}

// testClaims: a binding belongs to one session definition (tenant and
// CreatedAt). Another definition with the same id gets a fresh device and
// none of the old one's executed commands; a wipe inside the same
// definition keeps the owner; a deleted session's binding is only deleted
// as it was read.
func testClaims(ctx context.Context, t *testing.T, s *Store) {
	created := time.Now().UTC().Truncate(time.Microsecond)
	a := Owner{Tenant: "ta", CreatedAt: created}
	b := Owner{Tenant: "tb", CreatedAt: created.Add(time.Second)}
	jid := types.NewADJID("15550002", 0, 9)

	if res, _, err := s.Claim(ctx, "c1", a); err != nil || res != ClaimNew {
		t.Fatalf("first claim = %v, %v", res, err)
	}
	pairDevice(ctx, t, s, "c1", jid)
	if err := s.MarkExecuted(ctx, "c1", "cmd1", "a's result"); err != nil {
		t.Fatal(err)
	}
	if res, _, err := s.Claim(ctx, "c1", a); err != nil || res != ClaimKept {
		t.Fatalf("same owner claim = %v, %v", res, err)
	}
	if dev, _ := s.Device(ctx, "c1"); dev.ID == nil || *dev.ID != jid {
		t.Fatalf("owner lost its device: %v", dev.ID)
	}

	// A wipe and re-pair inside the same definition keeps the owner.
	if err := s.Wipe(ctx, "c1", types.EmptyJID); err != nil {
		t.Fatal(err)
	}
	pairDevice(ctx, t, s, "c1", jid)
	if c, ok, err := s.Claimed(ctx, "c1"); err != nil || !ok || c.Owner.Tenant != "ta" || !c.Owner.CreatedAt.Equal(created) || c.JID != jid {
		t.Fatalf("after re-pair: %+v %v %v", c, ok, err)
	}
	if err := s.MarkExecuted(ctx, "c1", "cmd1", "a's result"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		o        Owner
		oldOwner string
	}{
		{"other tenant", b, "ta"},
		{"re-created", Owner{Tenant: "tb", CreatedAt: created.Add(time.Minute)}, "tb"},
	} {
		name := tc.name
		res, old, err := s.Claim(ctx, "c1", tc.o)
		if err != nil || res != ClaimRefused || old.JID != jid || old.Owner.Tenant != tc.oldOwner {
			t.Fatalf("%s: claim = %v %+v %v, want refused", name, res, old, err)
		}
		if dev, _ := s.Device(ctx, "c1"); dev.ID != nil {
			t.Fatalf("%s: got the old owner's device %s", name, dev.ID)
		}
		if d, err := s.container.GetDevice(ctx, jid); err != nil || d != nil {
			t.Fatalf("%s: old device keys survived: %v %v", name, d, err)
		}
		if _, ok, _ := s.Executed(ctx, "c1", "cmd1"); ok {
			t.Fatalf("%s: old owner's executed command would be replayed", name)
		}
		pairDevice(ctx, t, s, "c1", jid)
		if err := s.MarkExecuted(ctx, "c1", "cmd1", "old result"); err != nil {
			t.Fatal(err)
		}
	}

	// Orphans: deleted only as listed.
	var listed Claimed
	bs, err := s.Bindings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range bs {
		if c.Session == "c1" {
			listed = c
		}
	}
	if listed.JID != jid {
		t.Fatalf("bindings %+v without c1", bs)
	}
	stale := listed
	stale.Owner.CreatedAt = created
	if ok, err := s.DeleteClaimed(ctx, stale); err != nil || ok {
		t.Fatalf("stale delete = %v, %v; want nothing deleted", ok, err)
	}
	if ok, err := s.DeleteClaimed(ctx, listed); err != nil || !ok {
		t.Fatalf("delete = %v, %v", ok, err)
	}
	if _, ok, _ := s.Claimed(ctx, "c1"); ok {
		t.Fatal("binding survived its delete")
	}
	if _, ok, _ := s.Executed(ctx, "c1", "cmd1"); ok {
		t.Fatal("executed commands survived the delete")
	}

	// A binding from before owners were recorded is adopted.
	pairDevice(ctx, t, s, "c2", types.NewADJID("15550003", 0, 3))
	if res, _, err := s.Claim(ctx, "c2", a); err != nil || res != ClaimNew {
		t.Fatalf("legacy claim = %v, %v", res, err)
	}
	if dev, _ := s.Device(ctx, "c2"); dev.ID == nil {
		t.Fatal("legacy binding lost its device")
	}
	if res, _, _ := s.Claim(ctx, "c2", b); res != ClaimRefused {
		t.Fatalf("adopted binding handed to another tenant: %v", res)
	}
}
