package devicestore

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/types"

	"github.com/wamesh/wamesh/pkg/testutil"
)

// TestStore runs one contract suite against both adapters.
func TestStore(t *testing.T) {
	t.Parallel()
	adapters := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "dir") },
		"postgres": func(t *testing.T) string { return testutil.Postgres(t) },
	}
	for name, dsn := range adapters {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := testutil.Context(t)
			s, err := Open(ctx, dsn(t), slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			testBindings(ctx, t, s)
			testExecuted(ctx, t, s)
			testClaims(ctx, t, s)
		})
	}
}

func testBindings(ctx context.Context, t *testing.T, s *Store) {
	dev, err := s.Device(ctx, "s1")
	if err != nil || dev.ID != nil {
		t.Fatalf("fresh session: device %v err %v, want an unpaired device", dev.ID, err)
	}
	jid := types.NewADJID("15550001", 0, 7)
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := s.container.PutDevice(ctx, dev); err != nil {
		t.Fatalf("put device: %v", err)
	}
	if err := s.Bind(ctx, "s1", Binding{JID: jid, LogoutSeen: 2, RestartSeen: 3}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	b, err := s.Binding(ctx, "s1")
	if err != nil || b.JID != jid || b.LogoutSeen != 2 || b.RestartSeen != 3 {
		t.Fatalf("binding = %+v, %v", b, err)
	}
	again, err := s.Device(ctx, "s1")
	if err != nil || again.ID == nil || *again.ID != jid {
		t.Fatalf("reloaded device = %v, %v; want %s", again.ID, err, jid)
	}
	if err := s.Wipe(ctx, "s1", types.EmptyJID); err != nil {
		t.Fatalf("wipe: %v", err)
	}
	if b, _ := s.Binding(ctx, "s1"); !b.JID.IsEmpty() {
		t.Fatalf("binding after wipe = %+v", b)
	}
	if d, err := s.container.GetDevice(ctx, jid); err != nil || d != nil {
		t.Fatalf("device rows survived wipe: %v %v", d, err)
	}
}

func testExecuted(ctx context.Context, t *testing.T, s *Store) {
	if _, ok, err := s.Executed(ctx, "s1", "c1"); ok || err != nil {
		t.Fatalf("unknown command reported executed: %v %v", ok, err)
	}
	for range 2 { // idempotent
		if err := s.MarkExecuted(ctx, "s1", "c1", `{"id":"x"}`); err != nil {
			t.Fatalf("mark: %v", err)
		}
	}
	res, ok, err := s.Executed(ctx, "s1", "c1")
	if !ok || err != nil || res != `{"id":"x"}` {
		t.Fatalf("executed = %q %v %v", res, ok, err)
	}
	if _, ok, _ := s.Executed(ctx, "s2", "c1"); ok {
		t.Fatal("command ids must be per session")
	}
	if n, err := s.ForgetExecutedBefore(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("forget = %d, %v", n, err)
	}
}

func TestSQLiteOpensWithWAL(t *testing.T) {
	t.Parallel()
	ctx := testutil.Context(t)
	s, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer s.Close()
	var mode string
	var sync, busy int
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
	_ = conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
	_ = conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy)
	if mode != "wal" || sync != 1 || busy != int(sqliteBusyTimeout.Milliseconds()) {
		t.Fatalf("journal_mode=%s synchronous=%d busy_timeout=%d; want wal, 1 (NORMAL), %d", mode, sync, busy, sqliteBusyTimeout.Milliseconds())
	}
	if s.Dialect() != "sqlite3" {
		t.Fatalf("dialect %s", s.Dialect())
	}
}
