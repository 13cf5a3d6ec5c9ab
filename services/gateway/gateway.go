// Package gateway serves the REST API v1: it authenticates from KV caches, publishes commands and calls the session owners and history over NATS.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wamesh/wamesh/pkg/httpx"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/pkg/telemetry"
	"github.com/wamesh/wamesh/services/gateway/internal/server"
)

// Config of the gateway service, read from WAMESH_* variables.
type Config struct {
	NATS      natsx.Config
	Telemetry telemetry.Config
	SSRF      ssrf.Config
	HTTPAddr  string `env:"WAMESH_HTTP_ADDR" envDefault:":8080"` // REST API, /healthz, /readyz, /metrics

	AdminKey string `env:"WAMESH_ADMIN_KEY"` // admin API key; the all-in-one generates one when empty

	Shards         int           `env:"WAMESH_SHARDS" envDefault:"64"`                  // session shards (same value in every service)
	JWTSecret      string        `env:"WAMESH_JWT_SECRET"`                              // HS256 secret of session tokens; generated and kept in KV when empty
	MaxBodyBytes   int64         `env:"WAMESH_MAX_BODY_BYTES" envDefault:"16777216"`    // JSON body limit (16 MiB, base64 media included)
	MaxUploadBytes int64         `env:"WAMESH_MAX_UPLOAD_BYTES" envDefault:"104857600"` // multipart/binary upload limit (100 MiB)
	TenantRate     int           `env:"WAMESH_TENANT_RATE_LIMIT" envDefault:"200"`      // default requests/s per tenant (Tenant.RateLimit overrides); 0 = off
	KeyRate        int           `env:"WAMESH_KEY_RATE_LIMIT" envDefault:"100"`         // requests/s per API key or session token; 0 = off
	CORSOrigins    string        `env:"WAMESH_CORS_ORIGINS"`                            // comma-separated allowed origins ("*" for any); empty = no CORS
	MaxWait        time.Duration `env:"WAMESH_MAX_WAIT" envDefault:"60s"`               // cap of ?wait= on sends

	// Sandbox, when set, is the emulator's control API, mounted under
	// /sandbox/v1 behind the admin key (wamesh --sandbox). Never from env.
	Sandbox http.Handler

	// Shared is set by the all-in-one; zero when standalone.
	Shared service.Shared
}

// Validate checks what env parsing cannot.
func (c *Config) Validate() error {
	var errs []error
	if err := c.NATS.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.SSRF.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Shards < 1 || c.Shards > 4096 {
		errs = append(errs, fmt.Errorf("WAMESH_SHARDS: expected 1 to 4096, got %d", c.Shards))
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("WAMESH_JWT_SECRET: expected at least 32 characters"))
	}
	if c.MaxBodyBytes < 1024 || c.MaxUploadBytes < 1024 {
		errs = append(errs, errors.New("WAMESH_MAX_BODY_BYTES and WAMESH_MAX_UPLOAD_BYTES: expected at least 1024"))
	}
	if c.TenantRate < 0 || c.KeyRate < 0 {
		errs = append(errs, errors.New("WAMESH_TENANT_RATE_LIMIT and WAMESH_KEY_RATE_LIMIT: expected 0 or more"))
	}
	return errors.Join(errs...)
}

// Run runs the gateway service until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("gateway config: %w", err)
	}
	base, err := service.Start(ctx, "gateway", cfg.NATS, cfg.Telemetry, cfg.Shared)
	if err != nil {
		return fmt.Errorf("start gateway: %w", err)
	}
	defer base.Close()
	policy, err := cfg.SSRF.Policy()
	if err != nil {
		return err
	}
	if err := server.EnsureBuckets(ctx, base.JS, cfg.NATS.Replicas); err != nil {
		return err
	}
	secret, err := server.LoadJWTSecret(ctx, base.JS, cfg.JWTSecret)
	if err != nil {
		return err
	}
	if cfg.AdminKey == "" {
		base.Logger.Warn("WAMESH_ADMIN_KEY is empty: tenant administration is disabled")
	}
	e, err := server.New(ctx, base.NC, base.JS, base.Logger, server.Options{
		Shards: cfg.Shards, AdminKey: cfg.AdminKey, JWTSecret: secret,
		MaxBodyBytes: cfg.MaxBodyBytes, MaxUploadBytes: cfg.MaxUploadBytes,
		TenantRate: cfg.TenantRate, KeyRate: cfg.KeyRate, CORSOrigins: splitCSV(cfg.CORSOrigins),
		MaxWait: cfg.MaxWait, SSRF: policy, Sandbox: cfg.Sandbox, Ops: base.OpsHandler(), SessionRetryAfter: 5,
	})
	if err != nil {
		return fmt.Errorf("build gateway: %w", err)
	}
	base.Logger.Info("gateway started", "addr", cfg.HTTPAddr)
	return serve(ctx, cfg.HTTPAddr, e, base)
}

func serve(ctx context.Context, addr string, h http.Handler, base *service.Base) error {
	if addr == "" || addr == "off" {
		<-ctx.Done()
		return nil
	}
	return httpx.Serve(ctx, addr, h, service.ShutdownGrace, base.Logger)
}

func splitCSV(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
