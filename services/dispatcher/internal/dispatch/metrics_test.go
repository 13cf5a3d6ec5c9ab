package dispatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/pkg/testutil"
	"github.com/wamesh/wamesh/services/dispatcher/internal/dispatch"
	"github.com/wamesh/wamesh/services/dispatcher/internal/sender"
)

// TestMetrics: deliveries by outcome, attempt latency, backlog per
// endpoint and disabled endpoints are exported.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.webhook("wh1", rc.URL)
	e.webhook("off", rc.URL, func(w *control.Webhook) { w.Enabled = false })
	reader := sdkmetric.NewManualReader()
	meter := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)).Meter("test")
	nc, err := nats.Connect(e.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	d, err := dispatch.New(dispatch.Deps{NC: nc, JS: js, Logger: testLogger(), Meter: meter,
		Sender: sender.New(sender.Options{Policy: loopbackOnly, Timeout: 5 * time.Second, UserAgent: "wamesh/test"})}, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	e.publish(2)
	testutil.Eventually(t, 10*time.Second, func() bool { return len(rc.delivered()) == 2 }, "delivered")

	names := map[string]int64{}
	testutil.Eventually(t, 5*time.Second, func() bool {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(e.ctx, &rm); err != nil {
			t.Fatal(err)
		}
		clear(names)
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch data := m.Data.(type) {
				case metricdata.Sum[int64]:
					for _, p := range data.DataPoints {
						names[m.Name] += p.Value
					}
				case metricdata.Gauge[int64]:
					for _, p := range data.DataPoints {
						names[m.Name] += p.Value
					}
					names[m.Name+"#points"] += int64(len(data.DataPoints))
				case metricdata.Histogram[float64]:
					for _, p := range data.DataPoints {
						names[m.Name] += int64(p.Count)
					}
				}
			}
		}
		return names["wamesh_webhook_deliveries"] == 2
	}, "delivered counter reaches 2")
	if names["wamesh_webhook_attempt_duration"] != 2 || names["wamesh_webhook_attempts"] != 2 {
		t.Errorf("attempt metrics: %v", names)
	}
	if names["wamesh_webhooks_disabled"] != 1 || names["wamesh_webhook_backlog#points"] != 1 {
		t.Errorf("gauges: %v", names)
	}
}
