package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// eventsJS starts an embedded JetStream with the wamesh streams.
func eventsJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	_, js := testutil.JetStream(t)
	cfg := natsx.Config{Replicas: 1, EventsMaxAge: time.Hour, DedupWindow: 2 * time.Minute, MemberTTL: 15 * time.Second, LeaseTTL: 15 * time.Second}
	if err := natsx.Provision(testutil.Context(t), js, cfg); err != nil {
		t.Fatalf("provision: %v", err)
	}
	return js
}

// run starts c and stops it at cleanup.
func run(t *testing.T, c *ingest.Consumer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consumer: %v", err)
		}
	})
}

// publish stores ev in the stream; dup publishes it again without
// Nats-Msg-Id, so JetStream delivers it twice.
func publish(t *testing.T, js jetstream.JetStream, ev events.Event, dup bool) {
	t.Helper()
	ctx := testutil.Context(t)
	if !dup {
		if _, err := events.Publish(ctx, js, ev); err != nil {
			t.Fatalf("publish: %v", err)
		}
		return
	}
	subj, err := ev.NATSSubject()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(ev)
	if _, err := js.Publish(ctx, subj, body); err != nil {
		t.Fatalf("publish duplicate: %v", err)
	}
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := store.OpenSQLite(testutil.Context(t), filepath.Join(t.TempDir(), "history.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openPostgres(t *testing.T, dbURL string) store.Store {
	t.Helper()
	s, err := store.OpenPostgres(testutil.Context(t), dbURL)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// proxy is a TCP proxy to Postgres that a test can cut (closing every
// connection and refusing new ones) and restore on the same address.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

// via rewrites a postgres URL to go through the proxy.
func (p *proxy) via(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		p.t.Fatal(err)
	}
	u.Host = p.addr
	return u.String()
}

func (p *proxy) restore() {
	var ln net.Listener
	testutil.EventuallyNoError(p.t, 10*time.Second, func() (err error) {
		ln, err = net.Listen("tcp", p.addr)
		return err
	})
	p.serve(ln)
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// cut closes the listener and every proxied connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// failingStore fails every Apply whose batch holds a given event id or a
// contact row of a given JID.
type failingStore struct {
	store.Store
	badID      string
	badContact string
}

var errInjected = errors.New("injected failure")

func (f failingStore) Apply(ctx context.Context, b *store.Batch) error {
	for _, e := range b.Events {
		if e.ID == f.badID {
			return errInjected
		}
	}
	for _, c := range b.Contacts {
		if c.JID == f.badContact {
			return errInjected
		}
	}
	return f.Store.Apply(ctx, b)
}
