package allinone

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a running process.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	cancel context.CancelFunc
	done   chan int
	out    *syncBuffer
}

func start(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan int, 1), out: &syncBuffer{}}
	go func() { r.done <- Main(ctx, "test", args, r.out, r.out) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// stop sends the equivalent of SIGINT and returns the exit code; it must
// arrive within 5 s.
func (r *running) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		r.done <- code // for the cleanup
		return code
	case <-time.After(5 * time.Second):
		t.Fatalf("did not exit within 5s after cancel; output:\n%s", r.out.String())
		return -1
	}
}

func waitReady(t *testing.T, url string, r *running) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case code := <-r.done:
			r.done <- code // for stop and the cleanup
			t.Fatalf("exited with %d before ready; output:\n%s", code, r.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s not ready within 10s; output:\n%s", url, r.out.String())
}

func TestAllInOneStartsProvisionsAndRestarts(t *testing.T) {
	dataDir := t.TempDir()
	httpAddr, natsAddr := testutil.FreeAddr(t), testutil.FreeAddr(t)
	t.Setenv("WAMESH_DATA_DIR", dataDir)
	t.Setenv("WAMESH_HTTP_ADDR", httpAddr)
	t.Setenv("WAMESH_NATS_LISTEN", natsAddr)
	t.Setenv("WAMESH_ADMIN_KEY", "")
	t.Setenv("WAMESH_LOG_LEVEL", "warn")

	r := start(t)
	waitReady(t, "http://"+httpAddr+"/readyz", r)
	out := r.out.String()
	for _, want := range []string{"http://" + httpAddr + "/v1", "nats://" + natsAddr, "Admin key (shown once"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	key, err := os.ReadFile(filepath.Join(dataDir, "admin.key"))
	if err != nil || !strings.HasPrefix(string(key), "wam_admin_") {
		t.Fatalf("admin key file: %q %v", key, err)
	}

	// Users can reach the embedded NATS and find every resource provisioned.
	nc, err := nats.Connect("nats://" + natsAddr)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	ctx := testutil.Context(t)
	for _, s := range []string{natsx.StreamCommands, natsx.StreamEvents, natsx.StreamDeliveries} {
		if _, err := js.Stream(ctx, s); err != nil {
			t.Errorf("stream %s: %v", s, err)
		}
	}
	for _, b := range []string{natsx.BucketTenants, natsx.BucketAPIKeys, natsx.BucketSessions, natsx.BucketWebhooks, natsx.BucketSessionState, natsx.BucketMembers, natsx.BucketLeases} {
		if _, err := js.KeyValue(ctx, b); err != nil {
			t.Errorf("kv %s: %v", b, err)
		}
	}

	// Each service started alone against the all-in-one's NATS answers its own /readyz.
	t.Setenv("WAMESH_NATS_URL", "nats://"+natsAddr)
	t.Setenv("WAMESH_DATA_DIR", t.TempDir())
	for _, svc := range []string{"history", "dispatcher", "session"} {
		addr := testutil.FreeAddr(t)
		t.Setenv("WAMESH_"+strings.ToUpper(svc)+"_ADDR", addr)
		if svc == "session" {
			t.Setenv("WAMESH_POD_ID", "standalone-test")
		}
		one := start(t, svc)
		waitReady(t, "http://"+addr+"/readyz", one)
		if code := one.stop(t); code != 0 {
			t.Fatalf("%s exit code %d:\n%s", svc, code, one.out.String())
		}
	}
	nc.Close()

	if code := r.stop(t); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, r.out.String())
	}

	// Second start on the same data dir: clean, same admin key, not printed again.
	// A fresh port: the first one may have been reused by another test's
	// outgoing connection in the meantime.
	httpAddr = testutil.FreeAddr(t)
	t.Setenv("WAMESH_HTTP_ADDR", httpAddr)
	t.Setenv("WAMESH_DATA_DIR", dataDir)
	r2 := start(t)
	waitReady(t, "http://"+httpAddr+"/readyz", r2)
	if strings.Contains(r2.out.String(), "Admin key (shown once") {
		t.Error("admin key printed again on restart")
	}
	key2, _ := os.ReadFile(filepath.Join(dataDir, "admin.key"))
	if string(key2) != string(key) {
		t.Error("admin key changed across restarts")
	}
	if code := r2.stop(t); code != 0 {
		t.Fatalf("second run exit code %d:\n%s", code, r2.out.String())
	}
}

func TestBadConfigFailsClearly(t *testing.T) {
	t.Setenv("WAMESH_NATS_REPLICAS", "three")
	t.Setenv("WAMESH_EVENTS_MAX_AGE", "forever")
	var out bytes.Buffer
	code := Main(context.Background(), "test", nil, &out, &out)
	if code != 2 {
		t.Fatalf("exit code %d, want 2; output:\n%s", code, out.String())
	}
	msg := out.String()
	for _, want := range []string{"bad configuration", "WAMESH_NATS_REPLICAS", "WAMESH_EVENTS_MAX_AGE"} {
		if !strings.Contains(msg, want) {
			t.Errorf("output lacks %q:\n%s", want, msg)
		}
	}
	if strings.Count(msg, "WAMESH_NATS_REPLICAS") != 1 {
		t.Errorf("WAMESH_NATS_REPLICAS reported %d times:\n%s", strings.Count(msg, "WAMESH_NATS_REPLICAS"), msg)
	}
}

func TestCommandLine(t *testing.T) {
	var out bytes.Buffer
	if code := Main(context.Background(), "1.2.3", []string{"version"}, &out, &out); code != 0 || !strings.Contains(out.String(), "1.2.3") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	out.Reset()
	if code := Main(context.Background(), "x", []string{"frobnicate"}, &out, &out); code != 2 || !strings.Contains(out.String(), "unknown command") {
		t.Fatalf("unknown command: %d %q", code, out.String())
	}
}
