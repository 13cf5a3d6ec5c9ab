package waemu

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types/events"
	waLog "go.mau.fi/whatsmeow/util/log"
	_ "modernc.org/sqlite"
)

func TestMain(m *testing.M) {
	InstallRootKey(DefaultRootKey().PublicKey())
	os.Exit(m.Run())
}

func startServer(t testing.TB) *Server {
	t.Helper()
	return startServerWith(t, Options{})
}

// startServerWith starts an emulator that fails the test on unhandled nodes.
func startServerWith(t testing.TB, opts Options) *Server {
	t.Helper()
	// Not t.Context(): it is cancelled before cleanups run, and the server
	// closing its connections under clients that are closing themselves trips
	// whatsmeow's own FrameSocket race. Clients close first (LIFO cleanups),
	// then srv.Close.
	srv, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if un := srv.UnhandledNodes(); len(un) > 0 {
			for _, n := range un {
				t.Errorf("unhandled node from %s: %s", n.Device, n.XML)
			}
		}
		_ = srv.Close()
	})
	return srv
}

// testClient is a real whatsmeow client on a SQLite store.
type testClient struct {
	t      testing.TB
	srv    *Server
	path   string
	db     *sql.DB
	Client *whatsmeow.Client

	mu     sync.Mutex
	events []any
}

func openStore(t testing.TB, path string) (*sql.DB, *store.Device) {
	t.Helper()
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatalf("open db: %v", err)
	}
	container := sqlstore.NewWithDB(db, "sqlite3", waLog.Noop)
	if err := container.Upgrade(context.Background()); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	dev, err := container.GetFirstDevice(context.Background())
	if err != nil {
		t.Fatalf("get device: %v", err)
	}
	return db, dev
}

// newTestClient opens (or reopens) the client stored at path.
func newTestClient(t testing.TB, srv *Server, path string) *testClient {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "wa.db")
	}
	db, dev := openStore(t, path)
	tc := &testClient{t: t, srv: srv, path: path, db: db}
	tc.Client = whatsmeow.NewClient(dev, waLog.Noop)
	if os.Getenv("WAEMU_DEBUG") != "" {
		tc.Client = whatsmeow.NewClient(dev, waLog.Stdout("client", "DEBUG", false))
	}
	tc.Client.EnableAutoReconnect = true
	srv.Configure(tc.Client)
	tc.Client.AddEventHandler(func(evt any) {
		tc.mu.Lock()
		tc.events = append(tc.events, evt)
		tc.mu.Unlock()
	})
	t.Cleanup(tc.close)
	return tc
}

func (tc *testClient) close() {
	tc.Client.Disconnect()
	_ = tc.db.Close()
}

// waitEvent polls until an event matching pred arrives after index from.
func waitEvent[T any](tc *testClient, timeout time.Duration, pred func(T) bool) T {
	tc.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		tc.mu.Lock()
		for _, e := range tc.events {
			if v, ok := e.(T); ok && (pred == nil || pred(v)) {
				tc.mu.Unlock()
				return v
			}
		}
		tc.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	var zero T
	tc.t.Fatalf("timed out waiting for %T", zero)
	return zero
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pairQR connects a fresh client and links it to phone by QR.
func pairQR(t testing.TB, srv *Server, phone *Phone, path string) *testClient {
	t.Helper()
	tc := newTestClient(t, srv, path)
	if err := tc.Client.Connect(); err != nil {
		t.Fatalf("connect: %v", err)
	}
	qr := waitEvent[*events.QR](tc, 10*time.Second, nil)
	if _, err := phone.ScanQR(t.Context(), qr.Codes[0]); err != nil {
		t.Fatalf("scan qr: %v", err)
	}
	waitEvent[*events.PairSuccess](tc, 10*time.Second, nil)
	waitEvent[*events.Connected](tc, 30*time.Second, nil)
	return tc
}

func mustPhone(t testing.TB, srv *Server, n int, name string) *Phone {
	t.Helper()
	p, err := srv.CreatePhone(fmt.Sprintf("+1555%07d", n), name)
	if err != nil {
		t.Fatalf("create phone: %v", err)
	}
	return p
}
