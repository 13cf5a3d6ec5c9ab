package httpx_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wamesh/wamesh/pkg/httpx"
)

func TestWriteProblem(t *testing.T) {
	t.Parallel()
	p := httpx.NewProblem(http.StatusUnprocessableEntity, "invalid_request", "to is not a phone number")
	p.Errors = []httpx.FieldError{{Field: "to", Message: "not a phone number"}}
	rec := httptest.NewRecorder()
	httpx.WriteProblem(rec, p)

	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("status = %d, want 422", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := map[string]any{
		"type":   "about:blank",
		"title":  "Unprocessable Entity",
		"status": float64(422),
		"detail": "to is not a phone number",
		"code":   "invalid_request",
		"errors": []any{map[string]any{"field": "to", "message": "not a phone number"}},
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("body = %s, want %s", gotJSON, wantJSON)
	}
}

func TestWriteProblemDefaults(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	httpx.WriteProblem(rec, &httpx.Problem{Code: "internal"})
	var got httpx.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 500 || got.Status != 500 || got.Type != "about:blank" || got.Title != "Internal Server Error" {
		t.Fatalf("got %d %+v", rec.Code, got)
	}
}

func TestProblemError(t *testing.T) {
	t.Parallel()
	var err error = httpx.NewProblem(http.StatusNotFound, "session_not_found", "no session s1")
	if got, want := err.Error(), "404 session_not_found: no session s1"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
