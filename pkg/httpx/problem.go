// Package httpx holds the HTTP pieces every wamesh service shares: RFC 9457
// problem details, the ops endpoints (/healthz, /readyz, /metrics) and a
// server runner with graceful shutdown.
package httpx

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Problem is an RFC 9457 problem detail with a machine-readable code.
type Problem struct {
	Type     string       `json:"type,omitempty"`     // URI of the problem type; "about:blank" by default
	Title    string       `json:"title"`              // short summary, the HTTP status text by default
	Status   int          `json:"status"`             // HTTP status code
	Detail   string       `json:"detail,omitempty"`   // explanation of this occurrence
	Instance string       `json:"instance,omitempty"` // URI of this occurrence
	Code     string       `json:"code"`               // stable machine code, e.g. "session_not_found"
	Errors   []FieldError `json:"errors,omitempty"`   // per-field validation errors
}

// FieldError is one invalid request field.
type FieldError struct {
	Field   string `json:"field"`   // JSON path of the field, e.g. "to"
	Message string `json:"message"` // what is wrong with it
}

// NewProblem returns a problem whose title is the status text.
func NewProblem(status int, code, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
}

// Error reads "<status> <code>: <detail>".
func (p *Problem) Error() string {
	if p.Detail == "" {
		return fmt.Sprintf("%d %s", p.Status, p.Code)
	}
	return fmt.Sprintf("%d %s: %s", p.Status, p.Code, p.Detail)
}

// WriteProblem writes p as application/problem+json with p.Status (500 if
// unset), filling in the default type and title.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	out := *p
	if out.Status == 0 {
		out.Status = http.StatusInternalServerError
	}
	if out.Type == "" {
		out.Type = "about:blank"
	}
	if out.Title == "" {
		out.Title = http.StatusText(out.Status)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(out.Status)
	_ = json.NewEncoder(w).Encode(out)
}

// writeJSON writes v as application/json with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
