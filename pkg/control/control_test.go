package control

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/testutil"
)

func newKV(t *testing.T) jetstream.KeyValue {
	t.Helper()
	_, js := testutil.JetStream(t)
	kv, err := js.CreateKeyValue(testutil.Context(t), jetstream.KeyValueConfig{Bucket: "test_tenants"})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func TestTypedKV(t *testing.T) {
	t.Parallel()
	kv := newKV(t)
	ctx := testutil.Context(t)
	if _, _, err := Get[Tenant](ctx, kv, "t1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing = %v, want ErrNotFound", err)
	}
	rev, err := Create(ctx, kv, "t1", Tenant{ID: "t1", Name: "One"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(ctx, kv, "t1", Tenant{ID: "t1"}); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("second Create = %v, want ErrKeyExists", err)
	}
	got, grev, err := Get[Tenant](ctx, kv, "t1")
	if err != nil || got.Name != "One" || grev != rev {
		t.Fatalf("Get = %+v rev %d, %v", got, grev, err)
	}
	if _, err := Update(ctx, kv, "t1", Tenant{ID: "t1", Name: "Two"}, rev); err != nil {
		t.Fatal(err)
	}
	if _, err := Update(ctx, kv, "t1", Tenant{ID: "t1", Name: "Stale"}, rev); err == nil {
		t.Fatal("Update with a stale revision succeeded")
	}
}

func TestCacheFollowsBucket(t *testing.T) {
	t.Parallel()
	kv := newKV(t)
	ctx := testutil.Context(t)
	if _, err := Put(ctx, kv, "t1", Tenant{ID: "t1", Name: "before watch"}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "broken", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	var changes atomic.Int32
	c, err := Watch(ctx, kv, nil, OnChange(func(string, Tenant, bool) { changes.Add(1) }))
	if err != nil {
		t.Fatal(err)
	}
	// Initial values are there when Watch returns; the undecodable one is skipped.
	if v, ok := c.Get("t1"); !ok || v.Name != "before watch" {
		t.Fatalf("initial value missing: %+v %v", v, ok)
	}
	if _, ok := c.Get("broken"); ok {
		t.Fatal("undecodable value cached")
	}
	if _, err := Put(ctx, kv, "t2", Tenant{ID: "t2"}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool { _, ok := c.Get("t2"); return ok }, "t2 never arrived")
	if err := kv.Delete(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, func() bool { _, ok := c.Get("t1"); return !ok }, "t1 never deleted")
	if c.Len() != 1 || len(c.All(nil)) != 1 || c.Revision("t2") == 0 {
		t.Fatalf("cache state: len %d all %v", c.Len(), c.All(nil))
	}
	if changes.Load() != 3 {
		t.Fatalf("OnChange ran %d times, want 3 (t1, t2, delete t1)", changes.Load())
	}
}

func TestActiveSecrets(t *testing.T) {
	t.Parallel()
	now := time.Now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	w := Webhook{Secrets: []Secret{{Value: "new"}, {Value: "old", ExpiresAt: &future}, {Value: "gone", ExpiresAt: &past}}}
	got := w.ActiveSecrets(now)
	if len(got) != 2 || got[0].Value != "new" || got[1].Value != "old" {
		t.Fatalf("ActiveSecrets = %+v", got)
	}
}
