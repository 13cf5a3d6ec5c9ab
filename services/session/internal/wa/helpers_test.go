package wa

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/pkg/waemu"
)

func TestMain(m *testing.M) {
	waemu.InstallRootKey(waemu.DefaultRootKey().PublicKey())
	// libsignal initialises its package logger lazily without a lock; start
	// one emulator before the parallel tests so that happens once.
	if srv, err := waemu.Start(context.Background(), waemu.Options{}); err == nil {
		_ = srv.Close()
	}
	os.Exit(m.Run())
}

// env is one test's NATS, emulator and event recorder.
type env struct {
	t   testing.TB
	ctx context.Context
	nc  *nats.Conn
	js  jetstream.JetStream
	srv *waemu.Server
	rec *recorder
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvCtx(t, testutil.Context(t))
}

func newEnvCtx(t testing.TB, ctx context.Context) *env {
	t.Helper()
	return newEnvOpts(t, ctx, waemu.Options{})
}

// newEnvWith is newEnv with an emulator started with opts.
func newEnvWith(t testing.TB, opts waemu.Options) *env {
	t.Helper()
	return newEnvOpts(t, testutil.Context(t), opts)
}

func newEnvOpts(t testing.TB, ctx context.Context, opts waemu.Options) *env {
	t.Helper()
	nc, js := testutil.JetStream(t)
	cfg := natsx.Config{Replicas: 1, EventsMaxAge: time.Hour, DedupWindow: 2 * time.Minute, MemberTTL: 15 * time.Second, LeaseTTL: 15 * time.Second}
	if err := natsx.Provision(ctx, js, cfg); err != nil {
		t.Fatalf("provision: %v", err)
	}
	srv, err := waemu.Start(ctx, opts)
	if err != nil {
		t.Fatalf("waemu: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	e := &env{t: t, ctx: ctx, nc: nc, js: js, srv: srv, rec: &recorder{}}
	sub, err := nc.Subscribe("wamesh.events.>", e.rec.add)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return e
}

// manager opens a Manager on the device store dsn ("" = a SQLite file of the test).
func (e *env) manager(dsn, pod string) *Manager {
	e.t.Helper()
	return e.managerWith(dsn, pod, nil)
}

// managerWith is manager with edit applied to the configuration first.
func (e *env) managerWith(dsn, pod string, edit func(*ManagerConfig)) *Manager {
	e.t.Helper()
	if dsn == "" {
		dsn = filepath.Join(e.t.TempDir(), "devices.db")
	}
	cfg := ManagerConfig{NATS: e.nc, JetStream: e.js, DeviceStore: dsn, PodID: pod, Configure: e.srv.Configure}
	if edit != nil {
		edit(&cfg)
	}
	m, err := NewManager(cfg)
	if err != nil {
		e.t.Fatalf("manager: %v", err)
	}
	e.t.Cleanup(func() { e.closeManager(m) })
	return m
}

// closeManager closes the emulator first and waits until every live client
// reported its disconnection, then closes m. The pinned whatsmeow races
// between Client.Disconnect and a still-running read pump (FrameSocket's
// closed flag); a server-side close first keeps -race runs clean.
func (e *env) closeManager(m *Manager) {
	live := map[string]int{}
	for _, id := range m.Running() {
		if s := m.get(id); s != nil && s.State().Status != control.StatusDisconnected &&
			s.State().Status != control.StatusLoggedOut && s.State().Status != control.StatusBanned {
			live[id] = e.rec.count(id, events.SessionDisconnected)
		}
	}
	// Let in-flight events finish first: whatsmeow sends their deferred acks
	// without holding its socket lock.
	testutil.Eventually(e.t, 10*time.Second, func() bool { return m.inFlight.Load() == 0 }, "events handled")
	_ = e.srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for id, n := range live {
		_, _ = e.rec.waitCount(ctx, id, events.SessionDisconnected, n)
	}
	_ = m.Close()
}

// state reads a session's state from KV.
func (e *env) state(session string) control.SessionState {
	kv, err := e.js.KeyValue(e.ctx, natsx.BucketSessionState)
	if err != nil {
		e.t.Fatalf("kv: %v", err)
	}
	st, _, err := control.Get[control.SessionState](e.ctx, kv, session)
	if err != nil && err != control.ErrNotFound {
		e.t.Fatalf("get state: %v", err)
	}
	return st
}

// recorder keeps every event published on wamesh.events.>.
type recorder struct {
	mu        sync.Mutex
	all       []events.Event
	bySession map[string][]events.Event
	changed   chan struct{} // closed and replaced on every event
}

func (r *recorder) add(m *nats.Msg) {
	e, err := events.Decode(m.Data)
	if err != nil {
		return
	}
	r.mu.Lock()
	r.all = append(r.all, e)
	if r.bySession == nil {
		r.bySession = map[string][]events.Event{}
	}
	r.bySession[e.Session] = append(r.bySession[e.Session], e)
	if r.changed != nil {
		close(r.changed)
		r.changed = nil
	}
	r.mu.Unlock()
}

// find returns the events of type t that match keep.
func (r *recorder) find(t events.Type, keep func(events.Event) bool) []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []events.Event
	for _, e := range r.all {
		if e.EventType() == t && (keep == nil || keep(e)) {
			out = append(out, e)
		}
	}
	return out
}

// wait polls until an event of type t matching keep arrives.
func wait[T any](e *env, t events.Type, keep func(T) bool) (events.Event, T) {
	e.t.Helper()
	var got events.Event
	var data T
	testutil.Eventually(e.t, 30*time.Second, func() bool {
		for _, ev := range e.rec.find(t, nil) {
			var d T
			if json.Unmarshal(ev.Data, &d) == nil && (keep == nil || keep(d)) {
				got, data = ev, d
				return true
			}
		}
		return false
	}, "event %s", t)
	return got, data
}

func def(id string) control.Session {
	return control.Session{ID: id, Tenant: "t1"}
}

// last returns the newest event of type t of a session.
func (r *recorder) last(session string, t events.Type) (events.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.bySession[session]
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].EventType() == t {
			return list[i], true
		}
	}
	return events.Event{}, false
}

// count returns how many events of type t a session published.
func (r *recorder) count(session string, t events.Type) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.bySession[session] {
		if e.EventType() == t {
			n++
		}
	}
	return n
}

// waitCount blocks until a session published more than after events of
// type t, and returns the newest.
func (r *recorder) waitCount(ctx context.Context, session string, t events.Type, after int) (events.Event, error) {
	for {
		r.mu.Lock()
		n, last := 0, events.Event{}
		for _, e := range r.bySession[session] {
			if e.EventType() == t {
				n, last = n+1, e
			}
		}
		if n > after {
			r.mu.Unlock()
			return last, nil
		}
		if r.changed == nil {
			r.changed = make(chan struct{})
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return events.Event{}, fmt.Errorf("%s %s: %w", session, t, ctx.Err())
		}
	}
}

func (e *env) nullLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func jsonRaw(v any) (json.RawMessage, error) { return json.Marshal(v) }
