package testutil_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/testutil"
)

func TestPostgresCreatesAndDropsDatabase(t *testing.T) {
	t.Parallel()
	var dbURL string
	t.Run("use", func(t *testing.T) {
		dbURL = testutil.Postgres(t)
		ctx := testutil.Context(t)
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatalf("connect %s: %v", dbURL, err)
		}
		defer conn.Close(context.Background())
		var one int
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("SELECT 1 = %d, %v", one, err)
		}
		if !strings.Contains(dbURL, "/wamesh_test_") {
			t.Errorf("database URL %q lacks the wamesh_test_ prefix", dbURL)
		}
	})
	if t.Failed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, testutil.PostgresAdminURL())
	if err != nil {
		t.Fatalf("connect admin: %v", err)
	}
	defer admin.Close(ctx)
	name := dbURL[strings.LastIndex(dbURL, "/")+1:]
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil || n != 0 {
		t.Fatalf("database %s: count %d, err %v; want dropped", name, n, err)
	}
}

func TestPostgresUnreachableSaysHowToStartIt(t *testing.T) {
	t.Setenv(testutil.DatabaseURLEnv, "postgres://postgres@"+testutil.FreeAddr(t)+"/postgres?connect_timeout=2")
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testutil.Postgres(rec)
	}()
	<-done
	if !strings.Contains(rec.msg, "pg_ctlcluster") || !strings.Contains(rec.msg, testutil.DatabaseURLEnv) {
		t.Fatalf("failure message %q does not say how to start Postgres", rec.msg)
	}
}

func TestNATSJetStream(t *testing.T) {
	t.Parallel()
	nc, js := testutil.JetStream(t)
	ctx := testutil.Context(t)
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}})
	if err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	if _, err := js.Publish(ctx, "t.a", []byte("hello")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, "t.a")
	if err != nil || string(msg.Data) != "hello" {
		t.Fatalf("GetLastMsgForSubject = %v, %v", msg, err)
	}
	if !nc.IsConnected() {
		t.Fatal("connection not connected")
	}
}

func TestNATSServerURL(t *testing.T) {
	t.Parallel()
	s, nc := testutil.NATS(t)
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") || nc.ConnectedUrl() != s.ClientURL() {
		t.Fatalf("server %s, connected to %s", s.ClientURL(), nc.ConnectedUrl())
	}
}

func TestFreeAddr(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", testutil.FreeAddr(t))
	if err != nil {
		t.Fatalf("listen on free addr: %v", err)
	}
	ln.Close()
}

func TestEventually(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	testutil.Eventually(t, 5*time.Second, func() bool { return n.Add(1) >= 3 }, "n reaches %d", 3)
	n.Store(0)
	testutil.EventuallyNoError(t, 5*time.Second, func() error {
		if n.Add(1) < 3 {
			return errors.New("not yet")
		}
		return nil
	})
}

func TestEventuallyFailsWithMessage(t *testing.T) {
	t.Parallel()
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testutil.EventuallyNoError(rec, 30*time.Millisecond, func() error { return errors.New("still broken") })
	}()
	<-done
	if !strings.Contains(rec.msg, "still broken") {
		t.Fatalf("failure message %q lacks the last error", rec.msg)
	}
}

func TestContextCancelledAtEnd(t *testing.T) {
	t.Parallel()
	var ctx context.Context
	t.Run("inner", func(t *testing.T) {
		ctx = testutil.Context(t)
		if ctx.Err() != nil {
			t.Fatal("context done too early")
		}
		if _, ok := ctx.Deadline(); !ok {
			t.Fatal("context has no deadline")
		}
	})
	if ctx.Err() == nil {
		t.Fatal("context not cancelled after the test")
	}
}

// recordingTB captures Fatalf and ends the goroutine like testing.T does.
type recordingTB struct {
	testing.TB
	msg string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
