package httpx_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wamesh/wamesh/pkg/httpx"
)

type opsBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func get(t *testing.T, h http.Handler, path string) (int, opsBody) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	var body opsBody
	if rec.Header().Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
	}
	return rec.Code, body
}

func ok(context.Context) error { return nil }

func TestReadyz(t *testing.T) {
	t.Parallel()
	down := func(context.Context) error { return errors.New("nats: no servers available") }
	slow := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	tests := []struct {
		name       string
		checks     []httpx.Check
		wantStatus int
		wantBody   opsBody
	}{
		{"no checks", nil, 200, opsBody{Status: "ok"}},
		{"all pass", []httpx.Check{{"nats", ok}, {"db", ok}}, 200,
			opsBody{Status: "ok", Checks: map[string]string{"nats": "ok", "db": "ok"}}},
		{"one fails", []httpx.Check{{"nats", down}, {"db", ok}}, 503,
			opsBody{Status: "unavailable", Checks: map[string]string{"nats": "nats: no servers available", "db": "ok"}}},
		{"times out", []httpx.Check{{"db", slow}}, 503,
			opsBody{Status: "unavailable", Checks: map[string]string{"db": "context deadline exceeded"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := get(t, httpx.OpsHandler(nil, tt.checks...), "/readyz")
			if code != tt.wantStatus || body.Status != tt.wantBody.Status || len(body.Checks) != len(tt.wantBody.Checks) {
				t.Fatalf("got %d %+v, want %d %+v", code, body, tt.wantStatus, tt.wantBody)
			}
			for k, v := range tt.wantBody.Checks {
				if body.Checks[k] != v {
					t.Errorf("check %s = %q, want %q", k, body.Checks[k], v)
				}
			}
		})
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	t.Parallel()
	failing := httpx.Check{Name: "nats", Fn: func(context.Context) error { return errors.New("down") }}
	if code, body := get(t, httpx.OpsHandler(nil, failing), "/healthz"); code != 200 || body.Status != "ok" {
		t.Errorf("/healthz = %d %+v, want 200 ok", code, body)
	}
	if code, _ := get(t, httpx.OpsHandler(nil), "/metrics"); code != 404 {
		t.Errorf("/metrics without handler = %d, want 404", code)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux := http.NewServeMux()
	httpx.RegisterOps(mux, metrics)
	if code, _ := get(t, mux, "/metrics"); code != http.StatusTeapot {
		t.Errorf("/metrics = %d, want the handler's 418", code)
	}
}

func TestReadyzDoesNotWaitForHungCheck(t *testing.T) {
	t.Parallel()
	hung := make(chan struct{})
	t.Cleanup(func() { close(hung) })
	checks := []httpx.Check{{"db", func(context.Context) error { <-hung; return nil }}, {"nats", ok}}
	code, body := get(t, httpx.OpsHandler(nil, checks...), "/readyz")
	if code != 503 || body.Checks["db"] != "context deadline exceeded" || body.Checks["nats"] != "ok" {
		t.Fatalf("got %d %+v", code, body)
	}
}
