// Package devicestore keeps the whatsmeow device store (Signal keys, app
// state) on Postgres or SQLite, plus wamesh's own tables: which device JID
// belongs to which session (so a restarted pod reconnects without a new QR),
// which logout/restart requests were applied, and which commands a session
// already executed (idempotency).
package devicestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/wamesh/wamesh/services/session/internal/walog"
)

// SQLite connection settings (DESIGN §12: the defaults are a disaster).
const (
	sqliteFile        = "devices.db"
	sqliteBusyTimeout = 10 * time.Second
	// One connection: SQLite has one writer anyway, and with a pool the
	// writers queue in SQLite's busy handler, which sleeps up to 100 ms per
	// retry (measured: 2.6x fewer messages per second with 8 connections).
	// whatsmeow's transactions carry their connection in the context
	// (go.mau.fi/util/dbutil), the pattern mautrix uses with SQLite.
	sqliteMaxConns = 1
	pgMaxConns     = 20
)

// Store is the device store of one session pod.
type Store struct {
	db        *sql.DB
	container *sqlstore.Container
	dialect   string
}

// Open opens the store at dsn: a postgres:// URL, or else a SQLite file
// (a path to a .db file, or a directory that gets devices.db). Migrations of
// whatsmeow and wamesh run before it returns.
func Open(ctx context.Context, dsn string, logger *slog.Logger) (*Store, error) {
	db, dialect, err := openDB(dsn)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, dialect: dialect, container: sqlstore.NewWithDB(db, dialect, walog.New(logger, "devicestore"))}
	if err := s.container.Upgrade(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("upgrade whatsmeow store: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func openDB(dsn string) (*sql.DB, string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, "", fmt.Errorf("open postgres device store: %w", err)
		}
		db.SetMaxOpenConns(pgMaxConns)
		db.SetMaxIdleConns(pgMaxConns)
		return db, "postgres", nil
	}
	path, err := sqlitePath(dsn)
	if err != nil {
		return nil, "", err
	}
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, "", fmt.Errorf("open sqlite device store: %w", err)
	}
	db.SetMaxOpenConns(sqliteMaxConns)
	db.SetMaxIdleConns(sqliteMaxConns)
	db.SetConnMaxIdleTime(0)
	return db, "sqlite3", nil
}

// sqlitePath turns a directory into <dir>/devices.db and creates the parent.
func sqlitePath(dsn string) (string, error) {
	path := strings.TrimPrefix(dsn, "file:")
	if path == "" {
		return "", errors.New("device store: empty SQLite path")
	}
	if !strings.HasSuffix(path, ".db") && !strings.HasSuffix(path, ".sqlite") {
		path = filepath.Join(path, sqliteFile)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create device store dir: %w", err)
	}
	return path, nil
}

// SQLiteDSN is the modernc.org/sqlite DSN with WAL, synchronous=NORMAL, a
// busy timeout, foreign keys and immediate write transactions.
func SQLiteDSN(path string) string {
	return "file:" + path +
		"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		fmt.Sprintf("&_pragma=busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()) +
		"&_txlock=immediate"
}

// Dialect is "postgres" or "sqlite3".
func (s *Store) Dialect() string { return s.dialect }

// DB exposes the database handle (readiness checks).
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Device returns the session's device: the stored one when the session was
// paired before, else a fresh unpaired device (to be bound after pairing).
func (s *Store) Device(ctx context.Context, session string) (*store.Device, error) {
	b, err := s.Binding(ctx, session)
	if err != nil {
		return nil, err
	}
	if b.JID.IsEmpty() {
		return s.container.NewDevice(), nil
	}
	dev, err := s.container.GetDevice(ctx, b.JID)
	if err != nil {
		return nil, fmt.Errorf("load device %s: %w", b.JID, err)
	}
	if dev == nil { // device rows were deleted (logout elsewhere)
		return s.container.NewDevice(), nil
	}
	return dev, nil
}

// Wipe deletes the keys of device jid (or, when empty, of the session's bound
// device) and the session's binding.
func (s *Store) Wipe(ctx context.Context, session string, jid types.JID) error {
	if jid.IsEmpty() {
		b, err := s.Binding(ctx, session)
		if err != nil {
			return err
		}
		jid = b.JID
	}
	if !jid.IsEmpty() {
		d, err := s.container.GetDevice(ctx, jid)
		if err != nil {
			return fmt.Errorf("load device: %w", err)
		}
		if d != nil {
			if err := s.container.DeleteDevice(ctx, d); err != nil {
				return fmt.Errorf("delete device: %w", err)
			}
		}
	}
	return s.Unbind(ctx, session)
}

// ParseJID is a helper for stored JIDs.
func parseJID(s string) types.JID {
	if s == "" {
		return types.EmptyJID
	}
	j, err := types.ParseJID(s)
	if err != nil {
		return types.EmptyJID
	}
	return j
}

// Container exposes whatsmeow's store (benchmarks compare against bare clients).
func (s *Store) Container() *sqlstore.Container { return s.container }
