package telemetry

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// NewLogger builds the process logger: JSON (or text) to stderr with the
// attribute service=<cfg.Service>, adding trace_id and span_id from the
// context's span to every record logged with a context.
func NewLogger(cfg Config) *slog.Logger {
	return NewLoggerTo(os.Stderr, cfg)
}

// NewLoggerTo is NewLogger writing to w.
func NewLoggerTo(w io.Writer, cfg Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: parseLevel(cfg.LogLevel)}
	var h slog.Handler
	if strings.EqualFold(cfg.LogFormat, "text") {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	logger := slog.New(traceHandler{h})
	if cfg.Service != "" {
		logger = logger.With(slog.String("service", cfg.Service))
	}
	return logger
}

// parseLevel maps debug|info|warn|error to a level, defaulting to info.
func parseLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// traceHandler adds trace_id and span_id from the record's context.
type traceHandler struct {
	slog.Handler
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(
			slog.String("trace_id", sc.TraceID().String()),
			slog.String("span_id", sc.SpanID().String()),
		)
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{h.Handler.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{h.Handler.WithGroup(name)}
}
