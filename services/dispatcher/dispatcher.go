// Package dispatcher delivers events to webhooks: one durable consumer per webhook on WAMESH_EVENTS (retries, replays and manual retries through WAMESH_DELIVERIES), with signatures, retries and per-endpoint isolation.
package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/service"
	"github.com/wamesh/wamesh/pkg/ssrf"
	"github.com/wamesh/wamesh/pkg/telemetry"
	"github.com/wamesh/wamesh/services/dispatcher/internal/dispatch"
	"github.com/wamesh/wamesh/services/dispatcher/internal/sender"
)

// Config of the dispatcher service, read from WAMESH_* variables.
type Config struct {
	NATS      natsx.Config
	Telemetry telemetry.Config
	OpsAddr   string `env:"WAMESH_DISPATCHER_ADDR" envDefault:":8082"` // /healthz, /readyz, /metrics; "off" to disable

	SSRF                ssrf.Config     // WAMESH_ALLOW_PRIVATE_URLS, WAMESH_ALLOWED_CIDRS
	RetrySchedule       []time.Duration `env:"WAMESH_DISPATCHER_RETRY_SCHEDULE" envDefault:"5s,5m,30m,2h,5h,10h,10h,24h,24h"` // delay before each retry; attempts = len+1
	RetryJitter         float64         `env:"WAMESH_DISPATCHER_RETRY_JITTER" envDefault:"0.2"`                               // ± fraction of each delay
	Timeout             time.Duration   `env:"WAMESH_DISPATCHER_TIMEOUT" envDefault:"15s"`                                    // one HTTP attempt
	AckWait             time.Duration   `env:"WAMESH_DISPATCHER_ACK_WAIT" envDefault:"60s"`                                   // redelivery of an attempt lost in a crash
	MaxIdleConnsPerHost int             `env:"WAMESH_DISPATCHER_MAX_IDLE_PER_HOST" envDefault:"256"`                          // keep-alive pool per host
	DefaultConcurrency  int             `env:"WAMESH_DISPATCHER_CONCURRENCY" envDefault:"16"`                                 // in flight per endpoint when the webhook sets none
	BreakerThreshold    int             `env:"WAMESH_DISPATCHER_BREAKER_FAILURES" envDefault:"5"`                             // consecutive failures opening the circuit; 0 = off
	BreakerCooldown     time.Duration   `env:"WAMESH_DISPATCHER_BREAKER_COOLDOWN" envDefault:"30s"`                           // pause of an open circuit
	DisableAfter        time.Duration   `env:"WAMESH_DISPATCHER_DISABLE_AFTER" envDefault:"120h"`                             // continuous failure that disables an endpoint
	FailedTTL           time.Duration   `env:"WAMESH_DISPATCHER_FAILED_TTL" envDefault:"720h"`                                // how long exhausted deliveries stay retryable

	// Shared is set by the all-in-one; zero when standalone.
	Shared service.Shared
}

// Validate checks what env parsing cannot.
func (c *Config) Validate() error {
	errs := []error{c.NATS.Validate(), c.SSRF.Validate()}
	if len(c.RetrySchedule) == 0 {
		errs = append(errs, errors.New("WAMESH_DISPATCHER_RETRY_SCHEDULE: expected at least one delay"))
	}
	for _, d := range c.RetrySchedule {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("WAMESH_DISPATCHER_RETRY_SCHEDULE: expected positive delays, got %s", d))
		}
	}
	if c.RetryJitter < 0 || c.RetryJitter >= 1 {
		errs = append(errs, fmt.Errorf("WAMESH_DISPATCHER_RETRY_JITTER: expected 0 <= x < 1, got %g", c.RetryJitter))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("WAMESH_DISPATCHER_TIMEOUT: expected a positive duration, got %s", c.Timeout))
	}
	if c.AckWait <= c.Timeout {
		errs = append(errs, fmt.Errorf("WAMESH_DISPATCHER_ACK_WAIT: expected more than WAMESH_DISPATCHER_TIMEOUT (%s), got %s", c.Timeout, c.AckWait))
	}
	if c.MaxIdleConnsPerHost < 1 || c.DefaultConcurrency < 1 {
		errs = append(errs, errors.New("WAMESH_DISPATCHER_MAX_IDLE_PER_HOST and WAMESH_DISPATCHER_CONCURRENCY: expected at least 1"))
	}
	return errors.Join(errs...)
}

// Run runs the dispatcher service until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	policy, err := cfg.SSRF.Policy()
	if err != nil {
		return err
	}
	base, err := service.Start(ctx, "dispatcher", cfg.NATS, cfg.Telemetry, cfg.Shared)
	if err != nil {
		return fmt.Errorf("start dispatcher: %w", err)
	}
	defer base.Close()
	version := cfg.Telemetry.Version
	if version == "" {
		version = "dev"
	}
	d, err := dispatch.New(dispatch.Deps{
		NC: base.NC, JS: base.JS, Logger: base.Logger, Meter: base.Tel.Meter("wamesh/dispatcher"),
		Sender: sender.New(sender.Options{Policy: policy, Timeout: cfg.Timeout, MaxIdleConnsPerHost: cfg.MaxIdleConnsPerHost, UserAgent: "wamesh/" + version}),
	}, cfg.options(version))
	if err != nil {
		return err
	}
	base.Logger.Info("dispatcher started", "ops", cfg.OpsAddr)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var opsErr error
	wg.Go(func() { opsErr = base.ServeOps(ctx, cfg.OpsAddr) })
	err = d.Run(ctx)
	cancel() // a failed engine stops the ops server too
	wg.Wait()
	return errors.Join(err, opsErr)
}

func (c *Config) options(version string) dispatch.Options {
	return dispatch.Options{
		Schedule: c.RetrySchedule, Jitter: c.RetryJitter, AckWait: c.AckWait,
		DefaultConcurrency: c.DefaultConcurrency, BreakerThreshold: c.BreakerThreshold, BreakerCooldown: c.BreakerCooldown,
		DisableAfter: c.DisableAfter, FailedTTL: c.FailedTTL, Version: version,
	}
}
