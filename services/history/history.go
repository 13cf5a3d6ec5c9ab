// Package history persists every event (Postgres or SQLite) and answers the read queries of the API over NATS.
package history

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/httpx"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/telemetry"
	"github.com/wamesh/wamesh/services/history/internal/ingest"
	"github.com/wamesh/wamesh/services/history/internal/query"
	"github.com/wamesh/wamesh/services/history/internal/retention"
	"github.com/wamesh/wamesh/services/history/internal/store"
)

// Config of the history service, read from WAMESH_* variables.
type Config struct {
	NATS      natsx.Config
	Telemetry telemetry.Config
	OpsAddr   string `env:"WAMESH_HISTORY_ADDR" envDefault:":8083"` // /healthz, /readyz, /metrics; "off" to disable

	DataDir     string `env:"WAMESH_DATA_DIR" envDefault:"./data"` // SQLite files live here when DatabaseURL is empty
	DatabaseURL string `env:"WAMESH_DATABASE_URL"`                 // postgres://...; empty = SQLite under DataDir

	Retention         time.Duration `env:"WAMESH_HISTORY_RETENTION" envDefault:"0"`           // default age limit of stored history; 0 = keep forever
	RetentionInterval time.Duration `env:"WAMESH_HISTORY_RETENTION_INTERVAL" envDefault:"1h"` // how often old rows are deleted
	Passthrough       bool          `env:"WAMESH_HISTORY_PASSTHROUGH" envDefault:"false"`     // store metadata only, no message bodies
	BatchSize         int           `env:"WAMESH_HISTORY_BATCH" envDefault:"500"`             // events per write transaction
	Writers           int           `env:"WAMESH_HISTORY_WRITERS" envDefault:"4"`             // concurrent write transactions (Postgres; SQLite always 1)

	// Shared is set by the all-in-one; zero when standalone.
	Shared service.Shared
}

// Validate checks what env parsing cannot.
func (c *Config) Validate() error {
	var errs []error
	if err := c.NATS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Retention < 0 {
		errs = append(errs, fmt.Errorf("WAMESH_HISTORY_RETENTION: expected 0 (keep) or a positive duration, got %s", c.Retention))
	}
	if c.RetentionInterval < time.Minute {
		errs = append(errs, fmt.Errorf("WAMESH_HISTORY_RETENTION_INTERVAL: expected at least 1m, got %s", c.RetentionInterval))
	}
	if c.BatchSize < 1 || c.BatchSize > 5000 {
		errs = append(errs, fmt.Errorf("WAMESH_HISTORY_BATCH: expected 1 to 5000, got %d", c.BatchSize))
	}
	if c.Writers < 1 || c.Writers > 8 {
		errs = append(errs, fmt.Errorf("WAMESH_HISTORY_WRITERS: expected 1 to 8, got %d", c.Writers))
	}
	if c.DatabaseURL == "" && c.DataDir == "" {
		errs = append(errs, errors.New("WAMESH_DATA_DIR: required when WAMESH_DATABASE_URL is empty"))
	}
	return errors.Join(errs...)
}

// Run runs the history service until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	base, err := service.Start(ctx, "history", cfg.NATS, cfg.Telemetry, cfg.Shared)
	if err != nil {
		return fmt.Errorf("start history: %w", err)
	}
	defer base.Close()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := query.Start(base.NC, st, base.Logger)
	if err != nil {
		return err
	}
	defer func() { _ = svc.Stop() }()
	policy, err := retentionPolicy(ctx, base, cfg)
	if err != nil {
		return err
	}
	writers := cfg.Writers
	if cfg.DatabaseURL == "" {
		writers = 1 // SQLite has one writer
	}
	consumer := &ingest.Consumer{Store: st, JS: base.JS, Log: base.Logger, BatchSize: cfg.BatchSize, Writers: writers,
		Options: ingest.Options{Passthrough: cfg.Passthrough}, Meter: base.Tel.Meter("wamesh/history")}
	trimmer := &retention.Trimmer{Store: st, Policy: policy, Interval: cfg.RetentionInterval, Log: base.Logger}
	base.Logger.Info("history started", "ops", cfg.OpsAddr, "db", dbKind(cfg), "passthrough", cfg.Passthrough, "retention", cfg.Retention)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return consumer.Run(gctx) })
	g.Go(func() error { return trimmer.Run(gctx) })
	g.Go(func() error {
		return base.ServeOps(gctx, cfg.OpsAddr, httpx.Check{Name: "db", Fn: st.Ping}, httpx.Check{Name: "consumer", Fn: consumer.Ready})
	})
	return g.Wait()
}

// openStore opens Postgres when a URL is configured, else SQLite under DataDir.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.DatabaseURL != "" {
		st, err := store.OpenPostgres(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("history database: %w", err)
		}
		return st, nil
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "history.db"))
	if err != nil {
		return nil, fmt.Errorf("history database: %w", err)
	}
	return st, nil
}

func dbKind(cfg Config) string {
	if cfg.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// retentionPolicy is the configured default, overridden per tenant by the
// tenant's metadata (retention.MetadataKey) from the watched tenants bucket.
func retentionPolicy(ctx context.Context, base *service.Base, cfg Config) (retention.Policy, error) {
	kv, err := base.JS.KeyValue(ctx, natsx.BucketTenants)
	if err != nil {
		return nil, fmt.Errorf("tenants bucket: %w", err)
	}
	tenants, err := control.Watch[control.Tenant](ctx, kv, base.Logger)
	if err != nil {
		return nil, fmt.Errorf("watch tenants: %w", err)
	}
	return retention.WithOverrides(cfg.Retention, func(id string) (map[string]string, bool) {
		t, ok := tenants.Get(id)
		return t.Metadata, ok
	}, base.Logger), nil
}
