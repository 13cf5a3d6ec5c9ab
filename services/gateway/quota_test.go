package gateway_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/testutil"

	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

// TestSessionQuotaUnderConcurrency: creates racing on two gateway replicas
// never pass the tenant's session quota together; a deleted session frees
// its slot.
func TestSessionQuotaUnderConcurrency(t *testing.T) {
	t.Parallel()
	a := gwtest.Start(t)
	b := a.Replica(t)
	key := a.Tenant(t, "tq")
	a.Do(t, "PATCH", "/v1/tenants/tq", gwtest.AdminKey, map[string]any{"maxSessions": 3}).Expect(t, 200, "quota")
	// Both replicas know the key and the quota before the race (each reads
	// its own cache, fed by a KV watch).
	for _, env := range []*gwtest.Env{a, b} {
		testutil.Eventually(t, 10*time.Second, func() bool {
			r := env.Do(t, "GET", "/v1/tenants/tq", gwtest.AdminKey, nil)
			return r.Status == 200 && r.Map(t)["maxSessions"] == float64(3) && env.Do(t, "GET", "/v1/sessions", key, nil).Status == 200
		}, "replica caches up to date")
	}
	const n = 16
	status := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		env := a
		if i%2 == 1 {
			env = b
		}
		wg.Go(func() {
			status[i] = env.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": fmt.Sprintf("s%d", i)}).Status
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range status {
		count[s]++
	}
	if count[201] != 3 || count[409] != n-3 {
		t.Fatalf("statuses %v, want 3 × 201 and %d × 409", count, n-3)
	}
	var created string
	for i, s := range status {
		if s == 201 {
			created = fmt.Sprintf("s%d", i)
		}
	}
	b.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "late"}).Expect(t, 409, "quota reached")
	a.Do(t, "DELETE", "/v1/sessions/"+created, key, nil).Expect(t, 204, "delete")
	testutil.Eventually(t, 10*time.Second, func() bool { return b.Do(t, "GET", "/v1/sessions/"+created, key, nil).Status == 404 }, "b sees the delete")
	b.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "late"}).Expect(t, 201, "the freed slot")
	a.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "later"}).Expect(t, 409, "full again")
}
