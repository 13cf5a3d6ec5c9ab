package store_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/wamesh/wamesh/pkg/queries"
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

// TestPostgresApplyExisting: Apply first tries plain INSERTs for new events
// and messages; a batch holding rows that already exist is written again
// with the upserts and ends as if the attempt had not been made. Each case
// opens its own store, so its first batches make the attempt.
func TestPostgresApplyExisting(t *testing.T) {
	t.Parallel()
	ctx := testutil.Context(t)
	url := testutil.Postgres(t)
	data := `{"id":"m1","fromMe":true}`
	event := func(tenant, id string) store.EventRow {
		return store.EventRow{Tenant: tenant, ID: id, Session: "s1", Type: "message.received", Subject: "c", TS: 1, Data: &data}
	}
	message := func(tenant, id string, status int, data *string) store.MessageRow {
		return store.MessageRow{Tenant: tenant, Session: "s1", ID: id, Chat: "c@s.whatsapp.net", FromMe: true, Type: "text", TS: 1, Status: status, Data: data}
	}
	cases := []struct {
		name    string
		batches func(tenant string) []*store.Batch
		want    int // rank of m1's status
	}{
		{"event and message again", func(tenant string) []*store.Batch {
			var a, b store.Batch
			a.AddEvent(event(tenant, "e1"))
			a.AddMessage(message(tenant, "m1", store.RankSent, &data))
			b.AddEvent(event(tenant, "e1"))
			b.AddMessage(message(tenant, "m1", store.RankSent, &data))
			b.AddEvent(event(tenant, "e2"))
			b.AddMessage(message(tenant, "m2", store.RankReceived, &data))
			return []*store.Batch{&a, &b}
		}, store.RankSent},
		{"message after its stub", func(tenant string) []*store.Batch {
			var a, b store.Batch
			a.AddEvent(event(tenant, "e0"))
			a.AddMessage(message(tenant, "m1", store.RankDelivered, nil))
			b.AddEvent(event(tenant, "e1"))
			b.AddMessage(message(tenant, "m1", store.RankSent, &data))
			b.AddEvent(event(tenant, "e2"))
			b.AddMessage(message(tenant, "m2", store.RankReceived, &data))
			return []*store.Batch{&a, &b}
		}, store.RankDelivered},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.OpenPostgres(ctx, url)
			if err != nil {
				t.Fatalf("open postgres: %v", err)
			}
			t.Cleanup(func() { _ = s.Close() })
			tenant := fmt.Sprintf("t%d", i)
			for _, b := range tc.batches(tenant) {
				if err := s.Apply(ctx, b); err != nil {
					t.Fatalf("Apply: %v", err)
				}
			}
			m, err := s.Message(ctx, queries.MessageRequest{Tenant: tenant, Session: "s1", ID: "m1"})
			if err != nil || m.Status != store.StatusName(tc.want) {
				t.Fatalf("m1 = %+v, %v; want status %s", m, err, store.StatusName(tc.want))
			}
			if _, err := s.Message(ctx, queries.MessageRequest{Tenant: tenant, Session: "s1", ID: "m2"}); err != nil {
				t.Fatalf("m2: %v", err)
			}
		})
	}
}
