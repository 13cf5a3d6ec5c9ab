// Package history persists every event (Postgres or SQLite) and answers the read queries of the API over NATS.
package history

import (
	"context"
	"fmt"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/telemetry"
)

// Config of the history service, read from WAMESH_* variables.
type Config struct {
	NATS      natsx.Config
	Telemetry telemetry.Config
	OpsAddr   string `env:"WAMESH_HISTORY_ADDR" envDefault:":8083"` // /healthz, /readyz, /metrics; "off" to disable

	DataDir     string `env:"WAMESH_DATA_DIR" envDefault:"./data"` // SQLite files live here when DatabaseURL is empty
	DatabaseURL string `env:"WAMESH_DATABASE_URL"`                 // postgres://...; empty = SQLite under DataDir

	// Shared is set by the all-in-one; zero when standalone.
	Shared service.Shared
}

// Validate checks what env parsing cannot.
func (c *Config) Validate() error { return c.NATS.Validate() }

// Run runs the history service until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	base, err := service.Start(ctx, "history", cfg.NATS, cfg.Telemetry, cfg.Shared)
	if err != nil {
		return fmt.Errorf("start history: %w", err)
	}
	defer base.Close()
	base.Logger.Info("history started", "ops", cfg.OpsAddr)
	return base.ServeOps(ctx, cfg.OpsAddr)
}
