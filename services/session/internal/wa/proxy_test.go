package wa

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestProxyIsCheckedAgainstSSRFPolicy: a session proxy that resolves to a
// refused address is not applied: Start fails with ErrProxyRefused, the
// state and session.disconnected say why (without the credentials) and the
// session never connects. An allowlisted proxy is applied and dialled.
func TestProxyIsCheckedAgainstSSRFPolicy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	strict := e.manager("", "pod-a")
	refused := []struct{ session, proxy, why string }{
		{"p-loop", "http://user:secret@127.0.0.1:1", "destination not allowed"},
		{"p-meta", "http://169.254.169.254:80", "destination not allowed"},
		{"p-priv", "socks5://10.1.2.3:1080", "destination not allowed"},
		{"p-scheme", "ftp://example.com:21", "scheme"},
	}
	for _, tt := range refused {
		d := def(tt.session)
		d.Proxy = tt.proxy
		if err := strict.Start(e.ctx, d, 1); !errors.Is(err, ErrProxyRefused) {
			t.Fatalf("%s: Start = %v, want ErrProxyRefused", tt.proxy, err)
		}
		if strings.Contains(tt.proxy, "secret") && strings.Contains(stateErr(t, e, tt.session), "secret") {
			t.Fatalf("%s: the state error shows the proxy password", tt.proxy)
		}
		testutil.Eventually(t, 10*time.Second, func() bool {
			ev, ok := e.rec.last(tt.session, events.SessionDisconnected)
			d, _ := events.DecodeData[events.SessionDisconnectedData](ev)
			return ok && d.Reason == "proxy refused"
		}, "%s: session.disconnected proxy refused", tt.proxy)
		if st := e.state(tt.session); st.Status != control.StatusDisconnected || !strings.Contains(st.Error, tt.why) {
			t.Fatalf("%s: state = %+v", tt.proxy, st)
		}
		if n := e.rec.count(tt.session, events.SessionQR); n != 0 {
			t.Fatalf("%s: a refused session connected (%d QR codes)", tt.proxy, n)
		}
	}
	if r := strict.Running(); len(r) != 0 {
		t.Fatalf("refused sessions running: %v", r)
	}
	if n := len(e.srv.ActiveConnections()); n != 0 {
		t.Fatalf("the emulator saw %d connections from refused sessions", n)
	}

	// Allowlisted: applied. Without the emulator hook the client really
	// dials the proxy (nothing listens on port 1), so the connect fails there.
	allow := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	direct := e.managerWith("", "pod-b", func(c *ManagerConfig) { c.SSRF, c.Configure = ssrf.Policy{Allow: allow}, nil })
	d := def("p-direct")
	d.Proxy = "http://127.0.0.1:1"
	err := direct.Start(e.ctx, d, 1)
	if err == nil || errors.Is(err, ErrProxyRefused) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Start through an allowlisted, dead proxy = %v, want a dial error of 127.0.0.1:1", err)
	}
	// With the emulator hook (which replaces the transports) it pairs as usual.
	ok := e.managerWith("", "pod-c", func(c *ManagerConfig) { c.SSRF = ssrf.Policy{Allow: allow} })
	d = def("p-ok")
	d.Proxy = "http://127.0.0.1:1"
	if err := ok.Start(e.ctx, d, 1); err != nil {
		t.Fatalf("Start with an allowlisted proxy: %v", err)
	}
	testutil.Eventually(t, 30*time.Second, func() bool { return e.rec.count("p-ok", events.SessionQR) > 0 }, "QR of the allowed session")
}

// stateErr returns the error text in a session's stored state.
func stateErr(t *testing.T, e *env, session string) string {
	t.Helper()
	var st control.SessionState
	testutil.Eventually(t, 10*time.Second, func() bool { st = e.state(session); return st.Error != "" }, "state error of %s", session)
	return st.Error
}
