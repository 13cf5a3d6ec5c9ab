package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/services/gateway/internal/auth"
	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
	"github.com/wamesh/wamesh/services/gateway/internal/server"
)

// A tenant deleted and re-created under the same id starts empty: the
// previous customer's keys, tokens and webhooks are gone.
func TestDeleteTenantRemovesCredentials(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	ctx := context.Background()
	old := env.Tenant(t, "acme")
	env.Session(t, old, "s1")
	tokID := env.Do(t, "POST", "/v1/sessions/s1/tokens", old, map[string]any{}).Expect(t, 201, "token").Map(t)["id"].(string)
	hook := env.Do(t, "POST", "/v1/webhooks", old, map[string]any{"url": "https://93.184.215.14/hook"}).Expect(t, 201, "webhook").Map(t)["id"].(string)

	r := env.Do(t, "DELETE", "/v1/tenants/acme", gwtest.AdminKey, nil).Expect(t, 409, "tenant with sessions")
	if p := r.Map(t); p["code"] != "CONFLICT" || !strings.Contains(p["detail"].(string), "delete them first") {
		t.Fatalf("problem %v", p)
	}
	env.Do(t, "DELETE", "/v1/sessions/s1", old, nil).Expect(t, 204, "delete session")
	env.Do(t, "DELETE", "/v1/tenants/acme", gwtest.AdminKey, nil).Expect(t, 204, "delete tenant")

	for bucket, key := range map[string]string{natsx.BucketAPIKeys: auth.HashKey(old), server.BucketTokens: tokID, natsx.BucketWebhooks: hook} {
		kv, err := env.JS.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := control.Get[map[string]any](ctx, kv, key); err != control.ErrNotFound {
			t.Errorf("%s/%s survived the tenant: %v", bucket, key, err)
		}
	}

	fresh := env.Tenant(t, "acme")
	env.Do(t, "GET", "/v1/sessions", old, nil).Expect(t, 403, "old key of a re-created tenant")
	env.Do(t, "GET", "/v1/webhooks/"+hook, fresh, nil).Expect(t, 404, "old webhook")
	if l := env.Do(t, "GET", "/v1/webhooks", fresh, nil).Expect(t, 200, "list").Body; strings.Contains(string(l), hook) {
		t.Fatalf("old webhook listed: %s", l)
	}
}

// A key record older than its tenant (left behind by anything) is refused.
func TestKeyOlderThanTenantRefused(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	ctx := context.Background()
	env.Tenant(t, "acme")
	kv, err := env.JS.KeyValue(ctx, natsx.BucketAPIKeys)
	if err != nil {
		t.Fatal(err)
	}
	stale, valid := auth.NewKey(), auth.NewKey()
	for i, created := range []time.Time{time.Now().Add(-time.Hour), time.Now()} {
		rec := control.APIKey{ID: "key_x", Tenant: "acme", Scopes: []string{"read"}, CreatedAt: created}
		if _, err := control.Put(ctx, kv, auth.HashKey([]string{stale, valid}[i]), rec); err != nil {
			t.Fatal(err)
		}
	}
	// once the cache accepts the valid key it holds the stale one too
	for deadline := time.Now().Add(5 * time.Second); env.Do(t, "GET", "/v1/sessions", valid, nil).Status != 200; {
		if time.Now().After(deadline) {
			t.Fatal("valid key not accepted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	env.Do(t, "GET", "/v1/sessions", stale, nil).Expect(t, 403, "key older than its tenant")
}
