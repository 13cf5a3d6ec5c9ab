package gateway_test

import (
	"testing"

	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

// "_" stands for "no session" in event subjects; a session may not take it.
func TestReservedSessionID(t *testing.T) {
	t.Parallel()
	env := gwtest.Start(t)
	key := env.Tenant(t, "ta")
	env.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "_"}).Expect(t, 422, "reserved id")
	env.Do(t, "POST", "/v1/sessions", key, map[string]any{"id": "_a"}).Expect(t, 201, "ordinary id")
}
