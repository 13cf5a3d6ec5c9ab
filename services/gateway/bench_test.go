package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wamesh/wamesh/services/gateway/internal/gwtest"
)

const (
	benchBody    = `{"type":"text","text":"hello from the benchmark"}`
	benchClients = 16                     // concurrent keep-alive clients
	benchRound   = 400 * time.Millisecond // one measuring round per target
	benchRounds  = 5                      // rounds per target, interleaved
)

// target is one server under load and what was measured on it.
type target struct {
	url, key string
	done     int64
	elapsed  time.Duration
	cpu      time.Duration // process CPU time (user+system) spent in its rounds
	lat      []time.Duration
}

// processCPU returns the user+system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSendText measures POST .../messages (text) through the whole
// gateway — auth, rate limit, ownership, spec validation, JetStream publish
// with ack — against a bare Echo handler that only reads the body. Both are
// loaded by the same client in interleaved rounds of the same run, so a busy
// machine slows both alike. Metrics: req/s, p99-ms and CPU µs per request
// (client, server and embedded NATS, all in this process) of each; ratio
// (gateway req/s / bare req/s) and cpu-ratio (bare CPU/req / gateway CPU/req).
func BenchmarkSendText(b *testing.B) {
	e := echo.New()
	e.POST("/v1/sessions/:session/chats/:chat/messages", func(c echo.Context) error {
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, map[string]string{"id": "3EB0", "status": "queued"})
	})
	bare := httptest.NewServer(e)
	defer bare.Close()
	env := gwtest.Start(b, benchOptions()...)
	key := env.Tenant(b, "bench")
	env.Session(b, key, "s1")
	const path = "/v1/sessions/s1/chats/4915112345678/messages"
	bareT := &target{url: bare.URL + path}
	gwT := &target{url: env.URL + path, key: key}
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	b.ResetTimer()
	for range b.N {
		for range benchRounds {
			round(b, client, bareT)
			round(b, client, gwT)
		}
	}
	b.StopTimer()
	bareRate, gwRate := bareT.report(b, "bare"), gwT.report(b, "gw")
	b.ReportMetric(gwRate/bareRate, "ratio")
	// CPU per request does not depend on how much of the machine we got:
	// the rate ratio this process would reach when it has the cores alone.
	b.ReportMetric(bareT.cpuPerReq()/gwT.cpuPerReq(), "cpu-ratio")
}

// round loads t with benchClients clients for benchRound.
func round(b *testing.B, client *http.Client, t *target) {
	ctx, cancel := context.WithTimeout(context.Background(), benchRound)
	defer cancel()
	var wg sync.WaitGroup
	var latLock sync.Mutex
	var n atomic.Int64
	cpu0 := processCPU()
	start := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			for ctx.Err() == nil {
				d, ok := post(b, client, t)
				if !ok {
					break
				}
				local = append(local, d)
				n.Add(1)
			}
			latLock.Lock()
			t.lat = append(t.lat, local...)
			latLock.Unlock()
		}()
	}
	wg.Wait()
	t.elapsed += time.Since(start)
	t.cpu += processCPU() - cpu0
	t.done += n.Load()
}

func post(b *testing.B, client *http.Client, t *target) (time.Duration, bool) {
	req, _ := http.NewRequest("POST", t.url, bytes.NewReader([]byte(benchBody)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", t.key)
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		return 0, false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		b.Errorf("status %d", resp.StatusCode)
		return 0, false
	}
	return time.Since(t0), true
}

func (t *target) cpuPerReq() float64 { return float64(t.cpu.Microseconds()) / float64(t.done) }

func (t *target) report(b *testing.B, name string) float64 {
	rate := float64(t.done) / t.elapsed.Seconds()
	b.ReportMetric(rate, name+"-req/s")
	b.ReportMetric(t.cpuPerReq(), name+"-cpu-µs/req")
	if len(t.lat) > 0 {
		slices.Sort(t.lat)
		b.ReportMetric(float64(t.lat[len(t.lat)*99/100].Microseconds())/1000, name+"-p99-ms")
	}
	return rate
}

func benchOptions() []gwtest.Option {
	if os.Getenv("WAMESH_BENCH_NATS_TCP") != "" {
		return nil
	}
	return []gwtest.Option{gwtest.InProcess}
}
