package store_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// TestPostgresCopyRace: another writer commits a key after the COPY fast
// path decided it was new; the batch falls back to upserts and succeeds.
func TestPostgresCopyRace(t *testing.T) {
	t.Parallel()
	ctx := testutil.Context(t)
	dbURL := testutil.Postgres(t)
	st, err := store.OpenPostgres(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc := fixture.Scope{Tenant: "t1", Session: "s1"}
	ev := sc.Received("a@s.whatsapp.net", "m1", "a@s.whatsapp.net", "x", fixture.At(1))
	other, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO events (tenant, id, session, type, subject, ts) VALUES ($1, $2, 's1', 'x', '', 0)", "t1", ev.ID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var b store.Batch
		if err := ingest.AddEvent(&b, ev, ingest.Options{}); err != nil {
			done <- err
			return
		}
		done <- st.Apply(ctx, &b)
	}()
	testutil.Eventually(t, 10*time.Second, func() bool {
		var waiting int
		err := other.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting)
		return err == nil && waiting > 0
	}, "the batch waits on the uncommitted key")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("apply after the race: %v", err)
	}
	var n int
	if err := other.QueryRow(ctx, "SELECT count(*) FROM messages WHERE id = 'm1' AND data IS NOT NULL").Scan(&n); err != nil || n != 1 {
		t.Fatalf("message stored %d times, %v", n, err)
	}
}
