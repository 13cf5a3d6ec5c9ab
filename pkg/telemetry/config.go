// Package telemetry builds the observability plumbing every wamesh service
// shares: the slog logger (with trace_id/span_id), the OpenTelemetry tracer
// and meter providers, the Prometheus registry behind /metrics, and trace
// context propagation through NATS headers and the CloudEvents traceparent
// extension.
package telemetry

import (
	"fmt"
	"log/slog"
	"strings"
)

// Config configures logging and telemetry. Service and Version are set by
// the program; the rest comes from the environment.
type Config struct {
	Service      string // service name, e.g. "gateway"
	Version      string // build version
	OTLPEndpoint string `env:"WAMESH_OTEL_ENDPOINT"`                // host:port of an OTLP/gRPC collector; empty = no export
	LogLevel     string `env:"WAMESH_LOG_LEVEL" envDefault:"info"`  // debug|info|warn|error
	LogFormat    string `env:"WAMESH_LOG_FORMAT" envDefault:"json"` // json|text
}

// Validate checks the log level and format.
func (c Config) Validate() error {
	var l slog.Level
	if c.LogLevel != "" {
		if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
			return fmt.Errorf("WAMESH_LOG_LEVEL: expected debug, info, warn or error, got %q: %w", c.LogLevel, ErrInvalidConfig)
		}
	}
	switch strings.ToLower(c.LogFormat) {
	case "", "json", "text":
	default:
		return fmt.Errorf("WAMESH_LOG_FORMAT: expected json or text, got %q: %w", c.LogFormat, ErrInvalidConfig)
	}
	return nil
}
