package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
	"github.com/wamesh/wamesh/services/session/internal/wa"
)

func TestMain(m *testing.M) {
	waemu.InstallRootKey(waemu.DefaultRootKey().PublicKey())
	os.Exit(m.Run())
}

// connWatch samples waemu's live connections and the session events and
// remembers every sign of a device connected twice.
type connWatch struct {
	lock     sync.Mutex
	replaced []string // sessions whose stream was replaced (a second login kicked the first)
	maxPer   int      // most connections seen for one device in one sample
}

func (w *connWatch) onDisconnected(m *nats.Msg) {
	ev, err := events.Decode(m.Data)
	if err != nil {
		return
	}
	var d events.SessionDisconnectedData
	if json.Unmarshal(ev.Data, &d) == nil && d.Reason == "stream replaced" {
		w.lock.Lock()
		w.replaced = append(w.replaced, ev.Session)
		w.lock.Unlock()
	}
}

func (w *connWatch) sample(srv *waemu.Server) int {
	per := map[string]int{}
	conns := srv.ActiveConnections()
	for _, c := range conns {
		per[c.Device.String()]++
	}
	w.lock.Lock()
	for _, n := range per {
		w.maxPer = max(w.maxPer, n)
	}
	w.lock.Unlock()
	return len(conns)
}

// TestSingleOwnershipWithWhatsApp is the three-pod test with the real
// wa.Manager on a shared Postgres device store against waemu: sessions are
// paired, then survive a graceful stop and a crash of their owners, and
// WhatsApp never sees a device connected twice (no "replaced" stream, one
// connection per device in every sample).
func TestSingleOwnershipWithWhatsApp(t *testing.T) {
	t.Parallel()
	const ttl = 3 * time.Second
	e := newEnv(t, 8, ttl)
	ctx := testutil.Context(t)
	// Not ctx: it ends before the cleanups, and the emulator must outlive the pods.
	srv, err := waemu.Start(context.WithoutCancel(ctx), waemu.Options{})
	if err != nil {
		t.Fatalf("waemu: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	dsn := testutil.Postgres(t)
	watch := &connWatch{}
	sub, err := e.nc.Subscribe("wamesh.events.*.*.session.disconnected", watch.onDisconnected)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })

	pods := map[string]*instance{}
	for _, pod := range []string{"pod-a", "pod-b", "pod-c"} {
		nc, js := e.connect(pod + "-wa")
		m, err := wa.NewManager(wa.ManagerConfig{NATS: nc, JetStream: js, DeviceStore: dsn, PodID: pod,
			Configure: srv.Configure, MediaHTTPClient: srv.HTTPClient(), Logger: testLogger(pod)})
		if err != nil {
			t.Fatalf("manager %s: %v", pod, err)
		}
		t.Cleanup(func() { _ = m.Close() })
		pods[pod] = e.startWith(pod, m)
	}
	testutil.Eventually(t, 20*time.Second, func() bool {
		return pods["pod-a"].c.Ready() && pods["pod-b"].c.Ready() && pods["pod-c"].c.Ready()
	}, "three pods ready")

	sessions := sessionIDs(6)
	for i, s := range sessions {
		e.putSession(s)
		phone, err := srv.CreatePhone(fmt.Sprintf("+1555000%04d", i), "Owner "+s)
		if err != nil {
			t.Fatal(err)
		}
		pairByQR(t, e, s, phone)
	}
	connected := func(owners ...string) func() bool {
		return func() bool {
			if watch.sample(srv) != len(sessions) {
				return false
			}
			for _, s := range sessions {
				st := sessionState(t, e, s)
				if st.Status != control.StatusConnected || !contains(owners, st.Owner) {
					return false
				}
			}
			return true
		}
	}
	testutil.Eventually(t, 30*time.Second, connected("pod-a", "pod-b", "pod-c"), "all sessions connected")

	victim := busiestPod(t, e, sessions)
	pods[victim].stop(t, false)
	rest := without([]string{"pod-a", "pod-b", "pod-c"}, victim)
	testutil.Eventually(t, 15*time.Second, connected(rest...), "sessions of %s reconnected on %v", victim, rest)
	t.Logf("graceful: %s's sessions connected elsewhere %s after cancel", victim, time.Since(pods[victim].stopped).Round(time.Millisecond))

	crashed := rest[0]
	pods[crashed].stop(t, true)
	last := rest[1:]
	testutil.Eventually(t, ttl+20*time.Second, connected(last...), "sessions of crashed %s reconnected on %v", crashed, last)
	t.Logf("crash: sessions connected on %v %s after the kill", last, time.Since(pods[crashed].stopped).Round(time.Millisecond))

	watch.lock.Lock()
	defer watch.lock.Unlock()
	if len(watch.replaced) > 0 || watch.maxPer > 1 {
		t.Errorf("a device was connected twice: replaced streams %v, max connections per device %d", watch.replaced, watch.maxPer)
	}
}

// pairByQR waits for the owner's QR in wamesh_session_state and scans it.
func pairByQR(t *testing.T, e *env, session string, phone *waemu.Phone) {
	t.Helper()
	var qr string
	testutil.Eventually(t, 30*time.Second, func() bool {
		st := sessionState(t, e, session)
		qr = st.QR
		return st.Status == control.StatusQR && qr != ""
	}, "QR of %s", session)
	if _, err := phone.ScanQR(testutil.Context(t), qr); err != nil {
		t.Fatalf("scan %s: %v", session, err)
	}
}

func sessionState(t *testing.T, e *env, session string) control.SessionState {
	t.Helper()
	st, _, err := control.Get[control.SessionState](testutil.Context(t), e.kv(natsx.BucketSessionState), session)
	if err != nil && err != control.ErrNotFound {
		t.Fatalf("state of %s: %v", session, err)
	}
	return st
}

// busiestPod returns the pod that runs the most of sessions.
func busiestPod(t *testing.T, e *env, sessions []string) string {
	t.Helper()
	count := map[string]int{}
	best := ""
	for _, s := range sessions {
		o := sessionState(t, e, s).Owner
		count[o]++
		if best == "" || count[o] > count[best] {
			best = o
		}
	}
	return best
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func without(list []string, drop string) []string {
	var out []string
	for _, x := range list {
		if x != drop {
			out = append(out, x)
		}
	}
	return out
}
