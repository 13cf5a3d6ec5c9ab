package wa

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/wamesh/wamesh/pkg/events"
)

// metrics of the WhatsApp half: sessions by state, send latency, events.
type metrics struct {
	sendLatency metric.Float64Histogram
	events      metric.Int64Counter
}

func newMetrics(meter metric.Meter, m *Manager) (*metrics, error) {
	var err error
	x := &metrics{}
	if x.sendLatency, err = meter.Float64Histogram("wamesh_session_send_seconds",
		metric.WithDescription("time to send one WhatsApp message, from execution start to server ack"),
		metric.WithUnit("s")); err != nil {
		return nil, fmt.Errorf("send latency histogram: %w", err)
	}
	if x.events, err = meter.Int64Counter("wamesh_session_events_published_total",
		metric.WithDescription("events published to WAMESH_EVENTS by type and result")); err != nil {
		return nil, fmt.Errorf("events counter: %w", err)
	}
	_, err = meter.Int64ObservableGauge("wamesh_session_sessions",
		metric.WithDescription("running sessions on this pod by status"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for status, n := range m.statusCounts() {
				o.Observe(int64(n), metric.WithAttributes(attribute.String("status", status)))
			}
			return nil
		}))
	if err != nil {
		return nil, fmt.Errorf("sessions gauge: %w", err)
	}
	return x, nil
}

func (x *metrics) published(ctx context.Context, t events.Type, ok bool) {
	result := "ok"
	if !ok {
		result = "error"
	}
	x.events.Add(ctx, 1, metric.WithAttributes(attribute.String("type", string(t)), attribute.String("result", result)))
}

func (x *metrics) sent(ctx context.Context, since time.Time, ok bool) {
	x.sendLatency.Record(ctx, time.Since(since).Seconds(), metric.WithAttributes(attribute.Bool("ok", ok)))
}

// statusCounts counts running sessions by their last written status.
func (m *Manager) statusCounts() map[string]int {
	m.sessionsLock.Lock()
	list := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		list = append(list, s)
	}
	m.sessionsLock.Unlock()
	out := map[string]int{}
	for _, s := range list {
		out[s.State().Status]++
	}
	return out
}
