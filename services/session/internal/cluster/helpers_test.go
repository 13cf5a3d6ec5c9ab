package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/session/internal/engine"
)

// env is one test's NATS server with the wamesh resources provisioned.
type env struct {
	t      *testing.T
	tb     testing.TB // t, or the benchmark
	srv    *server.Server
	url    string // NATS client URL
	nc     *nats.Conn
	js     jetstream.JetStream
	shards int
	ttl    time.Duration
	l      *ledger
}

func newEnv(t *testing.T, shards int, ttl time.Duration) *env {
	t.Helper()
	srv := testutil.NATSServer(t)
	e := &env{t: t, tb: t, srv: srv, url: srv.ClientURL(), shards: shards, ttl: ttl, l: newLedger()}
	e.provision()
	return e
}

// newEnvAt is newEnv on a server the test can restart.
func newEnvAt(t *testing.T, url string, shards int, ttl time.Duration) *env {
	t.Helper()
	e := &env{t: t, tb: t, url: url, shards: shards, ttl: ttl, l: newLedger()}
	e.provision()
	return e
}

func (e *env) provision() {
	t := e.t
	e.nc, e.js = e.connect("test")
	cfg := natsx.Config{Replicas: 1, EventsMaxAge: time.Hour, DedupWindow: time.Minute, MemberTTL: e.ttl, LeaseTTL: e.ttl}
	if err := natsx.Provision(testutil.Context(t), e.js, cfg); err != nil {
		t.Fatalf("provision: %v", err)
	}
}

func (e *env) connect(name string) (*nats.Conn, jetstream.JetStream) {
	e.tb.Helper()
	nc, err := nats.Connect(e.url, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		e.tb.Fatalf("connect: %v", err)
	}
	e.tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		e.tb.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

func (e *env) kv(bucket string) jetstream.KeyValue {
	e.tb.Helper()
	kv, err := e.js.KeyValue(testutil.Context(e.tb), bucket)
	if err != nil {
		e.tb.Fatalf("open %s: %v", bucket, err)
	}
	return kv
}

// putSession writes a session definition of tenant t1.
func (e *env) putSession(id string, mutate ...func(*control.Session)) {
	e.t.Helper()
	s := control.Session{ID: id, Tenant: "t1", CreatedAt: time.Now().UTC()}
	for _, m := range mutate {
		m(&s)
	}
	if _, err := control.Put(testutil.Context(e.t), e.kv(natsx.BucketSessions), id, s); err != nil {
		e.t.Fatalf("put session: %v", err)
	}
}

// publish sends a durable command like the gateway does.
func (e *env) publish(kind commands.Kind, session, id string) {
	e.t.Helper()
	cmd := commands.Command{ID: id, Kind: kind, Tenant: "t1", Session: session, Payload: []byte(`{}`), CreatedAt: time.Now()}
	msg, err := cmd.Msg(e.shards, "")
	if err != nil {
		e.t.Fatalf("command msg: %v", err)
	}
	if _, err := e.js.PublishMsg(testutil.Context(e.t), msg); err != nil {
		e.t.Fatalf("publish %s: %v", id, err)
	}
}

// instance is one cluster member running in the test.
type instance struct {
	pod     string
	c       *Cluster
	cancel  context.CancelFunc
	crash   atomic.Bool
	done    chan error
	stopped time.Time
}

type optFn func(*Options)

func (e *env) start(pod string, opts ...optFn) *instance {
	e.t.Helper()
	return e.startWith(pod, &fakeSessions{pod: pod, l: e.l}, opts...)
}

// startWith runs a cluster member driving the given engine.
func (e *env) startWith(pod string, sessions engine.Sessions, opts ...optFn) *instance {
	e.t.Helper()
	nc, js := e.connect(pod)
	in := &instance{pod: pod, done: make(chan error, 1)}
	o := Options{
		PodID: pod, Shards: e.shards, MemberTTL: e.ttl, LeaseTTL: e.ttl,
		ConnectJitter: time.Millisecond, AckWait: 5 * time.Second, RetryDelay: 50 * time.Millisecond,
		DrainTimeout: time.Second, Logger: testLogger(pod),
		Hooks: Hooks{Acked: e.l.ack, Crash: in.crash.Load},
	}
	for _, f := range opts {
		f(&o)
	}
	c, err := New(nc, js, sessions, o)
	if err != nil {
		e.t.Fatalf("new cluster: %v", err)
	}
	in.c = c
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() { in.done <- c.Run(ctx) }()
	e.t.Cleanup(func() { in.stop(e.t, false) })
	return in
}

// stop ends the instance gracefully, or as a crash, and waits for Run.
func (in *instance) stop(t *testing.T, crash bool) {
	t.Helper()
	if in.cancel == nil {
		return
	}
	in.crash.Store(crash)
	in.stopped = time.Now()
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		if err != nil {
			t.Errorf("%s: run: %v", in.pod, err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("%s: run did not return within 10s of cancel", in.pod)
	}
}

func testLogger(pod string) *slog.Logger {
	level := slog.LevelError
	if os.Getenv("WAMESH_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("pod", pod)
}

func sessionIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("s%02d", i)
	}
	return out
}
