package session

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/pkg/ids"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
)

var ownedShards8 = regexp.MustCompile(`(?m)^wamesh_session_owned_shards(\{[^}]*\})? 8$`)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // substring of the error; "" = valid
	}{
		{"defaults", nil, ""},
		{"shards zero", map[string]string{"WAMESH_SHARDS": "0"}, "WAMESH_SHARDS"},
		{"shards too many", map[string]string{"WAMESH_SHARDS": "1025"}, "WAMESH_SHARDS"},
		{"shards max", map[string]string{"WAMESH_SHARDS": "1024"}, ""},
		{"bad pod id", map[string]string{"WAMESH_POD_ID": "pod/1"}, "WAMESH_POD_ID"},
		{"no connect slots", map[string]string{"WAMESH_CONNECT_CONCURRENCY": "0"}, "WAMESH_CONNECT_CONCURRENCY"},
		{"short ack wait", map[string]string{"WAMESH_COMMAND_ACK_WAIT": "10ms"}, "WAMESH_COMMAND_ACK_WAIT"},
		{"short command max age", map[string]string{"WAMESH_COMMAND_MAX_AGE": "10ms"}, "WAMESH_COMMAND_MAX_AGE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cfg Config
			err := config.LoadFrom(&cfg, tc.env)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestDefaultPodID(t *testing.T) {
	t.Parallel()
	a, b := defaultPodID(), defaultPodID()
	if !ids.Valid(a) || a == b {
		t.Errorf("pod ids %q, %q: want valid and distinct", a, b)
	}
}

// TestRunServesAndLeaves runs the service alone: /readyz turns 200 once the
// pod holds its shards, /metrics shows them, and cancelling Run releases
// every lease and the membership key within 5s.
func TestRunServesAndLeaves(t *testing.T) {
	t.Parallel()
	srv := testutil.NATSServer(t)
	addr := testutil.FreeAddr(t)
	var cfg Config
	if err := config.LoadFrom(&cfg, map[string]string{
		"WAMESH_NATS_URL": srv.ClientURL(), "WAMESH_SESSION_ADDR": addr, "WAMESH_SHARDS": "8",
		"WAMESH_POD_ID": "pod-run", "WAMESH_DATA_DIR": t.TempDir(),
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testutil.Context(t))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	testutil.Eventually(t, 15*time.Second, func() bool { code, _ := get("/readyz"); return code == http.StatusOK }, "readyz 200")
	code, body := get("/metrics")
	if code != http.StatusOK || !ownedShards8.MatchString(body) || !strings.Contains(body, `wamesh_session_lease_changes_total{change="acquired"`) {
		t.Errorf("metrics %d without owned shards = 8 and lease changes:\n%s", code, body)
	}

	cancel()
	stopped := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
	if d := time.Since(stopped); d > 5*time.Second {
		t.Errorf("shutdown took %s, want < 5s", d)
	}
	checkEmpty(t, srv.ClientURL())
}

func checkEmpty(t *testing.T, url string) {
	t.Helper()
	js := connectJS(t, url)
	ctx := testutil.Context(t)
	for _, bucket := range []string{natsx.BucketLeases, natsx.BucketMembers} {
		kv, err := js.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatalf("open %s: %v", bucket, err)
		}
		if keys, _ := kv.Keys(ctx); len(keys) != 0 {
			t.Errorf("%s still holds %v after shutdown", bucket, keys)
		}
	}
}

func connectJS(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	cfg := natsx.Config{URL: url}
	nc, err := natsx.Connect(testutil.Context(t), cfg, "check", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// TestRunFailsWhenOpsAddrTaken: a broken ops listener ends Run (and its
// cluster membership) with an error instead of hanging.
func TestRunFailsWhenOpsAddrTaken(t *testing.T) {
	t.Parallel()
	srv := testutil.NATSServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var cfg Config
	if err := config.LoadFrom(&cfg, map[string]string{
		"WAMESH_NATS_URL": srv.ClientURL(), "WAMESH_SESSION_ADDR": ln.Addr().String(), "WAMESH_SHARDS": "2",
		"WAMESH_DATA_DIR": t.TempDir(),
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Run(testutil.Context(t), cfg) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "listen") {
			t.Fatalf("run: %v, want a listen error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not fail")
	}
	checkEmpty(t, srv.ClientURL())
}
