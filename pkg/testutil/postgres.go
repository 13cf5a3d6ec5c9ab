package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// DatabaseURLEnv names the variable holding the admin URL of the test
	// Postgres server.
	DatabaseURLEnv = "WAMESH_TEST_DATABASE_URL"
	// DefaultDatabaseURL is used when DatabaseURLEnv is unset.
	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres"

	pgAdminTimeout = 15 * time.Second
	pgHint         = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set " + DatabaseURLEnv
)

// Postgres creates a fresh database named wamesh_test_<hex> on the server at
// WAMESH_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
// and returns its URL. The database is dropped at cleanup. An unreachable
// server fails the test; it is never skipped.
func Postgres(t testing.TB) string {
	t.Helper()
	adminURL := PostgresAdminURL()
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("testutil: parse %s %q: %v", DatabaseURLEnv, adminURL, err)
	}
	name := "wamesh_test_" + randomHex(8)
	if err := adminExec(adminURL, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testutil: create database %s on %s: %v\nIs Postgres running? %s", name, redact(u), err, pgHint)
	}
	t.Cleanup(func() {
		if err := adminExec(adminURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testutil: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// PostgresAdminURL returns WAMESH_TEST_DATABASE_URL or, when unset,
// DefaultDatabaseURL.
func PostgresAdminURL() string {
	if u := os.Getenv(DatabaseURLEnv); u != "" {
		return u
	}
	return DefaultDatabaseURL
}

// adminExec runs one statement on a short-lived admin connection.
func adminExec(adminURL, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), pgAdminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// redact hides the password of u for error messages.
func redact(u *url.URL) string { return u.Redacted() }

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
