package natsx

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/testutil"
)

func testConfig() Config {
	return Config{Replicas: 1, EventsMaxAge: time.Hour, DedupWindow: time.Minute, MemberTTL: 5 * time.Second, LeaseTTL: 5 * time.Second,
		MediaTTL: 24 * time.Hour, MediaMaxSize: 1 << 30}
}

func TestProvisionIsIdempotent(t *testing.T) {
	t.Parallel()
	_, js := testutil.JetStream(t)
	ctx := testutil.Context(t)
	cfg := testConfig()
	for i := 0; i < 2; i++ {
		if err := Provision(ctx, js, cfg); err != nil {
			t.Fatalf("provision #%d: %v", i+1, err)
		}
	}
	assertResources(ctx, t, js)
	// A changed limit is applied to the existing stream.
	cfg.EventsMaxAge = 2 * time.Hour
	if err := Provision(ctx, js, cfg); err != nil {
		t.Fatalf("provision with new max age: %v", err)
	}
	s, err := js.Stream(ctx, StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxAge; got != 2*time.Hour {
		t.Fatalf("events max age = %s, want 2h", got)
	}
}

func assertResources(ctx context.Context, t *testing.T, js jetstream.JetStream) {
	t.Helper()
	want := map[string]jetstream.RetentionPolicy{
		StreamCommands: jetstream.WorkQueuePolicy, StreamEvents: jetstream.LimitsPolicy, StreamDeliveries: jetstream.WorkQueuePolicy,
	}
	for name, retention := range want {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		if got := s.CachedInfo().Config.Retention; got != retention {
			t.Errorf("stream %s retention = %v, want %v", name, got, retention)
		}
	}
	for _, b := range []string{BucketTenants, BucketAPIKeys, BucketSessions, BucketWebhooks, BucketSessionState, BucketMembers, BucketLeases} {
		if _, err := js.KeyValue(ctx, b); err != nil {
			t.Errorf("kv %s: %v", b, err)
		}
	}
	if os, err := js.ObjectStore(ctx, ObjectStoreMedia); err != nil {
		t.Errorf("object store: %v", err)
	} else if st, err := os.Status(ctx); err != nil || st.TTL() != 24*time.Hour {
		t.Errorf("media TTL = %v (%v), want 24h", st, err)
	}
	leases, _ := js.KeyValue(ctx, BucketLeases)
	st, err := leases.Status(ctx)
	if err != nil || st.TTL() != 5*time.Second {
		t.Errorf("lease TTL = %v (%v), want 5s", st, err)
	}
}

// The all-in-one restarts on the same data dir: the second start must find
// and keep what the first provisioned.
func TestEmbeddedRestartOnSameDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := testutil.Context(t)
	for i := 0; i < 2; i++ {
		e, err := StartEmbedded(EmbeddedConfig{DataDir: dir, Listen: "off"})
		if err != nil {
			t.Fatalf("start #%d: %v", i+1, err)
		}
		cfg := testConfig()
		cfg.InProcess = e.Server
		nc, err := Connect(ctx, cfg, "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := jetstream.New(nc)
		if err := Provision(ctx, js, cfg); err != nil {
			t.Fatalf("provision after start #%d: %v", i+1, err)
		}
		kv, _ := js.KeyValue(ctx, BucketTenants)
		if i == 0 {
			if _, err := kv.Put(ctx, "t1", []byte(`{"id":"t1"}`)); err != nil {
				t.Fatal(err)
			}
		} else if e, err := kv.Get(ctx, "t1"); err != nil || string(e.Value()) != `{"id":"t1"}` {
			t.Fatalf("tenant lost across restart: %v", err)
		}
		if err := Ping(ctx, nc, js); err != nil {
			t.Fatal(err)
		}
		nc.Close()
		e.Shutdown()
	}
}

func TestEmbeddedPortTakenFallsBackToInProcess(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	e, err := StartEmbedded(EmbeddedConfig{DataDir: t.TempDir(), Listen: ln.Addr().String()})
	if err != nil {
		t.Fatalf("a taken port must not fail the start: %v", err)
	}
	defer e.Shutdown()
	if e.ClientURL != "" {
		t.Fatalf("ClientURL = %q, want in-process only", e.ClientURL)
	}
	nc, err := nats.Connect("", nats.InProcessServer(e.Server))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()

	free := testutil.FreeAddr(t)
	e2, err := StartEmbedded(EmbeddedConfig{DataDir: t.TempDir(), Listen: free})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Shutdown()
	if !strings.HasSuffix(e2.ClientURL, strings.Split(free, ":")[1]) {
		t.Fatalf("ClientURL = %q, want listening on %s", e2.ClientURL, free)
	}
	if _, err := StartEmbedded(EmbeddedConfig{DataDir: t.TempDir(), Listen: "nonsense"}); err == nil ||
		!strings.Contains(err.Error(), "WAMESH_NATS_LISTEN") {
		t.Fatalf("bad listen address: %v", err)
	}
}

func TestConnectGivesUpWithContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cfg := testConfig()
	cfg.URL = "nats://" + testutil.FreeAddr(t)
	if _, err := Connect(ctx, cfg, "test", nil); err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := testConfig()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := good
	bad.Replicas, bad.LeaseTTL = 0, 0
	err := bad.Validate()
	if err == nil || !strings.Contains(err.Error(), "WAMESH_NATS_REPLICAS") || !strings.Contains(err.Error(), "WAMESH_LEASE_TTL") {
		t.Fatalf("Validate = %v", err)
	}
}
