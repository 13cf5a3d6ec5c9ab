package history_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
)

// TestRun runs the whole service on SQLite: an event published on
// WAMESH_EVENTS becomes queryable over NATS, and /readyz checks the database.
func TestRun(t *testing.T) {
	t.Parallel()
	srv, nc := testutil.NATS(t)
	var cfg history.Config
	if err := config.LoadFrom(&cfg, map[string]string{
		"WAMESH_NATS_URL":     srv.ClientURL(),
		"WAMESH_DATA_DIR":     t.TempDir(),
		"WAMESH_HISTORY_ADDR": testutil.FreeAddr(t),
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- history.Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("history.Run: %v", err)
		}
	})
	testutil.EventuallyNoError(t, 20*time.Second, func() error {
		resp, err := http.Get("http://" + cfg.OpsAddr + "/readyz")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &statusError{resp.StatusCode}
		}
		return nil
	})
	// Ready means consuming: the durable consumer exists.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Consumer(testutil.Context(t), natsx.StreamEvents, ingest.DurableName); err != nil {
		t.Fatalf("ready without the history consumer: %v", err)
	}
	sc := fixture.Scope{Tenant: "t1", Session: "s1"}
	if _, err := events.Publish(testutil.Context(t), js, sc.Received("a@s.whatsapp.net", "m1", "a@s.whatsapp.net", "hi", fixture.At(1))); err != nil {
		t.Fatal(err)
	}
	testutil.EventuallyNoError(t, 20*time.Second, func() error {
		var m queries.Message
		return queries.Call(testutil.Context(t), nc, queries.ServiceHistory, queries.OpMessage,
			queries.MessageRequest{Tenant: "t1", Session: "s1", ID: "m1"}, &m)
	})
}

type statusError struct{ code int }

func (e *statusError) Error() string { return http.StatusText(e.code) }

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	cases := map[string]map[string]string{
		"negative retention": {"WAMESH_HISTORY_RETENTION": "-1h"},
		"tiny interval":      {"WAMESH_HISTORY_RETENTION_INTERVAL": "1s"},
		"batch too big":      {"WAMESH_HISTORY_BATCH": "100000"},
	}
	for name, env := range cases {
		var cfg history.Config
		if err := config.LoadFrom(&cfg, env); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var cfg history.Config
	if err := config.LoadFrom(&cfg, map[string]string{}); err != nil || cfg.Validate() != nil {
		t.Fatalf("defaults rejected: %v / %v", err, cfg.Validate())
	}
}
