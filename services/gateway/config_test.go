package gateway_test

import (
	"testing"
	"time"

	"github.com/wamesh/wamesh/pkg/config"
	"github.com/wamesh/wamesh/services/gateway"
)

func TestConfigDefaultsAndValidate(t *testing.T) {
	t.Parallel()
	var cfg gateway.Config
	if err := config.LoadFrom(&cfg, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != ":8080" || cfg.Shards != 64 || cfg.MaxUploadBytes != 100<<20 || cfg.MaxWait != time.Minute || cfg.TenantRate != 200 {
		t.Fatalf("defaults %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	for name, env := range map[string]map[string]string{
		"shards":      {"WAMESH_SHARDS": "0"},
		"jwt secret":  {"WAMESH_JWT_SECRET": "short"},
		"body limit":  {"WAMESH_MAX_BODY_BYTES": "10"},
		"rate":        {"WAMESH_KEY_RATE_LIMIT": "-1"},
		"allow cidrs": {"WAMESH_ALLOWED_CIDRS": "not-a-cidr"},
	} {
		var c gateway.Config
		if err := config.LoadFrom(&c, env); err != nil {
			continue // rejected at load: fine
		}
		if err := c.Validate(); err == nil {
			t.Errorf("%s: %v accepted", name, env)
		}
	}
}
