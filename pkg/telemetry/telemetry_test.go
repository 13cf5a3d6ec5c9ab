package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/trace"

	"github.com/wamesh/wamesh/pkg/telemetry"
)

func setup(t *testing.T) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{Service: "test", Version: "v0"})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return tel
}

func TestLoggerAddsTraceIDs(t *testing.T) {
	t.Parallel()
	tel := setup(t)
	var buf bytes.Buffer
	logger := telemetry.NewLoggerTo(&buf, telemetry.Config{Service: "gateway", LogLevel: "debug", LogFormat: "json"})

	ctx, span := tel.Tracer("test").Start(context.Background(), "op")
	logger.With("session", "s1").DebugContext(ctx, "inside")
	span.End()
	logger.InfoContext(context.Background(), "outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2:\n%s", len(lines), buf.String())
	}
	var inside, outside map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &inside); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &outside); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if inside["trace_id"] != sc.TraceID().String() || inside["span_id"] != sc.SpanID().String() {
		t.Errorf("inside span: %v, want trace_id %s span_id %s", inside, sc.TraceID(), sc.SpanID())
	}
	if inside["service"] != "gateway" || inside["session"] != "s1" {
		t.Errorf("inside span: missing service or session attribute: %v", inside)
	}
	if _, ok := outside["trace_id"]; ok {
		t.Errorf("outside span: unexpected trace_id: %v", outside)
	}
}

func TestLoggerLevelAndFormat(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := telemetry.NewLoggerTo(&buf, telemetry.Config{Service: "s", LogLevel: "warn", LogFormat: "text"})
	logger.Info("hidden")
	logger.Warn("shown")
	if got := buf.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "msg=shown") || !strings.Contains(got, "service=s") {
		t.Fatalf("unexpected output: %q", got)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, cfg := range []telemetry.Config{{LogLevel: "loud"}, {LogFormat: "xml"}} {
		if err := cfg.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want error", cfg)
		}
	}
	if err := (telemetry.Config{LogLevel: "debug", LogFormat: "text"}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestNATSPropagationRoundTrip(t *testing.T) {
	t.Parallel()
	tel := setup(t)
	ctx, span := tel.Tracer("test").Start(context.Background(), "publish")
	defer span.End()

	h := nats.Header{}
	telemetry.InjectNATS(ctx, h)
	if h.Get("traceparent") == "" {
		t.Fatalf("no traceparent header in %v", h)
	}
	got := trace.SpanContextFromContext(telemetry.ExtractNATS(context.Background(), h))
	if got.TraceID() != span.SpanContext().TraceID() || got.SpanID() != span.SpanContext().SpanID() || !got.IsRemote() {
		t.Fatalf("extracted %v, want remote %v", got, span.SpanContext())
	}
}

func TestTraceParentRoundTrip(t *testing.T) {
	t.Parallel()
	tel := setup(t)
	if tp := telemetry.TraceParent(context.Background()); tp != "" {
		t.Fatalf("TraceParent without span = %q, want empty", tp)
	}
	ctx, span := tel.Tracer("test").Start(context.Background(), "op")
	defer span.End()
	sc := span.SpanContext()
	tp := telemetry.TraceParent(ctx)
	if want := "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String(); tp != want {
		t.Fatalf("TraceParent = %q, want %q", tp, want)
	}
	got := trace.SpanContextFromContext(telemetry.ContextWithTraceParent(context.Background(), tp))
	if got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() {
		t.Fatalf("ContextWithTraceParent: got %v, want %v", got, sc)
	}
	if bad := telemetry.ContextWithTraceParent(context.Background(), "garbage"); trace.SpanContextFromContext(bad).IsValid() {
		t.Fatal("ContextWithTraceParent accepted garbage")
	}
}

func TestMetricsHandlerServesCounter(t *testing.T) {
	t.Parallel()
	tel := setup(t)
	counter, err := tel.Meter("test").Int64Counter("wamesh_test_events")
	if err != nil {
		t.Fatalf("Int64Counter: %v", err)
	}
	counter.Add(context.Background(), 3)

	rec := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || !strings.Contains(string(body), "wamesh_test_events_total") || !strings.Contains(string(body), "go_goroutines") {
		t.Fatalf("metrics: status %d, body:\n%s", rec.Code, body)
	}
	if tel.Registry() == nil {
		t.Fatal("Registry is nil")
	}
}

func TestSetupWithOTLPEndpoint(t *testing.T) {
	t.Parallel()
	// The exporter connects lazily, so an endpoint nobody listens on is fine.
	tel, err := telemetry.Setup(context.Background(), telemetry.Config{Service: "test", OTLPEndpoint: "127.0.0.1:1"})
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tel.Shutdown(ctx) // nothing to flush; the unreachable collector may report an error
}

func TestMetricsHandlerTwice(t *testing.T) {
	t.Parallel()
	tel := setup(t)
	for range 2 {
		rec := httptest.NewRecorder()
		tel.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 {
			t.Fatalf("metrics: status %d", rec.Code)
		}
	}
}
