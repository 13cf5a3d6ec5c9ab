// Package session owns the whatsmeow connections of the sessions whose shards this pod leases, executes their commands and RPCs and publishes their events.
package session

import (
	"context"
	"fmt"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/telemetry"
)

// Config of the session service, read from WAMESH_* variables.
type Config struct {
	NATS      natsx.Config
	Telemetry telemetry.Config
	OpsAddr   string `env:"WAMESH_SESSION_ADDR" envDefault:":8081"` // /healthz, /readyz, /metrics; "off" to disable

	DataDir     string `env:"WAMESH_DATA_DIR" envDefault:"./data"` // SQLite files live here when DatabaseURL is empty
	DatabaseURL string `env:"WAMESH_DATABASE_URL"`                 // postgres://...; empty = SQLite under DataDir

	// Shared is set by the all-in-one; zero when standalone.
	Shared service.Shared
}

// Validate checks what env parsing cannot.
func (c *Config) Validate() error { return c.NATS.Validate() }

// Run runs the session service until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	base, err := service.Start(ctx, "session", cfg.NATS, cfg.Telemetry, cfg.Shared)
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	defer base.Close()
	base.Logger.Info("session started", "ops", cfg.OpsAddr)
	return base.ServeOps(ctx, cfg.OpsAddr)
}
