package ingest_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

var scope = fixture.Scope{Tenant: "t1", Session: "s1"}

var chats = []string{"491111@s.whatsapp.net", "492222@s.whatsapp.net", "1234-5678@g.us"}

// storm is a generated history with its expected end state.
type storm struct {
	events   []events.Event
	messages int
	status   map[string]string // id -> final status
	timeline map[string]int    // id -> timeline length
	edits    map[string]int
	unread   map[string]int // chat -> unread count
}

func newStorm(n int, rng *rand.Rand) storm {
	s := storm{messages: n, status: map[string]string{}, timeline: map[string]int{}, edits: map[string]int{}, unread: map[string]int{}}
	levels := []events.Type{events.MessageDelivered, events.MessageRead, events.MessagePlayed}
	names := []string{"sent", "delivered", "read", "played"}
	for i := range n {
		chat, id, at := chats[i%len(chats)], fmt.Sprintf("m%04d", i), fixture.At(i*10)
		if i%2 == 1 {
			s.events = append(s.events, scope.Received(chat, id, chats[0], "hello", at))
			s.status[id] = "received"
			if rng.IntN(3) == 0 {
				s.events = append(s.events, scope.Receipt(events.MessageRead, chat, "me@s.whatsapp.net", at.Add(time.Second), id))
			} else {
				s.unread[chat]++
			}
			continue
		}
		s.events = append(s.events, scope.Sent(chat, id, "text", at))
		top := rng.IntN(len(levels) + 1)
		for l := range top {
			s.events = append(s.events, scope.Receipt(levels[l], chat, chats[1], at.Add(time.Duration(l+1)*time.Second), id))
		}
		s.status[id], s.timeline[id] = names[top], top+1
		if i%4 == 0 {
			s.events = append(s.events, scope.Edited(chat, id, "v1", at.Add(5*time.Second)), scope.Edited(chat, id, "v2", at.Add(6*time.Second)))
			s.edits[id] = 2
		}
	}
	return s
}

// TestDuplicateStorm delivers every event twice in random order: rows equal
// unique ids and statuses end at the latest state on both databases.
func TestDuplicateStorm(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			var st store.Store
			var count func(table string) int
			if db == "sqlite" {
				path := filepath.Join(t.TempDir(), "h.db")
				var err error
				if st, err = store.OpenSQLite(testutil.Context(t), path); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = st.Close() })
				count = sqliteCounter(t, path)
			} else {
				dbURL := testutil.Postgres(t)
				st, count = openPostgres(t, dbURL), pgCounter(t, dbURL)
			}
			js := eventsJS(t)
			rng := rand.New(rand.NewPCG(7, 11))
			s := newStorm(120, rng)
			twice := append(append([]events.Event{}, s.events...), s.events...)
			rng.Shuffle(len(twice), func(i, j int) { twice[i], twice[j] = twice[j], twice[i] })
			seen := map[string]bool{}
			for _, ev := range twice {
				publish(t, js, ev, seen[ev.ID])
				seen[ev.ID] = true
			}
			c := &ingest.Consumer{Store: st, JS: js, BatchSize: 64}
			if db == "postgres" {
				c.Writers = 3 // concurrent batches holding the same rows
			}
			run(t, c)
			testutil.Eventually(t, 60*time.Second, func() bool { return c.Stats().Stored.Load() == int64(len(twice)) },
				"stored %d of %d", c.Stats().Stored.Load(), len(twice))
			if got := count("events"); got != len(s.events) {
				t.Fatalf("events rows = %d, want %d", got, len(s.events))
			}
			if got := count("messages"); got != s.messages {
				t.Fatalf("message rows = %d, want %d", got, s.messages)
			}
			s.verify(t, st)
		})
	}
}

func (s storm) verify(t *testing.T, st store.Store) {
	t.Helper()
	ctx := testutil.Context(t)
	for id, want := range s.status {
		m, err := st.Message(ctx, queries.MessageRequest{Tenant: scope.Tenant, Session: scope.Session, ID: id})
		if err != nil {
			t.Fatalf("message %s: %v", id, err)
		}
		if m.Status != want || len(m.Edits) != s.edits[id] || (m.FromMe && len(m.Statuses) != s.timeline[id]) {
			t.Fatalf("message %s: status %s (want %s), %d edits (want %d), timeline %+v (want %d)",
				id, m.Status, want, len(m.Edits), s.edits[id], m.Statuses, s.timeline[id])
		}
	}
	for _, chat := range chats {
		c, err := st.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: chat})
		if err != nil || c.UnreadCount != s.unread[chat] {
			t.Fatalf("chat %s unread = %d (want %d), %v", chat, c.UnreadCount, s.unread[chat], err)
		}
	}
}

func pgCounter(t *testing.T, dbURL string) func(string) int {
	return func(table string) int {
		ctx := testutil.Context(t)
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE "+countFilter(table)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func sqliteCounter(t *testing.T, path string) func(string) int {
	return func(table string) int {
		db, err := sql.Open("sqlite", store.SQLiteDSN(path))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table + " WHERE " + countFilter(table)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// countFilter counts messages that arrived, not stubs.
func countFilter(table string) string {
	if table == "messages" {
		return "data IS NOT NULL"
	}
	return "true"
}

// TestPostgresOutage cuts the database connection twice during ingest:
// nothing is lost and the consumer catches up, with one writer and with
// several (whose chat and contact rows the shared writer commits).
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	for _, writers := range []int{1, 4} {
		t.Run(fmt.Sprintf("writers=%d", writers), func(t *testing.T) {
			t.Parallel()
			testPostgresOutage(t, writers)
		})
	}
}

func testPostgresOutage(t *testing.T, writers int) {
	dbURL := testutil.Postgres(t)
	p := newProxy(t, "127.0.0.1:5432")
	st := openPostgres(t, p.via(dbURL))
	js := eventsJS(t)
	c := &ingest.Consumer{Store: st, JS: js, BatchSize: 50, RetryDelay: 100 * time.Millisecond, Writers: writers}
	run(t, c)
	n := 0
	publishN := func(k int) {
		for range k {
			publish(t, js, scope.Received(chats[n%3], fmt.Sprintf("o%04d", n), chats[0], "x", fixture.At(n)), false)
			n++
		}
	}
	publishN(100)
	testutil.Eventually(t, 30*time.Second, func() bool { return c.Stats().Stored.Load() == 100 }, "first 100 stored")
	for round := range 2 {
		failures := c.Stats().Failures.Load()
		p.cut()
		publishN(150)
		testutil.Eventually(t, 30*time.Second, func() bool { return c.Stats().Failures.Load() > failures },
			"round %d: the consumer saw the outage", round)
		p.restore()
	}
	testutil.Eventually(t, 60*time.Second, func() bool { return c.Stats().Stored.Load() == int64(n) },
		"stored %d of %d after the outages", c.Stats().Stored.Load(), n)
	count := pgCounter(t, dbURL)
	if got := count("messages"); got != n {
		t.Fatalf("messages = %d, want %d", got, n)
	}
	if c.Stats().Poison.Load() != 0 {
		t.Fatalf("outage terminated %d events as poison", c.Stats().Poison.Load())
	}
	ctx := testutil.Context(t)
	for i, chat := range chats { // message k went to chats[k%3]
		last, unread := fmt.Sprintf("o%04d", n-1-(n-1-i)%3), (n-i+2)/3
		got, err := st.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: chat})
		if err != nil || got.LastMessage == nil || got.LastMessage.ID != last || got.UnreadCount != unread {
			t.Fatalf("chat %s = %+v, %v; want last message %s, %d unread", chat, got, err, last, unread)
		}
	}
}

// TestPoison terminates malformed events and stores the rest.
func TestPoison(t *testing.T) {
	t.Parallel()
	js := eventsJS(t)
	st := openSQLite(t)
	ctx := testutil.Context(t)
	subj := "wamesh.events.t1.s1.message.received"
	bad := [][]byte{
		[]byte("not json"),
		[]byte(`{"specversion":"1.0","id":"x1","type":"wamesh.message.received","tenant":"t1","session":"s1","data":5}`),
		[]byte(`{"specversion":"1.0","id":"x2","type":"wamesh.message.received","tenant":"t1","session":"s1","data":{"chat":"a@s.whatsapp.net"}}`),
		[]byte(`{"specversion":"1.0","id":"x3","type":"nope","tenant":"t1","data":{}}`),
	}
	for _, b := range bad {
		if _, err := js.Publish(ctx, subj, b); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, js, scope.Received(chats[0], "good", chats[0], "x", fixture.At(1)), false)
	publish(t, js, scope.Event("some.future_type", fixture.At(2), "", map[string]int{"a": 1}, "f"), false)
	c := &ingest.Consumer{Store: st, JS: js}
	run(t, c)
	testutil.Eventually(t, 30*time.Second, func() bool {
		return c.Stats().Stored.Load() == 2 && c.Stats().Poison.Load() == int64(len(bad))
	}, "stored %d, poison %d", c.Stats().Stored.Load(), c.Stats().Poison.Load())
	waitDrained(t, js)
	if _, err := st.Message(ctx, queries.MessageRequest{Tenant: "t1", Session: "s1", ID: "good"}); err != nil {
		t.Fatalf("good message after poison: %v", err)
	}
}

// TestPoisonOnHealthyDatabase: an event the database keeps refusing while
// it answers pings is terminated after PoisonAfter deliveries; its batch
// neighbours are stored. With several writers the refused row may be one
// the shared writer commits after the rest of the batch (a contact).
func TestPoisonOnHealthyDatabase(t *testing.T) {
	t.Parallel()
	badEv := scope.Received(chats[0], "bad", chats[2], "x", fixture.At(1))
	cases := []struct {
		name    string
		writers int
		store   func(st store.Store) store.Store
	}{
		{"event", 1, func(st store.Store) store.Store { return failingStore{Store: st, badID: badEv.ID} }},
		{"shared row", 2, func(st store.Store) store.Store { return failingStore{Store: st, badContact: chats[2]} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			js := eventsJS(t)
			st := tc.store(openSQLite(t))
			publish(t, js, scope.Received(chats[0], "before", chats[0], "x", fixture.At(0)), false)
			publish(t, js, badEv, false)
			publish(t, js, scope.Received(chats[0], "after", chats[0], "x", fixture.At(2)), false)
			c := &ingest.Consumer{Store: st, JS: js, RetryDelay: 20 * time.Millisecond, PoisonAfter: 3, Writers: tc.writers}
			run(t, c)
			testutil.Eventually(t, 30*time.Second, func() bool {
				return c.Stats().Stored.Load() == 2 && c.Stats().Poison.Load() == 1
			}, "stored %d, poison %d", c.Stats().Stored.Load(), c.Stats().Poison.Load())
			waitDrained(t, js)
			ctx := testutil.Context(t)
			chat, err := st.Chat(ctx, queries.ChatRequest{Tenant: scope.Tenant, Session: scope.Session, Chat: chats[0]})
			if err != nil || chat.LastMessage == nil || chat.LastMessage.ID != "after" {
				t.Fatalf("chat = %+v, %v; want last message after", chat, err)
			}
		})
	}
}

// TestPassthrough stores metadata without bodies.
func TestPassthrough(t *testing.T) {
	t.Parallel()
	js := eventsJS(t)
	st := openSQLite(t)
	publish(t, js, scope.Received(chats[0], "p1", chats[0], "secret body", fixture.At(1)), false)
	publish(t, js, scope.Edited(chats[0], "p1", "secret edit", fixture.At(2)), false)
	c := &ingest.Consumer{Store: st, JS: js, Options: ingest.Options{Passthrough: true}}
	run(t, c)
	testutil.Eventually(t, 30*time.Second, func() bool { return c.Stats().Stored.Load() == 2 }, "stored")
	m, err := st.Message(testutil.Context(t), queries.MessageRequest{Tenant: "t1", Session: "s1", ID: "p1"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "" || m.PushName != "" || len(m.Edits) != 1 || m.Edits[0].Text != "" || m.Sender != chats[0] {
		t.Fatalf("pass-through message = %+v", m)
	}
}

// waitDrained waits until the history consumer has nothing pending or unacked.
func waitDrained(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		cons, err := js.Consumer(ctx, natsx.StreamEvents, ingest.DurableName)
		if err != nil {
			return false
		}
		info, err := cons.Info(ctx)
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}, "consumer drained")
}

// TestReady: the consumer reports ready only while it consumes.
func TestReady(t *testing.T) {
	t.Parallel()
	js := eventsJS(t)
	c := &ingest.Consumer{Store: openSQLite(t), JS: js}
	ctx := testutil.Context(t)
	if err := c.Ready(ctx); err == nil {
		t.Fatal("ready before Run")
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	testutil.EventuallyNoError(t, 10*time.Second, func() error { return c.Ready(ctx) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := c.Ready(ctx); err == nil {
		t.Fatal("ready after Run returned")
	}
}
