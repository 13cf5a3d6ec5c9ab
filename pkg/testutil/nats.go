package testutil

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsReadyTimeout bounds the wait for the embedded server to accept clients.
const natsReadyTimeout = 10 * time.Second

// NATSServer starts an embedded nats-server with JetStream on a random
// 127.0.0.1 port, storing in t.TempDir(), and shuts it down at cleanup.
func NATSServer(t testing.TB) *server.Server {
	t.Helper()
	s := startNATS(t, natsOptions(t, server.RANDOM_PORT))
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// natsOptions are the options of every test server.
func natsOptions(t testing.TB, port int) server.Options {
	return server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
}

// startNATS starts a server with (a copy of) opts and waits until it
// accepts clients.
func startNATS(t testing.TB, opts server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(&opts)
	if err != nil {
		t.Fatalf("testutil: create nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(natsReadyTimeout) {
		t.Fatalf("testutil: nats server not ready after %s", natsReadyTimeout)
	}
	return s
}

// NATS starts an embedded JetStream server (see NATSServer) and returns it
// with a connection that is closed at cleanup.
func NATS(t testing.TB) (*server.Server, *nats.Conn) {
	t.Helper()
	s := NATSServer(t)
	nc, err := nats.Connect(s.ClientURL(), nats.Name(t.Name()))
	if err != nil {
		t.Fatalf("testutil: connect to nats: %v", err)
	}
	t.Cleanup(nc.Close)
	return s, nc
}

// JetStream starts an embedded server and returns a connection and its
// JetStream context.
func JetStream(t testing.TB) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	_, nc := NATS(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("testutil: jetstream: %v", err)
	}
	return nc, js
}

// RestartableNATS is an embedded JetStream server that a test can stop and
// start again on the same address and store, as a NATS restart or outage.
type RestartableNATS struct {
	t    testing.TB
	opts server.Options
	srv  *server.Server
}

// NewRestartableNATS starts a server on a free port, storing in t.TempDir().
func NewRestartableNATS(t testing.TB) *RestartableNATS {
	t.Helper()
	r := &RestartableNATS{t: t, opts: natsOptions(t, FreePort(t))}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the client URL; it stays the same across restarts.
func (r *RestartableNATS) URL() string { return fmt.Sprintf("nats://%s:%d", r.opts.Host, r.opts.Port) }

// Start starts the server (again).
func (r *RestartableNATS) Start() {
	r.t.Helper()
	r.srv = startNATS(r.t, r.opts)
}

// Stop shuts the server down; clients see a disconnect.
func (r *RestartableNATS) Stop() {
	if r.srv != nil {
		r.srv.Shutdown()
		r.srv.WaitForShutdown()
		r.srv = nil
	}
}
