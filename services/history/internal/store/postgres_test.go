package store_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// TestPostgresApplyAtomic proves a pipelined write transaction is all or
// nothing: when the messages upsert fails (a NUL byte Postgres rejects),
// the events row written before it in the same batch is rolled back, and
// the same connection pool keeps working.
func TestPostgresApplyAtomic(t *testing.T) {
	t.Parallel()
	ctx := testutil.Context(t)
	url := testutil.Postgres(t)
	s, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	data, bad := `{"id":"m1"}`, "bad\x00data"
	batch := func(id string, msgData *string) *store.Batch {
		var b store.Batch
		b.Events = append(b.Events, store.EventRow{Tenant: "t1", ID: id, Session: "s1", Type: "message.received", Subject: "x", TS: 1, Data: &data})
		b.AddMessage(store.MessageRow{Tenant: "t1", Session: "s1", ID: id, Chat: "c@s.whatsapp.net", Type: "text", TS: 1, Data: msgData})
		return &b
	}
	if err := s.Apply(ctx, batch("e-bad", &bad)); err == nil {
		t.Fatal("Apply with a NUL byte: want an error")
	}
	if err := s.Apply(ctx, batch("e-good", &data)); err != nil {
		t.Fatalf("Apply after a failed batch: %v", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(ctx) })
	for id, want := range map[string]int{"e-bad": 0, "e-good": 1} {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM events WHERE tenant = 't1' AND id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("events %s: %d rows, want %d", id, n, want)
		}
	}
}
