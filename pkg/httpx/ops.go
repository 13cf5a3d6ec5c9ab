package httpx

import (
	"context"
	"net/http"
	"sync"
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
// all passed.
func runChecks(ctx context.Context, checks []Check) (map[string]string, bool) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex // guards results and ok
		results = make(map[string]string, len(checks))
		ok      = true
	)
	for _, c := range checks {
		wg.Go(func() {
			err := c.Fn(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				results[c.Name], ok = err.Error(), false
				return
			}
			results[c.Name] = "ok"
		})
	}
	wg.Wait()
	return results, ok
}
