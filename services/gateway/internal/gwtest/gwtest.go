// Package gwtest runs a real gateway against an embedded JetStream server
// for tests and benchmarks, with a small fake session owner that answers
// RPC and executes send commands by publishing message.sent events.
package gwtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/gateway"
)

// AdminKey is the admin key of test gateways.
const AdminKey = "test-admin-key-0123456789abcdef"

// JWTSecret is the session token secret of test gateways.
const JWTSecret = "test-jwt-secret-0123456789abcdef0123"

// Env is a running gateway and its NATS.
type Env struct {
	URL    string
	NC     *nats.Conn
	JS     jetstream.JetStream
	Client *http.Client

	srv  *server.Server // for Replica
	opts []Option
}

// Option adjusts the gateway config of Start.
type Option func(*gateway.Config)

// InProcess connects the gateway to NATS in-process, as the all-in-one does.
func InProcess(c *gateway.Config) { c.NATS.InProcess = inProcessMarker{} }

// inProcessMarker is replaced by the test server in run.
type inProcessMarker struct{}

func (inProcessMarker) InProcessConn() (net.Conn, error) { return nil, errors.New("not replaced") }

// Start runs a gateway on a free port until the test ends.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	srv := testutil.NATSServer(t)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	env := &Env{NC: nc, JS: js, Client: &http.Client{Timeout: 30 * time.Second}, srv: srv, opts: opts}
	env.start(t)
	return env
}

// Replica starts a second gateway on the same NATS, as another replica of
// a deployment; its Env shares NC and JS.
func (e *Env) Replica(t testing.TB) *Env {
	t.Helper()
	r := &Env{NC: e.NC, JS: e.JS, Client: e.Client, srv: e.srv, opts: e.opts}
	r.start(t)
	return r
}

func (e *Env) start(t testing.TB) {
	t.Helper()
	// A port found free can be taken by a parallel test before the gateway
	// listens on it: try again with another one.
	for attempt := 0; ; attempt++ {
		err := e.run(t, e.srv, e.opts)
		if err == nil {
			return
		}
		if attempt == 2 || !strings.Contains(err.Error(), "listen") {
			t.Fatalf("gateway: %v", err)
		}
	}
}

// run starts one gateway and waits until it serves /healthz; the returned
// error is Run's when it stopped first.
func (e *Env) run(t testing.TB, srv *server.Server, opts []Option) error {
	addr := testutil.FreeAddr(t)
	cfg := gateway.Config{
		NATS:     natsx.Config{URL: srv.ClientURL(), Replicas: 1, EventsMaxAge: time.Hour, DedupWindow: time.Minute, MemberTTL: 15 * time.Second, LeaseTTL: 15 * time.Second, MediaMaxSize: -1},
		HTTPAddr: addr, AdminKey: AdminKey, Shards: 64, MaxBodyBytes: 1 << 20, MaxUploadBytes: 8 << 20,
		TenantRate: 0, KeyRate: 0, MaxWait: 10 * time.Second, JWTSecret: JWTSecret,
	}
	cfg.Telemetry.LogLevel, cfg.Telemetry.LogFormat = "error", "json"
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.NATS.InProcess != nil {
		cfg.NATS.InProcess = srv
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	var runErr error
	go func() {
		runErr = gateway.Run(ctx, cfg)
		close(stopped)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	e.URL = "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-stopped:
			return fmt.Errorf("stopped before serving: %w", runErr)
		case <-time.After(20 * time.Millisecond):
		}
		resp, err := e.Client.Get(e.URL + "/healthz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
	}
	return errors.New("gateway did not come up within 20s")
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request with key as X-API-Key (if not empty). A body that is a
// string or []byte is sent as is, anything else as JSON.
func (e *Env) Do(t testing.TB, method, path, key string, body any, headers ...string) Response {
	t.Helper()
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ct)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Expect fails the test unless the status is want.
func (r Response) Expect(t testing.TB, want int, what string) Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
	}
	return r
}

// Tenant creates a tenant and a key with every scope; it returns the key.
func (e *Env) Tenant(t testing.TB, id string) string {
	t.Helper()
	e.Do(t, "POST", "/v1/tenants", AdminKey, map[string]any{"id": id, "name": id}).Expect(t, 201, "create tenant")
	r := e.Do(t, "POST", "/v1/tenants/"+id+"/keys", AdminKey, map[string]any{"scopes": []string{"read", "send", "manage"}})
	r.Expect(t, 201, "create key")
	return r.Map(t)["key"].(string)
}

// Session creates a session for the key's tenant.
func (e *Env) Session(t testing.TB, key, id string) {
	t.Helper()
	e.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": id, "name": id}).Expect(t, 201, "create session")
}
