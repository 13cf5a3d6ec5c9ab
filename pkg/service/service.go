// Package service is the common start-up of every wamesh service: logger,
// telemetry, NATS connection, JetStream, provisioning and the ops endpoints
// (/healthz, /readyz, /metrics). The all-in-one passes one Shared to all four
// services so they share a logger, telemetry and the in-process NATS.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/httpx"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/pkg/telemetry"
)

// ShutdownGrace bounds a graceful shutdown (SIGTERM to exit).
const ShutdownGrace = 4 * time.Second

// Shared is what the all-in-one hands to each service it runs in-process.
// The zero value means "standalone": the service builds its own.
type Shared struct {
	Logger    *slog.Logger
	Telemetry *telemetry.Telemetry
}

// Base is a started service: its logger, telemetry and NATS handles.
type Base struct {
	Name   string
	Logger *slog.Logger
	Tel    *telemetry.Telemetry
	NC     *nats.Conn
	JS     jetstream.JetStream

	ownTel bool
}

// Start brings up logging, telemetry, NATS and JetStream for service name and
// provisions the NATS resources (idempotent, so every service may do it).
func Start(ctx context.Context, name string, nc natsx.Config, tc telemetry.Config, shared Shared) (*Base, error) {
	if err := nc.Validate(); err != nil {
		return nil, err
	}
	b := &Base{Name: name, Logger: shared.Logger, Tel: shared.Telemetry}
	tc.Service = name
	if b.Logger == nil {
		b.Logger = telemetry.NewLogger(tc)
	} else {
		b.Logger = b.Logger.With("service", name)
	}
	if b.Tel == nil {
		tel, err := telemetry.Setup(ctx, tc)
		if err != nil {
			return nil, fmt.Errorf("telemetry: %w", err)
		}
		b.Tel, b.ownTel = tel, true
	}
	conn, err := natsx.Connect(ctx, nc, "wamesh-"+name, b.Logger)
	if err != nil {
		b.Close()
		return nil, err
	}
	b.NC = conn
	js, err := jetstream.New(conn)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	b.JS = js
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := natsx.Provision(pctx, js, nc); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// NATSCheck is the readiness check of the NATS connection and JetStream.
func (b *Base) NATSCheck() httpx.Check {
	return httpx.Check{Name: "nats", Fn: func(ctx context.Context) error { return natsx.Ping(ctx, b.NC, b.JS) }}
}

// OpsHandler returns /healthz, /readyz (NATS plus the given checks) and /metrics.
func (b *Base) OpsHandler(checks ...httpx.Check) http.Handler {
	return httpx.OpsHandler(b.Tel.MetricsHandler(), append([]httpx.Check{b.NATSCheck()}, checks...)...)
}

// ServeOps serves OpsHandler on addr until ctx ends ("" or "off" = not at all).
func (b *Base) ServeOps(ctx context.Context, addr string, checks ...httpx.Check) error {
	return httpx.Serve(ctx, addr, b.OpsHandler(checks...), ShutdownGrace, b.Logger)
}

// Close drains the NATS connection and shuts down telemetry it owns.
func (b *Base) Close() {
	if b.NC != nil && !b.NC.IsClosed() {
		closed := make(chan struct{})
		b.NC.SetClosedHandler(func(*nats.Conn) { close(closed) })
		if err := b.NC.Drain(); err != nil {
			b.NC.Close()
		}
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			b.NC.Close()
		}
	}
	if b.ownTel && b.Tel != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := b.Tel.Shutdown(ctx); err != nil {
			b.Logger.Warn("telemetry shutdown", "err", err)
		}
	}
}
