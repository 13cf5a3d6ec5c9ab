package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// runs numbers benchmark iterations across -count repetitions, so every
// iteration writes fresh ids.
var runs atomic.Int64

// eventsPerOp is the work of one benchmark iteration.
const eventsPerOp = 20000

// Consumer settings: the service defaults for Postgres (WAMESH_HISTORY_WRITERS, WAMESH_HISTORY_BATCH).
var writers, batchSize = envInt("WAMESH_HISTORY_WRITERS", 4), envInt("WAMESH_HISTORY_BATCH", 500)

// BenchmarkIngest measures, in the same run and on the same Postgres:
//   - copy: raw pgx CopyFrom of the rows a message event produces (one
//     events row, one messages row) - the baseline;
//   - consumer: the history consumer draining the same number of
//     message.received events from JetStream (decode, batch, upsert
//     events/messages/chats/contacts, commit, ack).
//
// It reports both rates and ratio = consumer/copy.
func BenchmarkIngest(b *testing.B) {
	ctx := context.Background()
	dbURL := testutil.Postgres(b)
	st, err := store.OpenPostgres(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	_, js := testutil.JetStream(b)
	cfg := natsx.Config{Replicas: 1, EventsMaxAge: time.Hour, DedupWindow: time.Minute, MemberTTL: time.Minute, LeaseTTL: time.Minute}
	if err := natsx.Provision(ctx, js, cfg); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("writers=%d,batch=%d", writers, batchSize), func(b *testing.B) {
		var copyTime, ingestTime time.Duration
		for b.Loop() {
			b.StopTimer()
			run := runs.Add(1)
			evs := messageEvents(fmt.Sprintf("b%d", run), eventsPerOp)
			b.StartTimer()
			copyTime += copyRows(b, conn, fmt.Sprintf("c%d", run), evs)
			b.StopTimer()
			publishAll(b, js, evs)
			b.StartTimer()
			ingestTime += drain(st, js, eventsPerOp)
		}
		n := float64(b.N * eventsPerOp)
		copyRate, ingestRate := n/copyTime.Seconds(), n/ingestTime.Seconds()
		b.ReportMetric(copyRate, "copy_events/s")
		b.ReportMetric(ingestRate, "ingest_events/s")
		b.ReportMetric(ingestRate/copyRate, "ratio")
	})
}

// drain runs a consumer until it has stored n events and returns how long
// that took.
func drain(st store.Store, js jetstream.JetStream, n int64) time.Duration {
	c := &ingest.Consumer{Store: st, JS: js, Writers: writers, BatchSize: batchSize}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- c.Run(ctx) }()
	for c.Stats().Stored.Load() < n {
		time.Sleep(time.Millisecond) // benchmark polling, not a test
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	return elapsed
}

// messageEvents builds n distinct message.received events over 100 chats.
func messageEvents(prefix string, n int) []events.Event {
	sc := fixture.Scope{Tenant: "bench", Session: "s1"}
	out := make([]events.Event, n)
	for i := range out {
		chat := fmt.Sprintf("49%08d@s.whatsapp.net", i%100)
		out[i] = sc.Received(chat, fmt.Sprintf("%s-%d", prefix, i), chat, "a benchmark message of typical length, about sixty bytes", fixture.At(i))
	}
	return out
}

// copyRows is the baseline: COPY the events and messages rows of evs
// (ids prefixed so they do not collide with the consumer's rows). Only the
// COPY is timed: building the rows from the events is not.
func copyRows(b *testing.B, conn *pgx.Conn, prefix string, evs []events.Event) time.Duration {
	ctx := context.Background()
	var batch store.Batch
	for _, ev := range evs {
		if err := ingest.AddEvent(&batch, ev, ingest.Options{}); err != nil {
			b.Fatal(err)
		}
	}
	evRows := make([][]any, len(batch.Events))
	for i, e := range batch.Events {
		evRows[i] = []any{e.Tenant, prefix + e.ID, e.Session, e.Type, e.Subject, e.TS, e.Data}
	}
	msgRows := make([][]any, len(batch.Messages))
	for i, m := range batch.Messages {
		msgRows[i] = []any{m.Tenant, m.Session, prefix + m.ID, m.Chat, m.Sender, m.FromMe, m.Type, m.TS, m.Data,
			int16(m.Status), m.Error, m.Revoked, m.EditTS, m.EditText, m.HasReactions, m.MediaID}
	}
	start := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"},
		[]string{"tenant", "id", "session", "type", "subject", "ts", "data"}, pgx.CopyFromRows(evRows)); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"messages"}, messageColumns, pgx.CopyFromRows(msgRows)); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

var messageColumns = []string{"tenant", "session", "id", "chat", "sender", "from_me", "type", "ts", "data",
	"status", "error", "revoked", "edit_ts", "edit_text", "has_reactions", "media_id"}

// publishAll stores evs in WAMESH_EVENTS with async publishes.
func publishAll(b *testing.B, js jetstream.JetStream, evs []events.Event) {
	for i, ev := range evs {
		msg, err := events.Message(ev)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 || i == len(evs)-1 {
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
				b.Fatal("publish did not complete")
			}
		}
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}
