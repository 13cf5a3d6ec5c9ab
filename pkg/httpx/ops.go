package httpx

import (
	"context"
	"net/http"
	"time"
)

// readyTimeout bounds all readiness checks of one /readyz request.
const readyTimeout = 2 * time.Second

// Check is one readiness dependency, e.g. {"nats", natsCheck}.
type Check struct {
	Name string                          // key in the /readyz "checks" object
	Fn   func(ctx context.Context) error // nil error = ready
}

// readyResponse is the body of /readyz.
type readyResponse struct {
	Status string            `json:"status"`           // "ok" or "unavailable"
	Checks map[string]string `json:"checks,omitempty"` // check name -> "ok" or the error text
}

// OpsHandler serves /healthz, /readyz and /metrics; see RegisterOps.
func OpsHandler(metrics http.Handler, checks ...Check) http.Handler {
	mux := http.NewServeMux()
	RegisterOps(mux, metrics, checks...)
	return mux
}

// RegisterOps adds the ops endpoints to mux:
//   - GET /healthz: 200 {"status":"ok"} while the process serves;
//   - GET /readyz: runs all checks concurrently within 2s, 200 when all pass,
//     else 503 {"status":"unavailable","checks":{"nats":"<error>"}};
//   - GET /metrics: the metrics handler, 404 when it is nil.
func RegisterOps(mux *http.ServeMux, metrics http.Handler, checks ...Check) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, readyResponse{Status: "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		results, ok := runChecks(r.Context(), checks)
		if !ok {
			writeJSON(w, http.StatusServiceUnavailable, readyResponse{Status: "unavailable", Checks: results})
			return
		}
		writeJSON(w, http.StatusOK, readyResponse{Status: "ok", Checks: results})
	})
	if metrics == nil {
		metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			WriteProblem(w, NewProblem(http.StatusNotFound, "not_found", "metrics are not enabled"))
		})
	}
	mux.Handle("GET /metrics", metrics)
}

// runChecks runs checks concurrently and reports each result and whether
// all passed. A check still running at the timeout is reported with the
// context's error and left to finish on its own.
func runChecks(ctx context.Context, checks []Check) (map[string]string, bool) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	done := make(chan result, len(checks)) // buffered: late checks never block
	for _, c := range checks {
		go func() { done <- result{c.Name, c.Fn(ctx)} }()
	}
	results := make(map[string]string, len(checks))
	ok := true
	for range checks {
		select {
		case r := <-done:
			results[r.name] = "ok"
			if r.err != nil {
				results[r.name], ok = r.err.Error(), false
			}
		case <-ctx.Done():
			for _, c := range checks {
				if _, finished := results[c.Name]; !finished {
					results[c.Name] = ctx.Err().Error()
				}
			}
			return results, false
		}
	}
	return results, ok
}
