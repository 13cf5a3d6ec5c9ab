package dispatch

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/wamesh/wamesh/pkg/control"
	"github.com/wamesh/wamesh/services/dispatcher/internal/sender"
)

// metrics are the dispatcher's instruments.
type metrics struct {
	deliveries metric.Int64Counter     // settled deliveries by outcome
	attempts   metric.Int64Counter     // attempts by result class
	latency    metric.Float64Histogram // attempt duration

	// Attribute sets are built once: building them per call is measurable
	// at thousands of deliveries per second.
	outcomeAttrs map[string]metric.MeasurementOption
	classAttrs   [6]metric.MeasurementOption // status/100; 0 = transport error
}

func (m *metrics) buildAttrs() {
	m.outcomeAttrs = map[string]metric.MeasurementOption{}
	for _, o := range []string{"delivered", "retrying", "failed"} {
		m.outcomeAttrs[o] = metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", o)))
	}
	for c := range m.classAttrs {
		name := fmt.Sprintf("%dxx", c)
		if c == 0 {
			name = "error"
		}
		m.classAttrs[c] = metric.WithAttributeSet(attribute.NewSet(attribute.String("class", name)))
	}
}

func newMetrics(m metric.Meter, d *Dispatcher) (*metrics, error) {
	var out metrics
	out.buildAttrs()
	var err error
	if out.deliveries, err = m.Int64Counter("wamesh_webhook_deliveries",
		metric.WithDescription("Webhook delivery outcomes: delivered, retrying (attempt failed, retry scheduled), failed (retries exhausted)")); err != nil {
		return nil, fmt.Errorf("metric: %w", err)
	}
	if out.attempts, err = m.Int64Counter("wamesh_webhook_attempts",
		metric.WithDescription("Webhook HTTP attempts by result class (2xx, 4xx, 5xx, error)")); err != nil {
		return nil, fmt.Errorf("metric: %w", err)
	}
	if out.latency, err = m.Float64Histogram("wamesh_webhook_attempt_duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of one webhook HTTP attempt")); err != nil {
		return nil, fmt.Errorf("metric: %w", err)
	}
	backlog, err := m.Int64ObservableGauge("wamesh_webhook_backlog", metric.WithDescription("Deliveries waiting per webhook, as last seen by this instance"))
	if err != nil {
		return nil, fmt.Errorf("metric: %w", err)
	}
	disabled, err := m.Int64ObservableGauge("wamesh_webhooks_disabled", metric.WithDescription("Webhooks currently disabled"))
	if err != nil {
		return nil, fmt.Errorf("metric: %w", err)
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		d.observe(o, backlog, disabled)
		return nil
	}, backlog, disabled)
	if err != nil {
		return nil, fmt.Errorf("metric callback: %w", err)
	}
	return &out, nil
}

func (d *Dispatcher) observe(o metric.Observer, backlog, disabled metric.Int64ObservableGauge) {
	d.endpointsLock.Lock()
	for id, e := range d.endpoints {
		o.ObserveInt64(backlog, e.backlogs[0].Load()+e.backlogs[1].Load(), metric.WithAttributes(attribute.String("webhook", id)))
	}
	d.endpointsLock.Unlock()
	if d.webhooks != nil {
		n := len(d.webhooks.All(func(_ string, w control.Webhook) bool { return !w.Enabled }))
		o.ObserveInt64(disabled, int64(n))
	}
}

func (m *metrics) outcome(ctx context.Context, outcome string) {
	m.deliveries.Add(ctx, 1, m.outcomeAttrs[outcome])
}

func (m *metrics) attempted(ctx context.Context, r sender.Result) {
	c := r.StatusCode / 100
	if c < 0 || c > 5 {
		c = 0
	}
	m.attempts.Add(ctx, 1, m.classAttrs[c])
	m.latency.Record(ctx, r.Latency.Seconds())
}
