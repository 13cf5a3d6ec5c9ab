package retention_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/queries"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/history/internal/fixture"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/retention"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

func TestTrimmerPerTenant(t *testing.T) {
	t.Parallel()
	ctx := testutil.Context(t)
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var b store.Batch
	for _, tenant := range []string{"short", "long", "keep"} {
		sc := fixture.Scope{Tenant: tenant, Session: "s1"}
		for i := range 30 {
			// one message per hour, the newest at Base + 29h
			_ = ingest.AddEvent(&b, sc.Received("a@s.whatsapp.net", "m"+string(rune('A'+i)), "a@s.whatsapp.net", "x", fixture.At(i*3600)), ingest.Options{})
		}
	}
	if err := st.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	md := map[string]map[string]string{"short": {retention.MetadataKey: "10h"}, "keep": {retention.MetadataKey: "0"}, "long": {retention.MetadataKey: "bad"}}
	policy := retention.WithOverrides(20*time.Hour, func(t string) (map[string]string, bool) { m, ok := md[t]; return m, ok }, nil)
	tr := &retention.Trimmer{Store: st, Policy: policy, Batch: 7, Now: func() time.Time { return fixture.At(30 * 3600) }}
	if _, err := tr.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"short": 10, "long": 20, "keep": 30}
	for tenant, n := range want {
		p, err := st.Messages(ctx, queries.MessagesRequest{Tenant: tenant, Session: "s1", Chat: "a@s.whatsapp.net", Limit: 100})
		if err != nil || len(p.Items) != n {
			t.Fatalf("%s kept %d messages, want %d (%v)", tenant, len(p.Items), n, err)
		}
	}
}
