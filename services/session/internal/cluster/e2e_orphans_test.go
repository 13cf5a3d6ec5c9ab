package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
	"github.com/wamesh/wamesh/services/session/internal/wa"
)

// TestDeletedSessionDeviceNotInherited: tenant t1's sessions s1 and s2 are
// paired, then deleted while no pod owns their shard, and tenant t2 creates
// s1 again. The next owner must pair s1 afresh (a new QR, not t1's
// account) and log out and wipe the devices of both deleted sessions.
func TestDeletedSessionDeviceNotInherited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, 15*time.Second)
	ctx := testutil.Context(t)
	// Not ctx: it ends before the cleanups, and the emulator must outlive the pods.
	srv, err := waemu.Start(context.WithoutCancel(ctx), waemu.Options{})
	if err != nil {
		t.Fatalf("waemu: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	dsn := testutil.Postgres(t)
	manager := func(pod string) *wa.Manager {
		nc, js := e.connect(pod + "-wa")
		m, err := wa.NewManager(wa.ManagerConfig{NATS: nc, JetStream: js, DeviceStore: dsn, PodID: pod,
			Configure: srv.Configure, MediaHTTPClient: srv.HTTPClient(), Logger: testLogger(pod)})
		if err != nil {
			t.Fatalf("manager %s: %v", pod, err)
		}
		return m
	}

	ma := manager("pod-a")
	a := e.startWith("pod-a", ma)
	phones := map[string]*waemu.Phone{}
	for i, s := range []string{"s1", "s2"} {
		e.putSession(s)
		p, err := srv.CreatePhone("+1555100000"+string(rune('1'+i)), "Owner "+s)
		if err != nil {
			t.Fatal(err)
		}
		phones[s] = p
		pairByQR(t, e, s, p)
	}
	testutil.Eventually(t, 30*time.Second, func() bool {
		return sessionState(t, e, "s1").Status == control.StatusConnected && sessionState(t, e, "s2").Status == control.StatusConnected
	}, "t1's sessions connected")
	a.stop(t, false)
	_ = ma.Close()

	// Deleted while nobody owns the shards; s1 re-created by another tenant.
	kv := e.kv(natsx.BucketSessions)
	for _, s := range []string{"s1", "s2"} {
		if err := kv.Delete(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	e.putSession("s1", func(s *control.Session) { s.Tenant = "t2" })

	mb := manager("pod-b")
	t.Cleanup(func() { _ = mb.Close() })
	e.startWith("pod-b", mb)
	testutil.Eventually(t, 30*time.Second, func() bool {
		st := sessionState(t, e, "s1")
		return st.Owner == "pod-b" && st.Status == control.StatusQR && st.QR != ""
	}, "t2's s1 waits for a new QR")
	if st := sessionState(t, e, "s1"); st.JID != "" {
		t.Errorf("t2's s1 shows t1's account %s", st.JID)
	}
	testutil.Eventually(t, 30*time.Second, func() bool {
		return len(phones["s1"].Devices()) == 0 && len(phones["s2"].Devices()) == 0
	}, "t1's devices logged out at WhatsApp")
	testutil.Eventually(t, 10*time.Second, func() bool {
		bs, err := mb.Bindings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if b.Session == "s2" || (b.Session == "s1" && (b.Owner.Tenant != "t2" || !b.JID.IsEmpty())) {
				return false
			}
		}
		return true
	}, "only t2's unpaired s1 is bound")
}
