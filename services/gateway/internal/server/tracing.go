package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// tracerName is the instrumentation scope of the gateway's server spans.
const tracerName = "github.com/wamesh/wamesh/services/gateway"

// tracing starts a server span per API request, child of the caller's
// traceparent. Its attributes are built only when the span records: without
// an exporter root spans do not, and building them cost about 4 µs a request.
// The span context is always valid, so commands carry a traceparent either way.
func tracing() echo.MiddlewareFunc {
	tracer := otel.GetTracerProvider().Tracer(tracerName)
	prop := otel.GetTextMapPropagator()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if !needsAuth(r.URL.Path) { // probes, metrics scrapes and static pages would drown them
				return next(c)
			}
			ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := tracer.Start(ctx, spanName(c), trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			recording := span.IsRecording()
			if recording {
				span.SetAttributes(requestAttrs(c)...)
			}
			c.SetRequest(r.WithContext(ctx))
			defer c.SetRequest(r)
			err := next(c)
			if err != nil {
				if recording {
					span.SetAttributes(attribute.String("echo.error", err.Error()))
				}
				c.Error(err) // answer now, so the status below is the one sent
			}
			if status := c.Response().Status; recording && status > 0 {
				span.SetAttributes(semconv.HTTPResponseStatusCode(status))
				if status >= http.StatusInternalServerError {
					span.SetStatus(codes.Error, "")
				}
			}
			return err
		}
	}
}

func spanName(c echo.Context) string {
	method := c.Request().Method
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
	default:
		method = "HTTP"
	}
	if p := c.Path(); p != "" {
		return method + " " + p
	}
	return method
}

func requestAttrs(c echo.Context) []attribute.KeyValue {
	r := c.Request()
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(r.Method),
		semconv.URLPath(r.URL.Path),
		semconv.URLScheme(c.Scheme()),
		semconv.ServerAddress(r.Host),
		semconv.ClientAddress(c.RealIP()),
		semconv.NetworkProtocolVersion(r.Proto),
	}
	if p := c.Path(); p != "" {
		attrs = append(attrs, semconv.HTTPRoute(p))
	}
	if ua := r.UserAgent(); ua != "" {
		attrs = append(attrs, semconv.UserAgentOriginal(ua))
	}
	return attrs
}
