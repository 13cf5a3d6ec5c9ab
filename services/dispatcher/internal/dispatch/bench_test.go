package dispatch_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/events"
	"github.com/wamesh/wamesh/pkg/natsx"
	"github.com/wamesh/wamesh/services/dispatcher/internal/signing"
)

// benchConcurrency is the in-flight requests of both the raw client and
// the webhook.
const benchConcurrency = 64

// rawWarmup is how many untimed requests the raw client makes first.
const rawWarmup = 2000

// rawRate and rawCPU are the raw client's deliveries/s and process CPU per
// delivery, kept for the ratios reported by the dispatcher sub-benchmark of
// the same run.
var rawRate, rawCPU float64

// cpuTime returns the CPU time (user + system) this process has used. The
// embedded NATS server and the receiver run in-process, so their work is
// counted too, for both sub-benchmarks. On a shared machine CPU per
// delivery is steadier than wall-clock rates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDelivery compares end-to-end webhook deliveries/s (event stored
// in WAMESH_EVENTS -> the webhook's event consumer -> signed POST -> ack +
// outcome event) with a raw net/http client posting the same bodies to the
// same local receiver at the same concurrency. Run raw first: the
// dispatcher sub-benchmark reports ratio = dispatcher / raw. The events are
// stored before the dispatcher starts; its rate counts from the first
// delivery to the last, so start-up is excluded but routing, signing, acks
// and the outcome events are all included.
func BenchmarkDelivery(b *testing.B) {
	var got atomic.Int64
	var first atomic.Int64 // unix nanos of the first request of a round
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		first.CompareAndSwap(0, time.Now().UnixNano())
		got.Add(1)
	}))
	b.Cleanup(recv.Close)
	body := benchBody(b)
	b.Run("raw_http", func(b *testing.B) {
		got.Store(0)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchConcurrency, MaxIdleConns: benchConcurrency}}
		key, _ := signing.Decode(testSecret)
		post := func(n int) {
			var next atomic.Int64
			var wg sync.WaitGroup
			for range benchConcurrency {
				wg.Go(func() {
					for next.Add(1) <= int64(n) {
						req, _ := http.NewRequest(http.MethodPost, recv.URL, bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/cloudevents+json")
						req.Header.Set(signing.HeaderSignature, key.Sign("id", time.Now(), body))
						resp, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
					}
				})
			}
			wg.Wait()
		}
		// Warm up first (connections, receiver goroutines, heap): the first
		// raw run of a process was up to 1.4 times slower than later ones,
		// which flattered the dispatcher's ratio.
		post(rawWarmup)
		start, cpu0 := time.Now(), cpuTime()
		post(b.N)
		rawRate = float64(b.N) / time.Since(start).Seconds()
		rawCPU = float64((cpuTime() - cpu0).Microseconds()) / float64(b.N)
		b.ReportMetric(rawRate, "deliveries/s")
		b.ReportMetric(rawCPU, "cpu_us/delivery")
	})
	b.Run("dispatcher", func(b *testing.B) {
		e := newEnv(b)
		e.webhook("bench", recv.URL, func(w *control.Webhook) { w.Concurrency = benchConcurrency })
		opt := fastOptions()
		opt.FetchWait = 2 * time.Second
		got.Store(0)
		first.Store(0)
		publishRaw(b, e, body, b.N)
		b.ResetTimer()
		cpu0 := cpuTime()
		stop := e.start(opt)
		for got.Load() < int64(b.N) {
			time.Sleep(time.Millisecond) // polling the counter in a benchmark, not a test
		}
		// Throughput from the first delivery on: start-up (KV watch,
		// consumer creation) is not delivery work.
		rate := float64(b.N-1) / time.Since(time.Unix(0, first.Load())).Seconds()
		cpu := float64((cpuTime() - cpu0).Microseconds()) / float64(b.N)
		b.StopTimer()
		stop()
		b.ReportMetric(rate, "deliveries/s")
		b.ReportMetric(cpu, "cpu_us/delivery")
		if rawRate > 0 {
			b.ReportMetric(rate/rawRate, "ratio_vs_raw")
			b.ReportMetric(rawCPU/cpu, "cpu_ratio_vs_raw")
		}
	})
}

func benchBody(b *testing.B) []byte {
	ev, err := events.New(b.Context(), events.MessageReceived, events.Meta{Tenant: "t1", Session: "s1"},
		map[string]any{"id": "3EB0C767D26A1D4B8F5A", "chat": "4915112345678@s.whatsapp.net", "text": "Hello from the benchmark, a message of ordinary length."})
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(ev)
	return body
}

// publishRaw stores n copies of body as distinct events (ids differ in the
// Nats-Msg-Id header), asynchronously.
func publishRaw(b *testing.B, e *env, body []byte, n int) { publishRawT(b, e, body, n) }

func publishRawT(b testing.TB, e *env, body []byte, n int) {
	subj, _ := events.Subject("t1", "s1", events.MessageReceived)
	for i := range n {
		m := &natsMsg{subj: subj, body: body, id: "bench-" + itoaTest(i)}
		if _, err := e.js.PublishMsgAsync(m.msg(), jetstream.WithExpectStream(natsx.StreamEvents)); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			<-e.js.PublishAsyncComplete()
		}
	}
	select {
	case <-e.js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publish did not complete")
	}
}
