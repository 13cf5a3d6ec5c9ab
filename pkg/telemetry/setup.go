package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Telemetry owns the tracer and meter providers and the Prometheus registry
// of one process. Create it with Setup and release it with Shutdown.
type Telemetry struct {
	tracerProvider *sdktrace.TracerProvider
	meterProvider  *sdkmetric.MeterProvider
	registry       *prometheus.Registry
}

// Setup builds the providers and installs them as the OTel globals, together
// with the W3C tracecontext and baggage propagator. Spans are always sampled
// (parent-based) so trace ids exist for logs and CloudEvents even when
// cfg.OTLPEndpoint is empty and nothing is exported. Calling Setup again
// replaces the globals; each Telemetry keeps its own providers.
func Setup(ctx context.Context, cfg Config) (*Telemetry, error) {
	res, err := newResource(cfg)
	if err != nil {
		return nil, err
	}
	tp, err := newTracerProvider(ctx, cfg, res)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		_ = tp.Shutdown(ctx)
		return nil, fmt.Errorf("create prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res))

	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{},
	))
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	return &Telemetry{tracerProvider: tp, meterProvider: mp, registry: reg}, nil
}

func newResource(cfg Config) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{attribute.String("service.name", cfg.Service)}
	if cfg.Version != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.Version))
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attrs...))
	if err != nil {
		return nil, fmt.Errorf("build otel resource: %w", err)
	}
	return res, nil
}

func newTracerProvider(ctx context.Context, cfg Config, res *resource.Resource) (*sdktrace.TracerProvider, error) {
	// Without an exporter nothing reads recorded spans: root spans are not
	// sampled. They still carry valid trace and span ids (non-recording), so
	// logs get trace_id and traceparent propagates; only the recording cost
	// goes. A caller's sampled traceparent is still honoured (ParentBased).
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())),
	}
	if cfg.OTLPEndpoint != "" {
		opts[1] = sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample()))
		exporter, err := otlptracegrpc.New(ctx, endpointOption(cfg.OTLPEndpoint))
		if err != nil {
			return nil, fmt.Errorf("create otlp trace exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exporter))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// endpointOption accepts host:port (plaintext) or a full http(s) URL.
func endpointOption(endpoint string) otlptracegrpc.Option {
	if strings.Contains(endpoint, "://") {
		return otlptracegrpc.WithEndpointURL(endpoint)
	}
	return otlptracegrpc.WithEndpoint(endpoint)
}

// MetricsHandler serves the registry in the Prometheus exposition format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{Registry: t.registry})
}

// Registry returns the Prometheus registry behind MetricsHandler, for
// collectors that are not OTel instruments.
func (t *Telemetry) Registry() *prometheus.Registry { return t.registry }

// Tracer returns a tracer of this Telemetry's provider.
func (t *Telemetry) Tracer(name string) trace.Tracer { return t.tracerProvider.Tracer(name) }

// Meter returns a meter of this Telemetry's provider.
func (t *Telemetry) Meter(name string) metric.Meter { return t.meterProvider.Meter(name) }

// Shutdown flushes pending spans and stops both providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if err := t.tracerProvider.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown tracer provider: %w", err))
	}
	if err := t.meterProvider.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown meter provider: %w", err))
	}
	return errors.Join(errs...)
}
