package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultMaxConns sizes the pool when the URL does not (pool_max_conns):
// the ingest writers plus the queries answered concurrently.
const defaultMaxConns = 12

// migrationLock is the pg_advisory_lock key serialising history migrations
// across replicas ("wamesh-h" as an int64).
const migrationLock int64 = 0x77616d6573682d68

// pgQuerier is what pgxpool.Pool, pgx.Conn and pgx.Tx have in common.
type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// pgRunner runs the shared SQL on pgx through its statement cache; writes
// go as column arrays (unnest), so each upsert has one prepared shape.
type pgRunner struct {
	q pgQuerier
}

func (pgRunner) arrays() bool { return true }

func (r pgRunner) exec(ctx context.Context, sql string, args ...any) (int64, error) {
	mode := pgx.QueryExecModeCacheStatement
	if len(args) == 0 {
		mode = pgx.QueryExecModeSimpleProtocol // migrations: several statements
	}
	tag, err := r.q.Exec(ctx, sql, append([]any{mode}, args...)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (r pgRunner) query(ctx context.Context, sql string, args []any, each func(scanner) error) error {
	rows, err := r.q.Query(ctx, sql, args...)
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

// pipeRunner queues a write transaction's statements into one pgx.Batch.
// SendBatch sends them in one round trip (instead of BEGIN, one per
// statement and COMMIT) and Postgres runs them as one implicit
// transaction, committed at the pipeline's Sync: all or nothing, and
// committed once Close returns nil. Writes only: nothing reads results.
type pipeRunner struct {
	b *pgx.Batch
}

func (pipeRunner) arrays() bool { return true }

func (r pipeRunner) exec(_ context.Context, sql string, args ...any) (int64, error) {
	r.b.Queue(sql, args...)
	return 0, nil
}

func (pipeRunner) query(context.Context, string, []any, func(scanner) error) error {
	return errPipelineRead
}

// OpenPostgres connects to url, applies migrations under an advisory lock
// and returns the Postgres Store.
func OpenPostgres(ctx context.Context, url string) (Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse WAMESH_DATABASE_URL: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = max(cfg.MaxConns, defaultMaxConns) // writers plus concurrent queries
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect postgres: %w", err)
	}
	if err := migratePostgres(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &sqlStore{
		read: pgRunner{q: pool},
		inTx: func(ctx context.Context, fn func(runner) error) error {
			var b pgx.Batch
			if err := fn(pipeRunner{b: &b}); err != nil {
				return err
			}
			return pool.SendBatch(ctx, &b).Close()
		},
		ping:  pool.Ping,
		close: func() error { pool.Close(); return nil },
		deleteSQL: func(t string) string {
			return "DELETE FROM " + t + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM " + t +
				" WHERE tenant = $1 AND ts < $2 LIMIT $3))"
		},
		optimism: &optimism{conflict: uniqueViolation},
	}, nil
}

// uniqueViolation reports whether err is Postgres' unique_violation (SQLSTATE 23505).
func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func migratePostgres(ctx context.Context, pool *pgxpool.Pool) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect postgres: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer func() {
		_, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock)
		err = errors.Join(err, uerr)
	}()
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return migrate(ctx, pgRunner{q: tx}) })
}
