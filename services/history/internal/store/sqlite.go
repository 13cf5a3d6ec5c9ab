package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteConns bounds the connection pool: WAL allows readers alongside the
// one writer; more connections only add lock contention on 2 cores.
const sqliteConns = 4

// sqlRunner runs the shared SQL on database/sql.
type sqlRunner struct {
	q interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

func (sqlRunner) arrays() bool { return false }

func (r sqlRunner) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := r.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (r sqlRunner) query(ctx context.Context, q string, args []any, each func(scanner) error) error {
	rows, err := r.q.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SQLiteDSN is the connection string of the history database at path:
// WAL, synchronous=NORMAL, a busy timeout, and write transactions that take
// the write lock at BEGIN (no deadlocking lock upgrades).
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
}

// OpenSQLite opens (creating) the database file at path, applies
// migrations in one write transaction and returns the SQLite Store.
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create history data dir: %w", err)
	}
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(sqliteConns)
	db.SetMaxIdleConns(sqliteConns)
	s := &sqlStore{
		read:  sqlRunner{q: db},
		inTx:  func(ctx context.Context, fn func(runner) error) error { return sqliteTx(ctx, db, fn) },
		ping:  db.PingContext,
		close: db.Close,
		deleteSQL: func(t string) string {
			return "DELETE FROM " + t + " WHERE rowid IN (SELECT rowid FROM " + t +
				" WHERE tenant = $1 AND ts < $2 LIMIT $3)"
		},
	}
	if err := s.inTx(ctx, func(r runner) error { return migrate(ctx, r) }); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate sqlite %s: %w", path, err)
	}
	return s, nil
}

func sqliteTx(ctx context.Context, db *sql.DB, fn func(runner) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(sqlRunner{q: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
