package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/query"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// hotChat holds 90% of the loaded messages; the rest spread over 50 chats.
const hotChat = "4900000000@s.whatsapp.net"

// BenchmarkLatestMessages loads WAMESH_BENCH_ROWS messages (default 100k)
// with COPY and measures "latest 50 messages of a chat" twice per
// iteration: straight from the store (baseline) and through the NATS
// query wamesh.q.history.messages. It reports p50/p99 of both and the
// ratio of the NATS p99 to the direct p99.
func BenchmarkLatestMessages(b *testing.B) {
	ctx := context.Background()
	rows := envInt("WAMESH_BENCH_ROWS", 100_000)
	dbURL := testutil.Postgres(b)
	st, err := store.OpenPostgres(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	loadMessages(b, dbURL, rows)
	b.Logf("loaded %d messages in %s", rows, time.Since(start).Round(time.Millisecond))
	_, nc := testutil.NATS(b)
	svc, err := query.Start(nc, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = svc.Stop() }()
	req := queries.MessagesRequest{Tenant: "bench", Session: "s1", Chat: hotChat, Limit: 50}
	b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
		direct := make([]time.Duration, 0, b.N)
		viaNATS := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			p, err := st.Messages(ctx, req)
			t1 := time.Now()
			if err != nil || len(p.Items) != 50 {
				b.Fatalf("direct: %d items, %v", len(p.Items), err)
			}
			var page queries.Page[queries.Message]
			if err := queries.Call(ctx, nc, queries.ServiceHistory, queries.OpMessages, req, &page); err != nil || len(page.Items) != 50 {
				b.Fatalf("nats: %d items, %v", len(page.Items), err)
			}
			direct, viaNATS = append(direct, t1.Sub(t0)), append(viaNATS, time.Since(t1))
		}
		b.ReportMetric(pct(direct, 50), "direct_p50_ms")
		b.ReportMetric(pct(direct, 99), "direct_p99_ms")
		b.ReportMetric(pct(viaNATS, 50), "nats_p50_ms")
		b.ReportMetric(pct(viaNATS, 99), "nats_p99_ms")
		b.ReportMetric(pct(viaNATS, 99)/pct(direct, 99), "p99_ratio")
	})
}

// pct returns the p-th percentile of ds in milliseconds.
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return float64(s[i].Microseconds()) / 1000
}

// loadMessages COPYs n messages of tenant "bench", session "s1" into the
// messages table, then analyzes it.
func loadMessages(b *testing.B, dbURL string, n int) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		chat := hotChat
		if i%10 == 9 {
			chat = fmt.Sprintf("49%08d@s.whatsapp.net", 1+i%50)
		}
		at := fixture.At(i)
		d := events.MessageData{ID: fmt.Sprintf("M%09d", i), Chat: chat, Sender: chat, PushName: "Someone",
			Timestamp: at, Type: events.TypeText, Text: "a stored message of typical length, about sixty bytes long"}
		raw, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		i++
		return []any{"bench", "s1", d.ID, chat, chat, false, "text", store.Micros(at), string(raw),
			int16(store.RankRead), "", false, int64(0), "", false, ""}, nil
	})
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"messages"}, messageColumns, src); err != nil {
		b.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE messages"); err != nil {
		b.Fatal(err)
	}
}
