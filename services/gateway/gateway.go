// Package gateway serves the REST API v1: it authenticates from KV caches, publishes commands and calls the session owners and history over NATS.
package gateway

import (
	"context"
	"fmt"
	"net/http"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/telemetry"
)

// Config of the gateway service, read from WAMESH_* variables.
type Config struct {
	NATS      natsx.Config
	Telemetry telemetry.Config
	HTTPAddr  string `env:"WAMESH_HTTP_ADDR" envDefault:":8080"` // REST API, /healthz, /readyz, /metrics

	AdminKey string `env:"WAMESH_ADMIN_KEY"` // admin API key; the all-in-one generates one when empty

	// Sandbox, when set, is the emulator's control API, mounted under
	// /sandbox/v1 behind the admin key (wamesh --sandbox). Never from env.
	Sandbox http.Handler

	// Shared is set by the all-in-one; zero when standalone.
	Shared service.Shared
}

// Validate checks what env parsing cannot.
func (c *Config) Validate() error { return c.NATS.Validate() }

// Run runs the gateway service until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	base, err := service.Start(ctx, "gateway", cfg.NATS, cfg.Telemetry, cfg.Shared)
	if err != nil {
		return fmt.Errorf("start gateway: %w", err)
	}
	defer base.Close()
	base.Logger.Info("gateway started", "addr", cfg.HTTPAddr)
	return base.ServeOps(ctx, cfg.HTTPAddr)
}
