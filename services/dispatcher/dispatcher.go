// Package dispatcher delivers events to webhooks: it fans WAMESH_EVENTS out into WAMESH_DELIVERIES and delivers each with signatures, retries and per-endpoint isolation.
package dispatcher

import (
	"context"
	"fmt"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/telemetry"
)

// Config of the dispatcher service, read from WAMESH_* variables.
type Config struct {
	NATS      natsx.Config
	Telemetry telemetry.Config
	OpsAddr   string `env:"WAMESH_DISPATCHER_ADDR" envDefault:":8082"` // /healthz, /readyz, /metrics; "off" to disable

	// Shared is set by the all-in-one; zero when standalone.
	Shared service.Shared
}

// Validate checks what env parsing cannot.
func (c *Config) Validate() error { return c.NATS.Validate() }

// Run runs the dispatcher service until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	base, err := service.Start(ctx, "dispatcher", cfg.NATS, cfg.Telemetry, cfg.Shared)
	if err != nil {
		return fmt.Errorf("start dispatcher: %w", err)
	}
	defer base.Close()
	base.Logger.Info("dispatcher started", "ops", cfg.OpsAddr)
	return base.ServeOps(ctx, cfg.OpsAddr)
}
