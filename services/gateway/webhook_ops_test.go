package gateway_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/commands"
	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

// A test delivery may take the dispatcher up to 15 s: a slow but healthy
// endpoint gets its result, not a 504 after the local 5 s.
func TestWebhookTestWaitsForSlowEndpoint(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	id := env.Do(t, "POST", "/v1/webhooks", key, map[string]any{"url": "https://93.184.215.14/hook"}).Expect(t, 201, "create").Map(t)["id"].(string)
	sub, err := env.NC.Subscribe(queries.Subject(queries.ServiceDispatcher, queries.OpWebhookTest), func(m *nats.Msg) {
		time.Sleep(6 * time.Second) // the endpoint under test is slow
		_ = commands.Reply(m, queries.WebhookTestResult{StatusCode: 200, LatencyMS: 6000}, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := env.NC.Flush(); err != nil { // registered before the gateway asks
		t.Fatal(err)
	}
	r := env.Do(t, "POST", "/v1/webhooks/"+id+"/test", key, nil).Expect(t, 200, "slow test delivery")
	if r.Map(t)["statusCode"] != float64(200) {
		t.Fatalf("result %s", r.Body)
	}
}

// Webhook writes are compare-and-swap: concurrent rotations and patches all
// land, and none re-enables a webhook the dispatcher disabled meanwhile.
func TestWebhookConcurrentWrites(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	ctx := context.Background()
	key := env.Tenant(t, "ta")
	id := env.Do(t, "POST", "/v1/webhooks", key, map[string]any{"url": "https://93.184.215.14/hook"}).Expect(t, 201, "create").Map(t)["id"].(string)
	kv, err := env.JS.KeyValue(ctx, natsx.BucketWebhooks)
	if err != nil {
		t.Fatal(err)
	}

	patches := []map[string]any{{"rateLimit": 5}, {"concurrency": 3}, {"events": []string{"message.*"}}}
	const rotations = 4
	var wg sync.WaitGroup
	var secretsLock sync.Mutex
	var secrets []string
	for range rotations {
		wg.Go(func() {
			r := env.Do(t, "POST", "/v1/webhooks/"+id+"/rotate-secret", key, map[string]any{"graceSeconds": 3600})
			if r.Status != 200 {
				t.Errorf("rotate: %d %s", r.Status, r.Body)
				return
			}
			secretsLock.Lock()
			secrets = append(secrets, r.Map(t)["secret"].(string))
			secretsLock.Unlock()
		})
	}
	for _, p := range patches {
		wg.Go(func() {
			if r := env.Do(t, "PATCH", "/v1/webhooks/"+id, key, p); r.Status != 200 {
				t.Errorf("patch %v: %d %s", p, r.Status, r.Body)
			}
		})
	}
	wg.Go(func() { disableLikeDispatcher(t, kv, id, "endpoint gone") })
	wg.Wait()

	w, _, err := control.Get[control.Webhook](ctx, kv, id)
	if err != nil {
		t.Fatal(err)
	}
	if w.Enabled || w.Disabled != "endpoint gone" {
		t.Errorf("auto-disable lost: enabled=%v disabled=%q", w.Enabled, w.Disabled)
	}
	if w.RateLimit != 5 || w.Concurrency != 3 || !slices.Equal(w.Events, []string{"message.*"}) {
		t.Errorf("a patch was lost: %+v", w)
	}
	stored := make([]string, 0, len(w.Secrets))
	for _, s := range w.Secrets {
		stored = append(stored, s.Value)
	}
	for _, s := range secrets {
		if !slices.Contains(stored, s) {
			t.Errorf("rotated secret %s lost; stored %v", s, stored)
		}
	}
	if len(stored) != rotations+1 {
		t.Errorf("%d secrets stored, want %d", len(stored), rotations+1)
	}
}

// disableLikeDispatcher disables a webhook the way the dispatcher does:
// get, then update at the revision read, retried on conflict.
func disableLikeDispatcher(t *testing.T, kv jetstream.KeyValue, id, reason string) {
	ctx := context.Background()
	for attempt := 0; attempt < 50; attempt++ {
		w, rev, err := control.Get[control.Webhook](ctx, kv, id)
		if err != nil {
			t.Errorf("get: %v", err)
			return
		}
		w.Enabled, w.Disabled = false, reason
		_, err = control.Update(ctx, kv, id, w, rev)
		if err == nil {
			return
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			t.Errorf("update: %v", err)
			return
		}
	}
	t.Error("could not disable the webhook")
}
