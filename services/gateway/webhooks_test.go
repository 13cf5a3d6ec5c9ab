package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

func TestWebhookCRUD(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	rs := gwtest.StartReadSide(t, env)
	key := env.Tenant(t, "ta")
	env.Session(t, key, "s1")

	for _, bad := range []string{"http://127.0.0.1/hook", "http://10.0.0.1/x", "http://169.254.169.254/latest", "ftp://93.184.215.14/x", "not a url"} {
		if r := env.Do(t, "POST", "/v1/webhooks", key, map[string]any{"url": bad}); r.Status != 422 || !isProblem(r) {
			t.Errorf("url %q: %d %s", bad, r.Status, r.Body)
		}
	}
	env.Do(t, "POST", "/v1/webhooks", key, map[string]any{"url": "https://93.184.215.14/x", "sessions": []string{"nope"}}).Expect(t, 422, "unknown session")
	for _, bad := range []string{"mesage.received", "webhook.*", "nothing.*"} {
		env.Do(t, "POST", "/v1/webhooks", key, map[string]any{"url": "https://93.184.215.14/x", "events": []string{"message.*", bad}}).Expect(t, 422, "events "+bad)
	}
	for _, h := range []string{"Host", "Content-Length", "Bad Header", "Webhook-Signature"} {
		env.Do(t, "POST", "/v1/webhooks", key, map[string]any{"url": "https://93.184.215.14/x", "headers": map[string]string{h: "v"}}).Expect(t, 422, "header "+h)
	}

	created := env.Do(t, "POST", "/v1/webhooks", key, map[string]any{"url": "https://93.184.215.14/hook",
		"sessions": []string{"s1"}, "events": []string{"message.*"}, "headers": map[string]string{"X-Env": "test"}}).Expect(t, 201, "create").Map(t)
	id, secret := created["id"].(string), created["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	got := env.Do(t, "GET", "/v1/webhooks/"+id, key, nil).Expect(t, 200, "get")
	if strings.Contains(string(got.Body), secret) || strings.Contains(string(got.Body), "whsec_") {
		t.Fatal("get reveals the secret")
	}
	if strings.Contains(string(env.Do(t, "GET", "/v1/webhooks", key, nil).Expect(t, 200, "list").Body), "whsec_") {
		t.Fatal("list reveals the secret")
	}
	kv, err := env.JS.KeyValue(context.Background(), natsx.BucketWebhooks)
	if err != nil {
		t.Fatal(err)
	}
	stored, _, err := control.Get[control.Webhook](context.Background(), kv, id)
	if err != nil || stored.Tenant != "ta" || stored.Secrets[0].Value != secret || !stored.Enabled || stored.Sessions[0] != "s1" {
		t.Fatalf("stored %+v %v", stored, err)
	}

	p := env.Do(t, "PATCH", "/v1/webhooks/"+id, key, map[string]any{"enabled": false, "events": []string{"session.*"}}).Expect(t, 200, "patch").Map(t)
	if p["enabled"] != false || p["events"].([]any)[0] != "session.*" {
		t.Fatalf("patched %v", p)
	}
	env.Do(t, "PATCH", "/v1/webhooks/"+id, key, map[string]any{"url": "http://192.168.1.1/"}).Expect(t, 422, "patch to private url")

	rot := env.Do(t, "POST", "/v1/webhooks/"+id+"/rotate-secret", key, map[string]any{"graceSeconds": 3600}).Expect(t, 200, "rotate").Map(t)
	if rot["secret"] == secret || !strings.HasPrefix(rot["secret"].(string), "whsec_") {
		t.Fatal("rotate did not return a new secret")
	}
	stored, _, _ = control.Get[control.Webhook](context.Background(), kv, id)
	if len(stored.Secrets) != 2 || stored.Secrets[1].Value != secret || stored.Secrets[1].ExpiresAt == nil || stored.Secrets[0].ExpiresAt != nil {
		t.Fatalf("secrets after rotation: %+v", stored.Secrets)
	}

	env.Do(t, "GET", "/v1/webhooks/"+id+"/deliveries?limit=10", key, nil).Expect(t, 200, "deliveries")
	var dreq queries.DeliveriesRequest
	_ = json.Unmarshal(rs.Requests("history.deliveries")[0], &dreq)
	if dreq.Tenant != "ta" || dreq.Webhook != id || dreq.Limit != 10 {
		t.Fatalf("deliveries query %+v", dreq)
	}
	if env.Do(t, "POST", "/v1/webhooks/"+id+"/deliveries/d1/retry", key, nil).Expect(t, 202, "retry").Map(t)["queued"] != true {
		t.Fatal("retry not queued")
	}
	env.Do(t, "POST", "/v1/webhooks/"+id+"/replay", key, map[string]any{"since": "2026-01-01T00:00:00Z"}).Expect(t, 202, "replay")
	env.Do(t, "POST", "/v1/webhooks/"+id+"/replay", key, map[string]any{"since": "yesterday"}).Expect(t, 422, "bad since")
	env.Do(t, "POST", "/v1/webhooks/"+id+"/test", key, nil).Expect(t, 200, "test")
	var treq queries.WebhookTestRequest
	_ = json.Unmarshal(rs.Requests("dispatcher.test")[0], &treq)
	if treq.Tenant != "ta" || treq.Webhook != id {
		t.Fatalf("test query %+v", treq)
	}
	env.Do(t, "DELETE", "/v1/webhooks/"+id, key, nil).Expect(t, 204, "delete")
	env.Do(t, "GET", "/v1/webhooks/"+id, key, nil).Expect(t, 404, "deleted")
}

func TestInlineSessionWebhooks(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	env.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "s1", "webhooks": []map[string]any{{"url": "http://127.0.0.1/x"}}}).Expect(t, 422, "private inline url")
	env.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "s1", "webhooks": []map[string]any{{"url": "https://93.184.215.14/x", "events": []string{"message.received"}}}}).Expect(t, 201, "inline")
	var items struct {
		Items []struct {
			Sessions []string `json:"sessions"`
			Events   []string `json:"events"`
		} `json:"items"`
	}
	env.Do(t, "GET", "/v1/webhooks", key, nil).Expect(t, 200, "list").JSON(t, &items)
	if len(items.Items) != 1 || items.Items[0].Sessions[0] != "s1" || items.Items[0].Events[0] != "message.received" {
		t.Fatalf("inline webhooks %+v", items)
	}
	env.Do(t, "DELETE", "/v1/sessions/s1", key, nil).Expect(t, 204, "delete session")
	testutil.Eventually(t, 5*time.Second, func() bool {
		return strings.Contains(string(env.Do(t, "GET", "/v1/webhooks", key, nil).Body), `"items":[]`)
	}, "inline webhook outlived its session")
}
